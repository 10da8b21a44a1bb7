"""baselines: scikit-learn (and optional PyTorch) models configured to mirror the network.

``make_baseline(name, mirror, seed)`` returns an unfitted estimator for each name in
``BASELINES``: ``svc-000`` (article 000's SVC), ``svc`` (today's SVC), ``mlp`` (MLPClassifier
mirroring the network), ``linear`` (logistic regression, the floor) and ``torch-mlp`` (the same
network in PyTorch, optional). ``Mirror`` holds the network settings they copy. Each module's
docstring says what is mirrored and where it cannot be.
"""

from baselines.mirror import Mirror
from baselines.mlp import fit_per_epoch
from baselines.registry import BASELINES, Baseline, MissingDependency, make_baseline

__all__ = ["BASELINES", "Baseline", "Mirror", "MissingDependency", "fit_per_epoch", "make_baseline"]
