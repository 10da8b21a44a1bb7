"""Support vector classifiers with an RBF kernel: article 000's ``svm.SVC()`` and today's default.

``svc-000`` is ``SVC()`` as it was when article 000 was written: RBF kernel, C=1 and
``gamma = 1 / n_features`` (scikit-learn's ``gamma="auto"``, the default until 0.22). It
reproduces article 000's 0.9446 on the canonical MNIST split. ``svc`` is ``SVC()`` with today's
default ``gamma="scale"`` (``1 / (n_features * X.var())``). Neither depends on a seed: libsvm's
solver is deterministic (the seed would only matter for ``probability=True``), so a comparison
fits each once.

Neither mirrors the network -- an SVM has no layers, batches or epochs -- so the ``Mirror`` is
accepted for a uniform signature and ignored.

``cache_size`` is libsvm's kernel cache in MB: it changes speed, never the result. A larger one
does not help here: on full MNIST a cache ten times the default fitted no faster, with the same
support vectors and accuracy, because libsvm caches kernel columns of its shrinking active set
only. ``CACHE_SIZE_MB`` stays at libsvm's default.

``svc-000`` is the longest fit of a comparison by far (its fit and prediction are single
libsvm calls on one core, which no scheduling can split): the comparison's tables give its
times on the machine that made them.

The slowness belongs to the engine, not to the SVM. ``svc-000-onedal`` and ``svc-onedal`` are
the same two SVCs (same kernel, C, gamma and tolerance) fitted by Intel's oneDAL through
scikit-learn-intelex (``sklearnex.svm.SVC``), an optional extra (``pip install
"backprop-bench[onedal]"``); the module is imported only when one is built. Their test
accuracies agree with libsvm's (a test checks it on a subset); their times are the honest
answer to "how slow is an SVM on MNIST".
"""

from __future__ import annotations

import importlib.util

from sklearn.svm import SVC

from baselines.mirror import Mirror

CACHE_SIZE_MB = 200  # libsvm's default: a larger cache was no faster (see above)


def make_svc_000(mirror: Mirror, seed: int | None = None) -> SVC:
    """Article 000's ``svm.SVC()``: RBF kernel, C=1, ``gamma="auto"`` (1 / n_features)."""
    return SVC(kernel="rbf", C=1.0, gamma="auto", cache_size=CACHE_SIZE_MB)


def make_svc(mirror: Mirror, seed: int | None = None) -> SVC:
    """Today's ``svm.SVC()``: RBF kernel, C=1, ``gamma="scale"`` (1 / (n_features * X.var()))."""
    return SVC(kernel="rbf", C=1.0, gamma="scale", cache_size=CACHE_SIZE_MB)


def onedal_available() -> bool:
    """Whether scikit-learn-intelex (oneDAL) can be imported."""
    return importlib.util.find_spec("sklearnex") is not None


def _onedal_svc(gamma: str):
    from sklearnex.svm import SVC as OneDalSVC

    return OneDalSVC(kernel="rbf", C=1.0, gamma=gamma, cache_size=CACHE_SIZE_MB)


def make_svc_000_onedal(mirror: Mirror, seed: int | None = None):
    """``svc-000`` fitted by oneDAL (scikit-learn-intelex)."""
    return _onedal_svc("auto")


def make_svc_onedal(mirror: Mirror, seed: int | None = None):
    """``svc`` fitted by oneDAL (scikit-learn-intelex)."""
    return _onedal_svc("scale")
