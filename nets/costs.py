"""Cost functions, each beside its gradient with respect to the output activation.

``value(a, y)`` is the cost SUMMED over the samples of the batch (not the mean: the gradient
routines and training decide any averaging). ``gradient(a, y)`` is dC/da, same shape as ``a``.
Shapes: ``a`` and ``y`` are (n_samples, n_outputs), or (n_outputs,) for one sample.

Logs are taken of ``a`` clipped to [eps, 1 − eps] (eps the dtype's machine epsilon), so the
cross-entropies stay finite even for saturated outputs; the clip only guards the logarithm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def _clip(a: Array) -> Array:
    eps = np.finfo(a.dtype).eps if np.issubdtype(a.dtype, np.floating) else 1e-16
    return np.clip(a, eps, 1.0 - eps)


def quadratic(a: Array, y: Array) -> float:
    """C = Σ_samples ½ ‖a − y‖²."""
    error = np.subtract(a, y).ravel()
    return 0.5 * float(np.dot(error, error))


def quadratic_gradient(a: Array, y: Array) -> Array:
    """dC/da = a − y."""
    return np.subtract(a, y)


def binary_cross_entropy(a: Array, y: Array) -> float:
    """C = −Σ [y log a + (1 − y) log(1 − a)], for sigmoid outputs a in (0, 1)."""
    a = _clip(a)
    return -float(np.sum(y * np.log(a) + (1.0 - y) * np.log1p(-a)))


def binary_cross_entropy_gradient(a: Array, y: Array) -> Array:
    """dC/da = (a − y) / (a (1 − a))."""
    a = _clip(a)
    return (a - y) / (a * (1.0 - a))


def cross_entropy(a: Array, y: Array) -> float:
    """C = −Σ y log a, the log-loss of softmax outputs against one-hot (or probability) rows."""
    return -float(np.sum(y * np.log(_clip(a))))


def cross_entropy_gradient(a: Array, y: Array) -> Array:
    """dC/da = −y / a."""
    return -y / _clip(a)


@dataclass(frozen=True)
class Cost:
    """A cost: its summed value, its gradient dC/da, and the output activations it suits."""

    name: str
    value: Callable[[Array, Array], float]
    gradient: Callable[[Array, Array], Array]
    outputs: tuple[str, ...]

    def __call__(self, a: Array, y: Array) -> float:
        return self.value(a, y)


COSTS: dict[str, Cost] = {
    "quadratic": Cost(
        "quadratic",
        quadratic,
        quadratic_gradient,
        ("sigmoid", "tanh", "relu", "identity", "softmax"),
    ),
    "binary_cross_entropy": Cost(
        "binary_cross_entropy", binary_cross_entropy, binary_cross_entropy_gradient, ("sigmoid",)
    ),
    "cross_entropy": Cost("cross_entropy", cross_entropy, cross_entropy_gradient, ("softmax",)),
}

# The output error δ_L = dC/dz_L collapses to a − y for exactly these (output, cost) pairs:
# - sigmoid + binary_cross_entropy: (a − y) / (a (1 − a)) · a (1 − a) = a − y, for any y in [0, 1];
# - softmax + cross_entropy: a ⊙ (−y/a − Σ_k (−y_k/a_k) a_k) = −y + a Σ_k y_k = a − y, which
#   needs every target row to sum to 1 (one-hot labels, or any probability vector).
# Everywhere else δ_L = backward(a, dC/da). (Where the clip above bites, a − y is the gradient
# of the unclipped cost.)
FUSED_DELTA: frozenset[tuple[str, str]] = frozenset(
    {("sigmoid", "binary_cross_entropy"), ("softmax", "cross_entropy")}
)
