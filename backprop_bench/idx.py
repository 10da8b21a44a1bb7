"""The IDX file format of MNIST and Fashion-MNIST, read (and written, for tests) with NumPy.

An IDX file is a big-endian header -- the magic number ``0x00 0x00 <type> <ndim>``, then ``ndim``
4-byte dimension sizes -- followed by the payload in C order. MNIST images are type 0x08
(unsigned byte) with dims ``(n, 28, 28)``; labels are type 0x08 with dims ``(n,)``. The files are
usually gzip-compressed. Anything that does not follow this layout exactly is a ``DatasetError``
naming the file; nothing is guessed or padded.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from backprop_bench.errors import DatasetError

# IDX type code -> big-endian NumPy dtype (the format allows these six).
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file, gzip-compressed (``.gz``) or raw, into a new writable array.

    Returns an array of the file's dims in native byte order (``uint8`` for MNIST). Raises
    ``DatasetError`` naming the file if it is missing, truncated, not gzip although named
    ``.gz``, has a wrong magic number, or has a header that does not match the payload length.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read ({error.strerror or error})") from None
    if path.suffix == ".gz" or data.startswith(GZIP_MAGIC):
        data = gunzip(data, str(path))
    return parse_idx(data, str(path))


def gunzip(data: bytes, name: str) -> bytes:
    """Decompress gzip ``data``; ``name`` says which file it is in the error message."""
    if not data.startswith(GZIP_MAGIC):
        start = data[:4].hex() or "nothing"
        raise DatasetError(f"{name}: not a gzip file (it starts with {start})")
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DatasetError(f"{name}: truncated gzip file (compressed data ends early)") from None
    except (OSError, zlib.error) as error:
        raise DatasetError(f"{name}: corrupt gzip file ({error})") from None


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """Decode the bytes of an uncompressed IDX file; ``name`` is used in error messages."""
    if len(data) < 4:
        raise DatasetError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    zero, type_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in IDX_TYPES or ndim == 0:
        raise DatasetError(
            f"{name}: wrong IDX magic number 0x{data[:4].hex()} "
            "(expected 0x0000TTNN: TT a type code such as 08, NN the number of dimensions)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{name}: IDX header declares {ndim} dimensions but the file ends early")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DatasetError(
            f"{name}: IDX header dims {dims} need {expected} payload bytes "
            f"but the file has {len(data) - header}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def encode_idx(array: np.ndarray) -> bytes:
    """The uncompressed IDX bytes of ``array`` (any shape, one of the IDX dtypes)."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("=").str: code for code, dtype in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("=").str)
    if code is None or array.ndim == 0:
        raise ValueError(f"array: IDX holds arrays of {sorted(codes)}, got {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(size).to_bytes(4, "big") for size in array.shape
    )
    return header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
