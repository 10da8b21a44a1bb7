"""Pure-Python loops over samples, units and weights: article 001's "slow way" (ret1).

No NumPy call inside the loops: the parameters and data become nested lists (``.tolist()``)
first, the arithmetic uses floats and the ``math`` module, and the sums go back into arrays
at the end. Each activation and cost below is the scalar twin of the one in
:mod:`nets.activations` / :mod:`nets.costs`; derivatives are again in terms of the output a.
"""

from __future__ import annotations

import math

import numpy as np

from nets.gradients.base import Gradient, check_batch
from nets.network import Network


def _sigmoid(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * z))  # cannot overflow, unlike 1 / (1 + exp(-z))


def _sigmoid_derivative(a: float) -> float:
    return a * (1.0 - a)


def _tanh_derivative(a: float) -> float:
    return 1.0 - a * a


def _relu(z: float) -> float:
    return z if z > 0.0 else 0.0


def _relu_derivative(a: float) -> float:
    return 1.0 if a > 0.0 else 0.0


def _identity(z: float) -> float:
    return z


def _identity_derivative(a: float) -> float:
    return 1.0


# name -> (f(z), f'(z) written in terms of a = f(z)); softmax is handled on whole rows.
_ELEMENTWISE = {
    "sigmoid": (_sigmoid, _sigmoid_derivative),
    "tanh": (math.tanh, _tanh_derivative),
    "relu": (_relu, _relu_derivative),
    "identity": (_identity, _identity_derivative),
}


def _activate(name: str, z: list[float]) -> list[float]:
    if name == "softmax":
        top = max(z)
        exps = [math.exp(z_j - top) for z_j in z]
        total = sum(exps)
        return [e / total for e in exps]
    function, _ = _ELEMENTWISE[name]
    return [function(z_j) for z_j in z]


def _backward(name: str, a: list[float], grad_a: list[float]) -> list[float]:
    """dC/dz from the output a and dC/da, one unit at a time."""
    if name == "softmax":
        projection = 0.0
        for a_k, g_k in zip(a, grad_a, strict=True):
            projection += g_k * a_k
        return [a_j * (g_j - projection) for a_j, g_j in zip(a, grad_a, strict=True)]
    _, derivative = _ELEMENTWISE[name]
    return [g_j * derivative(a_j) for a_j, g_j in zip(a, grad_a, strict=True)]


def _output_delta(output: str, cost: str, a: list[float], y: list[float]) -> list[float]:
    """δ_L = dC/dz_L for one sample, as nets.costs computes it for the whole batch."""
    if cost == "quadratic":  # dC/da = a − y, then back through the output activation
        return _backward(output, a, [a_j - y_j for a_j, y_j in zip(a, y, strict=True)])
    # a cross-entropy after its own output activation: (Σ_k y_k) a − y for softmax, a − y for
    # sigmoid (nets.costs.OUTPUT_LOSSES)
    total = sum(y) if output == "softmax" else 1.0
    return [total * a_j - y_j for a_j, y_j in zip(a, y, strict=True)]


def loop(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the cost summed over the batch. X: (n, sizes[0]), Y: (n, sizes[-1]) rows."""
    X, Y = check_batch(network, X, Y)
    weights = [w.tolist() for w in network.weights]  # weights[l][j][i]: unit i -> unit j
    biases = [b[:, 0].tolist() for b in network.biases]
    names = [activation.name for activation in network.layer_activations]
    sizes = network.sizes
    n_layers = len(weights)
    grad_w = [[[0.0] * sizes[l] for _ in range(sizes[l + 1])] for l in range(n_layers)]
    grad_b = [[0.0] * sizes[l + 1] for l in range(n_layers)]

    for x, y in zip(X.tolist(), Y.tolist(), strict=True):
        # forward: z_j = b_j + Σ_i W_ji a_i, a = f(z)
        activations = [x]
        for l in range(n_layers):
            a_prev, z = activations[l], []
            for j in range(sizes[l + 1]):
                total = biases[l][j]
                for i in range(sizes[l]):
                    total += weights[l][j][i] * a_prev[i]
                z.append(total)
            activations.append(_activate(names[l], z))

        delta = _output_delta(names[-1], network.cost_name, activations[-1], y)  # BP1

        # backward: dC/dW_ji += δ_j a_i (BP4), dC/db_j += δ_j (BP3), then δ one layer down (BP2)
        for l in range(n_layers - 1, -1, -1):
            a_prev = activations[l]
            for j in range(sizes[l + 1]):
                for i in range(sizes[l]):
                    grad_w[l][j][i] += delta[j] * a_prev[i]
                grad_b[l][j] += delta[j]
            if l > 0:
                grad_a = []
                for i in range(sizes[l]):
                    total = 0.0
                    for j in range(sizes[l + 1]):
                        total += weights[l][j][i] * delta[j]
                    grad_a.append(total)
                delta = _backward(names[l - 1], activations[l], grad_a)

    return Gradient(
        [np.array(g, dtype=network.dtype) for g in grad_w],
        [np.array(g, dtype=network.dtype)[:, np.newaxis] for g in grad_b],
    )
