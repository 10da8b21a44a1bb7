"""The whole batch at once as matrix products (seed 000; seed 001's "fastest").

With rows as samples, the four backprop equations become, for the batch (n rows):

    δ_L = ∇_a C ⊙ f'(z_L)                 (or a − y, see nets.costs.FUSED_DELTA)
    δ_l = (δ_{l+1} @ W_{l+1}ᵀ) ⊙ f'(z_l)
    dC/db_l = Σ_rows δ_l
    dC/dW_l = a_{l−1}ᵀ @ δ_l

``backward_pass`` computes them layer by layer; ``vectorised`` (the registered routine)
collects its gradients into a Gradient, and training (``nets.training``) updates each layer
as soon as its gradient is out. It is the routine training uses, so it is kept lean:

- the forward pass stores only the activations (each f' is computed from them);
- every product is computed column-major (nets.layout.matmul), the weights' own layout, so
  the weight gradients come out in the order the update needs;
- the elementwise steps work in place, block by block (nets.layout) so consecutive
  passes hit the cache, and the backward step uses the spent activations as scratch;
- the activations and the δ @ Wᵀ products are written into scratch buffers kept per network
  (and per thread) between calls, instead of fresh arrays: allocating and first touching
  megabytes of memory at every step costs more than the elementwise arithmetic itself;
- a constant factor s of the gradients (training's step η) is applied once, to δ_L: every
  other quantity of the backward pass is linear in δ_L, so all of them come out times s.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from nets.gradients.base import Gradient, check_batch, output_delta
from nets.layout import blocks, column_sums, matmul
from nets.network import Network

#: Largest scratch space kept between calls, per network and thread; beyond it, fresh arrays.
SCRATCH_LIMIT_BYTES = 256 * 2**20

_local = threading.local()


class _Scratch(NamedTuple):
    n: int  # the batch size the views are for
    flat: list[np.ndarray]  # one buffer per activation, then per δ @ Wᵀ product
    views: tuple[list[np.ndarray], list[np.ndarray]]
    gradients: tuple[list[np.ndarray], list[np.ndarray]]  # for callers that do not keep them


def _scratch(network: Network, n: int) -> _Scratch | None:
    """Buffers for a batch of n: activations (n, sizes[l]) for l >= 1, δ @ Wᵀ products for the
    hidden layers, and one set of gradient arrays shaped (and laid out) like the parameters.

    Column-major views of flat buffers kept for the largest batch seen so far (the views for
    the last n asked for are kept too: training asks for the same n batch after batch); None
    when they would be larger than SCRATCH_LIMIT_BYTES.
    """
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = weakref.WeakKeyDictionary()
    kept = cache.get(network)
    if kept is not None and kept.n == n:
        return kept
    sizes = network.sizes
    widths = (*sizes[1:], *sizes[1:-1])  # activations, then the δ @ Wᵀ products
    if n * sum(widths) * network.dtype.itemsize > SCRATCH_LIMIT_BYTES:
        return None
    if kept is None:
        flat = [np.empty(n * width, dtype=network.dtype) for width in widths]
        gradients = (
            [np.empty_like(weights, order="F") for weights in network.weights],
            [np.empty_like(biases) for biases in network.biases],
        )
    else:
        gradients = kept.gradients
        flat = kept.flat
        if flat[0].size < n * widths[0]:
            flat = [np.empty(n * width, dtype=network.dtype) for width in widths]
    views = [b[: n * width].reshape(width, n).T for b, width in zip(flat, widths, strict=True)]
    split = len(sizes) - 1
    cache[network] = _Scratch(n, flat, (views[:split], views[split:]), gradients)
    return cache[network]


def backward_pass(
    network: Network, X: np.ndarray, Y: np.ndarray, *, scale: float = 1.0, keep: bool = True
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (layer, s · dC/dW_layer, s · dC/db_layer) from the last layer to the first.

    C is the cost summed over the batch (X: (n, sizes[0]), Y: (n, sizes[-1])), s is
    ``scale``. A layer's gradients are yielded once the error has been propagated through its
    weights: the caller may change that layer's parameters in place before asking for the
    next. With ``keep=False`` the gradients are scratch arrays, valid until the next pass on
    this network (a caller that applies them at once allocates nothing); otherwise new arrays.
    """
    X, Y = check_batch(network, X, Y)
    Y = np.asfortranarray(Y)  # so that δ_L, computed from a_L and Y, is column-major too
    scratch = _scratch(network, X.shape[0])
    activation_buffers, product_buffers = scratch.views if scratch else (None, None)
    reuse = scratch is not None and not keep
    activations = network.forward_activations(X, out=activation_buffers)
    delta = output_delta(network, activations[-1], Y, overwrite_a=True)
    if scale != 1.0:
        delta *= scale
    for layer in range(len(network.weights) - 1, -1, -1):
        if layer > 0:
            out = None if product_buffers is None else product_buffers[layer - 1]
            grad_a = matmul(delta, network.weights[layer].T, out=out)
        grad_weights = matmul(
            activations[layer].T, delta, out=scratch.gradients[0][layer] if reuse else None
        )
        grad_biases = column_sums(delta, out=scratch.gradients[1][layer] if reuse else None)
        yield layer, grad_weights, grad_biases
        if layer > 0:
            # δ = grad_a ⊙ f'(a) in place; a is not needed after this, so it is scratch.
            a, backward = activations[layer], network.layer_activations[layer - 1].backward
            for block in blocks(grad_a):  # hidden activations are elementwise
                backward(a[block], grad_a[block], out=grad_a[block], overwrite_a=True)
            delta = grad_a


def vectorised(network: Network, X: np.ndarray, Y: np.ndarray) -> Gradient:
    """Gradient of the summed cost over the batch. X: (n, sizes[0]), Y: (n, sizes[-1])."""
    n_layers = len(network.weights)
    grad_weights: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    grad_biases: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    for layer, weights, biases in backward_pass(network, X, Y):
        grad_weights[layer], grad_biases[layer] = weights, biases
    return Gradient(grad_weights, grad_biases)
