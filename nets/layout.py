"""Memory layout of the vectorised pass: it changes speed, never the arithmetic.

The maths is written with rows as samples everywhere (``a @ W + b``, ``a`` of shape
(n, units)). In memory, the vectorised pass keeps its matrices column-major (Fortran order):

- ``weights[l]``, of shape (sizes[l], sizes[l+1]), holds each unit's incoming weights
  contiguously (``Network`` stores it so);
- every product of the pass (a layer's z, a δ @ Wᵀ, a weight gradient) is computed by
  ``matmul`` as a column-major (n, units) array: the transpose of a row-major (units, n) one.

Measured with OpenBLAS on this project's 2-core machine, float64, batch 50, [784, 30, 30, 10]
(best of 9): the first layer's forward product took 75 µs written column-major against 92 µs
row-major, its weight gradient 59 µs against 87 µs; and a weight gradient in the same order as
the weights is subtracted from them in one contiguous pass (7 µs for 784 x 30, against 22 µs
across orders). The same column-major convention is Nielsen's (seed 002); here it stays a
memory detail, so the code still reads ``a @ W``.

Blocks: after each product the pass makes several elementwise passes over the result (add
the bias, then the activation's ufuncs; going back, the activation's backward step). Over a
whole large array each pass streams it from memory again; block by block, the later passes
find the block still in the core's cache. A block must be contiguous in memory, so a
column-major array is cut into blocks of columns (cut into blocks of rows, a (1024, 1024)
column-major sigmoid took 3x as long), and only elementwise steps can be cut that way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Bytes per block: a block of each operand fits in a core's L2 cache with room left.
BLOCK_BYTES = 512 * 1024

_ALL = slice(None)
#: The one block that is the whole array.
WHOLE = ((_ALL, _ALL),)


def blocks(array: np.ndarray) -> Sequence[tuple[slice, slice]]:
    """(rows, columns) index pairs cutting a 2-D ``array`` into pieces of about BLOCK_BYTES.

    Blocks of columns for a column-major array, of rows otherwise, so that each piece is
    contiguous in memory; one piece when the array is small.
    """
    if array.nbytes <= BLOCK_BYTES:
        return WHOLE
    by_columns = array.flags.f_contiguous and not array.flags.c_contiguous
    length = array.shape[1 if by_columns else 0]
    step = max(1, BLOCK_BYTES * length // array.nbytes)
    cuts = [slice(start, start + step) for start in range(0, length, step)]
    return [(_ALL, cut) for cut in cuts] if by_columns else [(cut, _ALL) for cut in cuts]


def column_sums(array: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Σ over the rows of a 2-D array (a bias gradient Σ_rows δ), as a (columns,) array.

    Written into ``out`` if given, else a new array.

    A matrix-vector product for large arrays (BLAS, on every BLAS thread: 0.2 ms for a
    (1024, 1024) δ against 0.6 ms for ``np.sum``), ``np.add.reduce`` for small ones, where a
    BLAS call costs more (4.5 µs against 2.8 µs for a (50, 30) δ; ``np.sum``'s Python wrapper
    around the same reduction adds another 2 µs).
    """
    if array.size < 16384:
        return np.add.reduce(array, axis=0, out=out)
    return np.matmul(np.ones(array.shape[0], dtype=array.dtype), array, out=out)


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D arrays, as a column-major array: computed as (bᵀ @ aᵀ)ᵀ.

    ``out``, if given, is a column-major (a.shape[0], b.shape[1]) array to write into (the
    transpose of a row-major buffer); it is returned.
    """
    # An inner dimension of 1 (a weight gradient at batch 1) is an outer product, which
    # np.multiply computes to the same bits 1.5-5x faster than np.matmul does (784 x 30).
    product = np.multiply if a.shape[1] == 1 else np.matmul
    if out is None:
        return product(b.T, a.T).T
    product(b.T, a.T, out=out.T)
    return out
