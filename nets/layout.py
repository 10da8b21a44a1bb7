"""Memory-layout tricks that make the vectorised pass faster without changing its arithmetic.

- Row blocks: after each matrix product the pass makes several elementwise passes over the
  result (add the bias, then the activation's three or four ufuncs; going back, the three of
  the activation's backward step). Over a whole (n, k) array each pass streams it from
  memory again; block by block, the later passes find the block still in the core's cache.
- Tall, thin products transposed: OpenBLAS (NumPy's usual BLAS) produces a short, wide
  matrix faster than a tall, thin one, so such a product is computed as (bᵀ @ aᵀ)ᵀ.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Bytes per block of rows: a block of each operand fits in a core's L2 cache with room left.
BLOCK_BYTES = 512 * 1024

_WHOLE = (slice(None),)


def row_blocks(array: np.ndarray) -> Sequence[slice]:
    """Slices of ``array``'s rows, each about BLOCK_BYTES long (one slice if it is small)."""
    if array.nbytes <= BLOCK_BYTES:
        return _WHOLE
    rows = max(1, BLOCK_BYTES * array.shape[0] // array.nbytes)
    return [slice(start, start + rows) for start in range(0, array.shape[0], rows)]


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 2-D arrays, a tall and thin result being computed as (bᵀ @ aᵀ)ᵀ.

    Tall and thin: at least 256 rows and 8 times as many rows as columns. The transposed form
    is used when, besides, the inner dimension is at least 256 or ``a`` is itself a transposed
    (Fortran-ordered) array, as in a weight gradient a_prevᵀ @ δ: measured with OpenBLAS over
    batches of 16 to 16384 rows, those products took 0.3 to 1.0 of the time transposed (the
    first layer of an evaluation pass, (16384, 784) @ (784, 30), about 0.7; the first-layer
    gradient at batch 50, (50, 784)ᵀ @ (50, 30), about 0.65), while other shapes could go
    either way. The result is then a transposed (Fortran-ordered) view, which NumPy handles
    like any other array; the arithmetic is the same.
    """
    rows, inner, columns = a.shape[0], a.shape[1], b.shape[1]
    tall_thin = rows >= 256 and rows >= 8 * columns
    if tall_thin and (inner >= 256 or (a.flags.f_contiguous and not a.flags.c_contiguous)):
        return (b.T @ a.T).T
    return a @ b
