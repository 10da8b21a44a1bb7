"""Row blocks small enough to stay in cache, for chains of elementwise passes.

After each matrix product the vectorised pass makes several elementwise passes over the
result: add the bias, then the activation's three or four ufuncs; or, going back, the three of
the activation's backward step. Over a whole (n, k) array each pass streams it from memory
again; block by block, the later passes find the block still in the core's cache. Same
arithmetic, same result, fewer trips to memory. Small arrays are a single block.
"""

from __future__ import annotations

import numpy as np

#: Bytes per block of rows: a block of each operand fits in a core's L2 cache with room left.
BLOCK_BYTES = 512 * 1024


def row_blocks(array: np.ndarray) -> list[slice]:
    """Slices of ``array``'s rows, each about BLOCK_BYTES long (one slice if it is small)."""
    row_bytes = array.itemsize * (array.size // max(array.shape[0], 1))
    rows = max(1, BLOCK_BYTES // max(row_bytes, 1))
    n = array.shape[0]
    if n <= rows:
        return [slice(None)]
    return [slice(start, start + rows) for start in range(0, n, rows)]
