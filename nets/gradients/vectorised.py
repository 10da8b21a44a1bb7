"""The whole batch at once as matrix products (seed 000; seed 001's "fastest").

With rows as samples, the four backprop equations become, for the batch (n rows):

    δ_L = ∇_a C ⊙ f'(z_L)                 (or a − y, see nets.costs.FUSED_DELTA)
    δ_l = (δ_{l+1} @ W_{l+1}ᵀ) ⊙ f'(z_l)
    dC/db_l = Σ_rows δ_l
    dC/dW_l = a_{l−1}ᵀ @ δ_l

This is the routine training uses, so it is kept lean: the forward pass stores only the
activations (f' is computed from them), and the elementwise steps write in place into the
fresh δ @ Wᵀ product instead of allocating.
"""

from __future__ import annotations

import numpy as np

from nets.gradients.base import Gradient, check_batch, output_delta
from nets.network import Network


def vectorised(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the summed cost over the batch. X: (n, sizes[0]), Y: (n, sizes[-1])."""
    X, Y = check_batch(network, X, Y)
    activations = network.forward_activations(X)
    delta = output_delta(network, activations[-1], Y)
    n_layers = len(network.weights)
    grad_weights: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    grad_biases: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    for layer in range(n_layers - 1, -1, -1):
        grad_weights[layer] = activations[layer].T @ delta
        grad_biases[layer] = delta.sum(axis=0)
        if layer > 0:
            grad_a = delta @ network.weights[layer].T
            delta = network.layer_activations[layer - 1].backward(
                activations[layer], grad_a, out=grad_a
            )
    return Gradient(grad_weights, grad_biases)
