"""The whole batch at once as matrix products (seed 000; seed 001's "fastest").

With rows as samples, the four backprop equations become, for the batch (n rows):

    δ_L = ∇_a C ⊙ f'(z_L)                 (or a − y, see nets.costs.FUSED_DELTA)
    δ_l = (δ_{l+1} @ W_{l+1}ᵀ) ⊙ f'(z_l)
    dC/db_l = Σ_rows δ_l
    dC/dW_l = a_{l−1}ᵀ @ δ_l

This is the routine training uses, so it is kept lean:

- the forward pass stores only the activations (each f' is computed from them);
- the elementwise steps work in place, block by block of rows (nets.layout) so consecutive
  passes hit the cache, and the backward step uses the spent activations as scratch;
- tall, thin weight gradients are computed transposed (nets.layout.matmul);
- the activations and the δ @ Wᵀ products are written into scratch buffers kept per network
  (and per thread) between calls, instead of fresh arrays: allocating and first touching
  megabytes of memory at every step costs more than the elementwise arithmetic itself;
- the bias gradient Σ_rows δ is a matrix-vector product.

The returned Gradient is always made of new arrays.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from nets.gradients.base import Gradient, check_batch, output_delta
from nets.layout import matmul, row_blocks
from nets.network import Network

#: Largest scratch space kept between calls, per network and thread; beyond it, fresh arrays.
SCRATCH_LIMIT_BYTES = 256 * 2**20

_local = threading.local()


def _scratch(network: Network, n: int) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """(activation buffers (n, sizes[l]) for l >= 1, δ @ Wᵀ buffers for the hidden layers).

    Kept for the largest batch seen so far and handed out as their first n rows; None when
    they would be larger than SCRATCH_LIMIT_BYTES.
    """
    sizes = network.sizes
    if n * (sum(sizes[1:]) + sum(sizes[1:-1])) * network.dtype.itemsize > SCRATCH_LIMIT_BYTES:
        return None
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = weakref.WeakKeyDictionary()
    buffers = cache.get(network)
    if buffers is None or buffers[0][0].shape[0] < n:
        buffers = cache[network] = (
            [np.empty((n, size), dtype=network.dtype) for size in sizes[1:]],
            [np.empty((n, size), dtype=network.dtype) for size in sizes[1:-1]],
        )
    return [b[:n] for b in buffers[0]], [b[:n] for b in buffers[1]]


def vectorised(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the summed cost over the batch. X: (n, sizes[0]), Y: (n, sizes[-1])."""
    X, Y = check_batch(network, X, Y)
    n = X.shape[0]
    scratch = _scratch(network, n)
    activation_buffers, product_buffers = scratch if scratch else (None, None)
    activations = network.forward_activations(X, out=activation_buffers)
    delta = output_delta(network, activations[-1], Y)
    n_layers = len(network.weights)
    grad_weights: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    grad_biases: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    ones = np.ones(n, dtype=network.dtype)
    for layer in range(n_layers - 1, -1, -1):
        grad_weights[layer] = matmul(activations[layer].T, delta)
        grad_biases[layer] = ones @ delta  # Σ_rows δ, as a matrix-vector product (faster)
        if layer > 0:
            out = None if product_buffers is None else product_buffers[layer - 1]
            grad_a = np.matmul(delta, network.weights[layer].T, out=out)
            a, backward = activations[layer], network.layer_activations[layer - 1].backward
            for rows in row_blocks(grad_a):
                # δ = grad_a ⊙ f'(a) in place; a is not needed after this, so it is scratch.
                backward(a[rows], grad_a[rows], out=grad_a[rows], overwrite_a=True)
            delta = grad_a
    return Gradient(grad_weights, grad_biases)
