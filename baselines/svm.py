"""Support vector classifiers with an RBF kernel: seed 000's ``svm.SVC()`` and today's default.

``svc-seed`` is ``SVC()`` as it was when seed 000 was written: RBF kernel, C=1 and
``gamma = 1 / n_features`` (scikit-learn's ``gamma="auto"``, the default until 0.22). It
reproduces seed 000's 0.9446 on the canonical MNIST split. ``svc`` is ``SVC()`` with today's
default ``gamma="scale"`` (``1 / (n_features * X.var())``). Neither depends on a seed: libsvm's
solver is deterministic (the seed would only matter for ``probability=True``), so a comparison
fits each once.

Neither mirrors the network -- an SVM has no layers, batches or epochs -- so the ``Mirror`` is
accepted for a uniform signature and ignored.

``cache_size`` is libsvm's kernel cache in MB: it changes speed, never the result. On full MNIST
each kernel row holds 60,000 single-precision values (240 kB), so the default 200 MB keeps about
800 rows while the solver revisits some ten thousand support vectors; ``CACHE_SIZE_MB`` is the
size measured to help (see the measurements in ``backprop_bench.models``).
"""

from __future__ import annotations

from sklearn.svm import SVC

from baselines.mirror import Mirror

CACHE_SIZE_MB = 2000


def make_svc_seed(mirror: Mirror, seed: int | None = None) -> SVC:
    """Seed 000's ``svm.SVC()``: RBF kernel, C=1, ``gamma="auto"`` (1 / n_features)."""
    return SVC(kernel="rbf", C=1.0, gamma="auto", cache_size=CACHE_SIZE_MB)


def make_svc(mirror: Mirror, seed: int | None = None) -> SVC:
    """Today's ``svm.SVC()``: RBF kernel, C=1, ``gamma="scale"`` (1 / (n_features * X.var()))."""
    return SVC(kernel="rbf", C=1.0, gamma="scale", cache_size=CACHE_SIZE_MB)
