"""One example at a time, vectorised within the example (Nielsen's backprop, seed 002).

Each sample's forward pass and backward pass use vectors; its weight gradient is the outer
product a_{l−1} ⊗ δ_l. The per-sample gradients are summed over the batch, which is what
the Python-level loop over samples costs compared with :mod:`nets.gradients.vectorised`.
"""

from __future__ import annotations

import numpy as np

from nets.gradients.base import Gradient, check_batch, output_delta
from nets.network import Network


def per_sample(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the summed cost over the batch. X: (n, sizes[0]), Y: (n, sizes[-1])."""
    X, Y = check_batch(network, X, Y)
    # Row-major sums, the order of the np.outer products added into them (not the weights').
    grad_weights = [np.zeros(weights.shape, weights.dtype) for weights in network.weights]
    grad_biases = [np.zeros_like(biases) for biases in network.biases]
    layers = list(zip(network.weights, network.biases, network.layer_activations, strict=True))
    for x, y in zip(X, Y, strict=True):
        activations = [x]  # (sizes[l],) vectors
        for weights, biases, activation in layers:
            activations.append(activation(activations[-1] @ weights + biases))
        delta = output_delta(network, activations[-1], y)
        for layer in range(len(layers) - 1, -1, -1):
            grad_weights[layer] += np.outer(activations[layer], delta)
            grad_biases[layer] += delta
            if layer > 0:
                grad_a = network.weights[layer] @ delta
                delta = network.layer_activations[layer - 1].backward(activations[layer], grad_a)
    return Gradient(grad_weights, grad_biases)
