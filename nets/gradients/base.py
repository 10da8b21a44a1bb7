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


def output_delta(network: Network, a: Array, y: Array, overwrite_a: bool = False) -> Array:
    """δ_L = dC/dz_L from the output activations a and targets y, rows or a single row.

    With ``overwrite_a=True`` the memory of ``a`` may be used (for δ_L or as scratch).
    """
    loss = network.output_loss
    if loss is not None:  # a cross-entropy after its own output activation (nets.costs)
        return loss.delta(a, y, out=a if overwrite_a else None)
    grad_a = network.cost_function.gradient(a, y)
    backward = network.layer_activations[-1].backward
    return backward(a, grad_a, out=grad_a, overwrite_a=overwrite_a)
