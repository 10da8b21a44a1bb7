"""One sample at a time, vectorised within the sample (Nielsen's backprop; article 001's ret3).

Each sample is a column vector (units, 1); its forward and backward passes are matrix-vector
products and its weight gradient the outer product δ_l a_{l−1}ᵀ. The per-sample gradients are
summed over the batch: the Python loop over samples is what this routine costs compared with
:mod:`nets.gradients.vectorised`.
"""

from __future__ import annotations

import numpy as np

from nets.gradients.base import Gradient, check_batch, output_delta
from nets.network import Network


def per_sample(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the cost summed over the batch. X: (n, sizes[0]), Y: (n, sizes[-1]) rows."""
    X, Y = check_batch(network, X, Y)
    grad_weights = [np.zeros_like(weights) for weights in network.weights]
    grad_biases = [np.zeros_like(biases) for biases in network.biases]
    for x, y in zip(X, Y, strict=True):
        _, activations = network.feedforward(x[:, np.newaxis])  # one column
        delta = output_delta(network, activations[-1], y[:, np.newaxis])  # BP1
        for l in range(len(network.weights) - 1, -1, -1):
            grad_biases[l] += delta  # BP3
            grad_weights[l] += delta @ activations[l].T  # BP4: an outer product
            if l > 0:  # BP2
                grad_a = network.weights[l].T @ delta
                delta = network.layer_activations[l - 1].backward(activations[l], grad_a)
    return Gradient(grad_weights, grad_biases)
