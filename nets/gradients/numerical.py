"""Central differences over every parameter (articles 002 and 003), computed in float64.

dC/dθ_i ≈ (C(θ + ε e_i) − C(θ − ε e_i)) / (2ε), with C the summed cost. Two forward passes
per parameter: a check of backprop, far too slow to train with.
"""

from __future__ import annotations

import numpy as np

from nets.gradients.base import Gradient, check_batch
from nets.network import Network

#: Step ε. The truncation error is O(ε²) and the rounding error O(u·|C|/ε), u ≈ 1e-16.
EPSILON = 1e-6


def numerical_gradient(
    network: Network, X: np.ndarray, Y: np.ndarray, epsilon: float = EPSILON
) -> Gradient:
    """Central-difference gradient of the summed cost, in float64, cast to the network's dtype.

    X: (n, sizes[0]), Y: (n, sizes[-1]). The network itself is not touched: a float64 copy
    is perturbed one parameter at a time.
    """
    X, Y = check_batch(network, X, Y)
    probe = Network.from_parameters(
        {**network.config(), "dtype": "float64"}, network.weights, network.biases
    )
    A, Y = X.T.astype(np.float64), Y.T.astype(np.float64)  # samples as columns

    def cost() -> float:
        zs, activations = probe.feedforward(A)
        return probe.summed_cost(zs[-1], activations[-1], Y)

    def differentiate(parameter: np.ndarray) -> np.ndarray:
        grad = np.empty_like(parameter)
        for i in np.ndindex(parameter.shape):  # writing parameter[i] perturbs the network
            original = parameter[i]
            parameter[i] = original + epsilon
            cost_plus = cost()
            parameter[i] = original - epsilon
            cost_minus = cost()
            parameter[i] = original
            grad[i] = (cost_plus - cost_minus) / (2.0 * epsilon)
        return grad.astype(network.dtype)

    return Gradient(
        [differentiate(weights) for weights in probe.weights],
        [differentiate(biases) for biases in probe.biases],
    )


def numerical(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """The registry's numerical routine: :func:`numerical_gradient` with ε = EPSILON."""
    return numerical_gradient(network, X, Y)
