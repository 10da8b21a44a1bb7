"""What every gradient routine shares: the result type, input checks and the output error."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nets.network import Network

Array = np.ndarray


class Gradient(NamedTuple):
    """dC/dweights and dC/dbiases, shaped like ``network.weights`` and ``network.biases``.

    C is the cost SUMMED over the samples of the batch. The arrays are new: the caller may
    modify them.
    """

    weights: list[Array]
    biases: list[Array]


def check_batch(network: Network, X: object, Y: object) -> tuple[Array, Array]:
    """X (n, sizes[0]) and Y (n, sizes[-1]) as arrays of the network's dtype, shapes checked."""
    X = network.check_inputs(X)
    return X, network.check_targets(Y, X.shape[0])


def output_delta(network: Network, a: Array, y: Array) -> Array:
    """δ_L = dC/dz_L (BP1) from the output activations a and the targets y, same shape.

    ∇_a C ⊙ σ'(z_L) in general; for a cross-entropy after its own output activation the two
    are one loss and δ_L = a − y (``nets.costs.OUTPUT_LOSSES``).
    """
    if network.output_loss is not None:
        return network.output_loss.delta(a, y)
    return network.layer_activations[-1].backward(a, network.cost_function.derivative(a, y))
