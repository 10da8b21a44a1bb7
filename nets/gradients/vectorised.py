"""The whole batch at once, as matrix products (article 000; article 001's "fastest" ret4).

Samples are the columns of ``a``, so the four backprop equations read for the batch exactly as
they do for one sample, with sums over the batch where a sample's gradient had one term:

    BP1  δ_L = ∇_a C ⊙ σ'(z_L)                (a − y for a cross-entropy: nets.costs)
    BP2  δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l)
    BP3  ∂C/∂b_l = Σ_samples δ_l
    BP4  ∂C/∂W_l = δ_l a_{l−1}ᵀ

Nothing here is tuned: every step allocates its arrays, and the forward pass keeps both z
and a. It is the routine training uses.
"""

from __future__ import annotations

import numpy as np

from nets.gradients.base import Gradient, check_batch, output_delta
from nets.network import Network


def vectorised(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the cost summed over the batch. X: (n, sizes[0]), Y: (n, sizes[-1]) rows."""
    X, Y = check_batch(network, X, Y)
    _, activations = network.feedforward(X.T)  # samples become columns; σ' is written from a
    n_layers = len(network.weights)
    grad_weights: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    grad_biases: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]

    delta = output_delta(network, activations[-1], Y.T)  # BP1
    for l in range(n_layers - 1, -1, -1):
        grad_biases[l] = np.sum(delta, axis=1, keepdims=True)  # BP3
        grad_weights[l] = delta @ activations[l].T  # BP4
        if l > 0:
            grad_a = network.weights[l].T @ delta  # BP2: back through W_{l+1} ...
            delta = network.layer_activations[l - 1].backward(activations[l], grad_a)  # ⊙ σ'
    return Gradient(grad_weights, grad_biases)
