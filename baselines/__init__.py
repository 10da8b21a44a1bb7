"""baselines: scikit-learn (and optional oneDAL, PyTorch, JAX) models beside the network.

``make_baseline(name, mirror, seed)`` returns an unfitted estimator for each name in
``BASELINES``: ``svc-000`` (article 000's SVC), ``svc`` (today's SVC), the two through oneDAL
(``svc-000-onedal``, ``svc-onedal``, optional), ``mlp`` (MLPClassifier mirroring the network),
``mlp-defaults`` (MLPClassifier at scikit-learn's defaults), ``linear`` (logistic regression,
the floor), and the same network in PyTorch and JAX (``torch-mlp``, ``jax-mlp``, optional).
``Mirror`` holds the network settings they copy. Each module's docstring says what is mirrored
and where it cannot be.
"""

from baselines.mirror import Mirror
from baselines.mlp import fit_per_epoch
from baselines.registry import (
    BASELINES,
    ONEDAL_TWINS,
    Baseline,
    MissingDependency,
    make_baseline,
)

__all__ = [
    "BASELINES",
    "ONEDAL_TWINS",
    "Baseline",
    "Mirror",
    "MissingDependency",
    "fit_per_epoch",
    "make_baseline",
]
