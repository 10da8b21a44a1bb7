"""Cost functions, each beside its derivative with respect to the output activation.

``value(a, y)`` is the cost SUMMED over the samples of the batch (not the mean: the gradient
routines and training decide any averaging). ``derivative(a, y)`` is dC/da (the ∇_a C of
the first backpropagation equation), same shape as ``a``.
Shapes: ``a`` and ``y`` are (n_outputs, n_samples) -- samples are columns -- or (n_outputs,)
for one sample.

The cross-entropies written from ``a`` take logs of ``a`` clipped to [eps, 1 − eps], which
flattens them where an output saturates. A network never uses those forms: a cross-entropy
only ever follows its own output activation (binary cross-entropy a sigmoid, cross-entropy a
softmax), and the pair is one function of the output layer's weighted input z, in
``OUTPUT_LOSSES`` below: its value from z (softplus, log-sum-exp: exact for any z, no clip)
and its gradient dC/dz, so value, central differences and backprop agree at any |z|.
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
    return 0.5 * float(np.sum((a - y) ** 2))


def quadratic_derivative(a: Array, y: Array) -> Array:
    """dC/da = a − y."""
    return a - y


def binary_cross_entropy(a: Array, y: Array) -> float:
    """C = −Σ [y log a + (1 − y) log(1 − a)], for sigmoid outputs a in (0, 1)."""
    a = _clip(a)
    return -float(np.sum(y * np.log(a) + (1.0 - y) * np.log1p(-a)))


def binary_cross_entropy_derivative(a: Array, y: Array) -> Array:
    """dC/da = (a − y) / (a (1 − a))."""
    a = _clip(a)
    return (a - y) / (a * (1.0 - a))


def cross_entropy(a: Array, y: Array) -> float:
    """C = −Σ y log a, the log-loss of softmax outputs against one-hot (or probability) rows."""
    return -float(np.sum(y * np.log(_clip(a))))


def cross_entropy_derivative(a: Array, y: Array) -> Array:
    """dC/da = −y / a."""
    return -y / _clip(a)


@dataclass(frozen=True)
class Cost:
    """A cost: its summed value, its derivative dC/da, and the output activations it suits."""

    name: str
    value: Callable[[Array, Array], float]
    derivative: Callable[[Array, Array], Array]
    outputs: tuple[str, ...]

    def __call__(self, a: Array, y: Array) -> float:
        return self.value(a, y)


COSTS: dict[str, Cost] = {
    "quadratic": Cost(
        "quadratic",
        quadratic,
        quadratic_derivative,
        ("sigmoid", "tanh", "relu", "identity", "softmax"),
    ),
    "binary_cross_entropy": Cost(
        "binary_cross_entropy", binary_cross_entropy, binary_cross_entropy_derivative, ("sigmoid",)
    ),
    "cross_entropy": Cost("cross_entropy", cross_entropy, cross_entropy_derivative, ("softmax",)),
}


def sigmoid_binary_cross_entropy(z: Array, y: Array) -> float:
    """Binary cross-entropy of a = σ(z), from z: C = Σ softplus(z) − y z.

    −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, since log σ(z) = −softplus(−z),
    log(1 − σ(z)) = −softplus(z) and softplus(−z) = softplus(z) − z.
    """
    return float(np.sum(np.logaddexp(0.0, z) - y * z))


def sigmoid_binary_cross_entropy_delta(a: Array, y: Array) -> Array:
    """δ = dC/dz = σ(z) − y = a − y, for any targets y."""
    return a - y


def softmax_cross_entropy(z: Array, y: Array) -> float:
    """Cross-entropy of a = softmax(z), from z: C = Σ_samples (Σ_k y_k) logsumexp(z) − Σ_k y_k z_k.

    −Σ_k y_k log softmax(z)_k with log softmax(z)_k = z_k − logsumexp(z), over the units (axis
    0); each sample's maximum is taken out before exponentiating, so nothing overflows.
    """
    top = np.max(z, axis=0)
    log_sum_exp = np.log(np.sum(np.exp(z - top), axis=0)) + top
    return float(np.sum(np.sum(y, axis=0) * log_sum_exp - np.sum(y * z, axis=0)))


def softmax_cross_entropy_delta(a: Array, y: Array) -> Array:
    """δ = dC/dz = (Σ_k y_k) a − y: a − y when each target sums to 1 (one-hot labels).

    Targets that are not probability vectors get this general gradient, never a − y.
    """
    return np.sum(y, axis=0) * a - y


@dataclass(frozen=True)
class OutputLoss:
    """An output activation and a cost taken together, as one function of z_L.

    ``value(z, y)`` is the summed cost from the weighted input z of the output layer;
    ``delta(a, y)`` is δ_L = dC/dz_L from the output a = f(z).
    """

    value: Callable[[Array, Array], float]
    delta: Callable[[Array, Array], Array]


#: (output activation, cost) -> the pair as one loss of z_L. Every pairing a Network accepts
#: with a cross-entropy is here; for the others (the quadratic cost) δ_L = backward(a, dC/da).
OUTPUT_LOSSES: dict[tuple[str, str], OutputLoss] = {
    ("sigmoid", "binary_cross_entropy"): OutputLoss(
        sigmoid_binary_cross_entropy, sigmoid_binary_cross_entropy_delta
    ),
    ("softmax", "cross_entropy"): OutputLoss(softmax_cross_entropy, softmax_cross_entropy_delta),
}
