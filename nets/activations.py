"""Activation functions, each beside its derivative, looked up by name in ``ACTIVATIONS``.

Every derivative is written in terms of the layer's OUTPUT ``a = f(z)``, not its input ``z``
(σ'(z) = a (1 − a)): the backward pass then needs only what the forward pass kept.
``backward(a, grad_a)`` turns dC/da into dC/dz: ``grad_a * derivative(a)`` for the elementwise
functions; softmax couples its outputs, so its derivative is a Jacobian and only its backward
step is given.

Shapes: ``z``, ``a`` and ``grad_a`` are (n_units, n_samples) -- samples are columns, as
everywhere inside ``nets`` -- or (n_units,) for one sample. Softmax normalises over the units
(axis 0). Every function returns a new array and leaves its inputs alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


def _largest_exponent(dtype: np.dtype) -> float:
    """The largest whole x, less one, for which e^x is finite in ``dtype`` (708 in float64)."""
    return float(np.floor(np.log(np.finfo(dtype).max))) - 1.0


_EXP_LIMITS = {np.dtype(t): _largest_exponent(np.dtype(t)) for t in (np.float32, np.float64)}


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)).

    The exponent is capped where e^(−z) would overflow (z below −708 in float64, −87 in
    float32): σ(z) is then about 1e-308 (1e-38) instead of a smaller number, an absolute error
    no larger than that, and no overflow warning.
    """
    z = np.asanyarray(z)
    limit = _EXP_LIMITS.get(z.dtype, _EXP_LIMITS[np.dtype(np.float64)])
    return 1.0 / (1.0 + np.exp(np.minimum(-z, limit)))


def sigmoid_derivative(a: Array) -> Array:
    """σ'(z) written in terms of the output a = σ(z): a (1 − a)."""
    return a * (1.0 - a)


def tanh(z: Array) -> Array:
    """tanh(z), stable for any z (it saturates at ±1)."""
    return np.tanh(z)


def tanh_derivative(a: Array) -> Array:
    """tanh'(z) written in terms of the output a = tanh(z): 1 − a²."""
    return 1.0 - a * a


def relu(z: Array) -> Array:
    """max(z, 0)."""
    return np.maximum(z, 0.0)


def relu_derivative(a: Array) -> Array:
    """relu'(z) written in terms of the output a = max(z, 0): 1 where a > 0, else 0.

    At the kink z = 0 the derivative is taken as 0.
    """
    return (a > 0).astype(a.dtype)


def identity(z: Array) -> Array:
    """z itself (a copy)."""
    return np.array(z)


def identity_derivative(a: Array) -> Array:
    """identity'(z) = 1 everywhere."""
    return np.ones_like(a)


def softmax(z: Array) -> Array:
    """softmax over the units (axis 0): e^(z_j − max z) / Σ_k e^(z_k − max z).

    Subtracting each sample's maximum first changes nothing mathematically and keeps every
    exponent <= 0, so nothing overflows and each column still sums to 1.
    """
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def softmax_backward(a: Array, grad_a: Array) -> Array:
    """dC/dz = a ⊙ (dC/da − Σ_k dC/da_k a_k), the Jacobian-vector product of softmax.

    Written in terms of the OUTPUT a = softmax(z): ∂a_k/∂z_j = a_k (δ_kj − a_j).
    """
    return a * (grad_a - np.sum(grad_a * a, axis=0, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """One activation: the function, its derivative in terms of its output, its backward step.

    ``derivative`` is None for softmax, whose derivative is a Jacobian; ``backward(a, grad_a)``
    gives dC/dz from dC/da for every activation.
    """

    name: str
    function: Callable[[Array], Array]
    derivative: Callable[[Array], Array] | None
    jacobian_backward: Callable[[Array, Array], Array] | None = None

    def __call__(self, z: Array) -> Array:
        return self.function(z)

    def backward(self, a: Array, grad_a: Array) -> Array:
        """dC/dz from dC/da: ``grad_a ⊙ f'(z)``, or the Jacobian product for softmax."""
        if self.jacobian_backward is not None:
            return self.jacobian_backward(a, grad_a)
        return grad_a * self.derivative(a)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative),
    "tanh": Activation("tanh", tanh, tanh_derivative),
    "relu": Activation("relu", relu, relu_derivative),
    "identity": Activation("identity", identity, identity_derivative),
    "softmax": Activation("softmax", softmax, None, softmax_backward),
}

#: The derivative of every elementwise activation, by name, in terms of its output a.
DERIVATIVES: dict[str, Callable[[Array], Array]] = {
    name: activation.derivative
    for name, activation in ACTIVATIONS.items()
    if activation.derivative is not None
}

#: Activations allowed between layers (softmax only makes sense on the output).
HIDDEN_ACTIVATIONS: tuple[str, ...] = ("sigmoid", "tanh", "relu", "identity")
