"""``BASELINES``: every baseline by name, with what the runner needs to know about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from baselines.jax_mlp import JaxNetworkClassifier, jax_available
from baselines.linear import make_linear
from baselines.mirror import Mirror
from baselines.mlp import make_mlp, make_mlp_defaults
from baselines.svm import (
    make_svc,
    make_svc_000,
    make_svc_000_onedal,
    make_svc_onedal,
    onedal_available,
)
from baselines.torch_mlp import TorchNetworkClassifier, torch_available


class MissingDependency(ImportError):
    """A baseline needs an optional package that is not installed."""


@dataclass(frozen=True)
class Baseline:
    """A named baseline.

    ``make(mirror, seed)`` returns an unfitted scikit-learn-compatible estimator.
    ``deterministic``: the seed does not change the fitted model, so one fit is enough.
    ``iterative``: trained in epochs, with a per-epoch history.
    ``engine``: the library that computes the fit (recorded with every fit, shown in tables).
    ``extra``: the optional dependency group it needs (``pip install "backprop-bench[extra]"``)
    and ``available()`` whether it is installed.
    """

    name: str
    make: Callable[[Mirror, int | None], Any]
    description: str
    deterministic: bool
    iterative: bool
    engine: str
    extra: str | None = None
    available: Callable[[], bool] = lambda: True


BASELINES: dict[str, Baseline] = {
    baseline.name: baseline
    for baseline in (
        Baseline(
            "svc-000",
            make_svc_000,
            "SVC, RBF, gamma='auto' (article 000's svm.SVC())",
            True,
            False,
            "libsvm",
        ),
        Baseline(
            "svc", make_svc, "SVC, RBF, gamma='scale' (today's default)", True, False, "libsvm"
        ),
        Baseline(
            "svc-000-onedal",
            make_svc_000_onedal,
            "svc-000 fitted by oneDAL (scikit-learn-intelex)",
            True,
            False,
            "oneDAL",
            extra="onedal",
            available=onedal_available,
        ),
        Baseline(
            "svc-onedal",
            make_svc_onedal,
            "svc fitted by oneDAL (scikit-learn-intelex)",
            True,
            False,
            "oneDAL",
            extra="onedal",
            available=onedal_available,
        ),
        Baseline(
            "mlp",
            make_mlp,
            "scikit-learn MLPClassifier mirroring the network",
            False,
            True,
            "scikit-learn",
        ),
        Baseline(
            "mlp-defaults",
            make_mlp_defaults,
            "scikit-learn MLPClassifier at its defaults (relu, adam, its own stopping rule)",
            False,
            False,
            "scikit-learn",
        ),
        Baseline(
            "linear",
            make_linear,
            "multinomial logistic regression (the floor)",
            True,
            False,
            "scikit-learn",
        ),
        Baseline(
            "torch-mlp",
            TorchNetworkClassifier.from_mirror,
            "the network trained by PyTorch on the CPU",
            False,
            True,
            "PyTorch",
            extra="torch",
            available=torch_available,
        ),
        Baseline(
            "jax-mlp",
            JaxNetworkClassifier.from_mirror,
            "the network trained by JAX (jit, lax.scan) on the CPU: nets' weights and order",
            False,
            True,
            "JAX",
            extra="jax",
            available=jax_available,
        ),
    )
}


ONEDAL_TWINS: dict[str, str] = {
    name.removesuffix("-onedal"): name for name, b in BASELINES.items() if b.engine == "oneDAL"
}
"""Each SVC's twin fitted by oneDAL: ``svc-000`` -> ``svc-000-onedal``, ``svc`` -> its own."""


def make_baseline(name: str, mirror: Mirror, seed: int | None = None) -> Any:
    """The unfitted estimator of baseline ``name``, configured from ``mirror`` and ``seed``.

    Unknown names raise ``ValueError`` listing the valid ones; a baseline whose optional
    dependency is missing raises ``MissingDependency`` saying how to install it.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
    baseline = BASELINES[name]
    if not baseline.available():
        raise MissingDependency(
            f"{name} needs the optional '{baseline.extra}' dependency, which is not installed: "
            f'pip install "backprop-bench[{baseline.extra}]"'
        )
    return baseline.make(mirror, seed)
