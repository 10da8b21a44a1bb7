"""The IDX file format of MNIST and Fashion-MNIST, read (and written, for tests) with NumPy.

An IDX file is a big-endian header -- the magic number ``0x00 0x00 <type> <ndim>``, then ``ndim``
4-byte dimension sizes -- followed by the payload in C order. MNIST images are type 0x08
(unsigned byte) with dims ``(n, 28, 28)``; labels are type 0x08 with dims ``(n,)``. The files are
usually gzip-compressed. Anything that does not follow this layout exactly is a ``DatasetError``
naming the file; nothing is guessed or padded.
"""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

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


#: Decompressed bytes read past the size an IDX header declares, to say exactly how much too
#: long a slightly long file is; a file longer than that is refused without reading the rest.
MARGIN = 64 * 1024
_CHUNK = 1 << 16
_HEADER_MAX = 4 + 4 * 255  # the magic number and at most 255 dims


def read_idx(path: str | os.PathLike, dims: tuple[int, ...] | None = None) -> np.ndarray:
    """Read one IDX file, gzip-compressed (``.gz``) or raw, into a new writable array.

    Returns an array of the file's dims in native byte order (``uint8`` for MNIST). Raises
    ``DatasetError`` naming the file if it is missing, truncated, not gzip although named
    ``.gz``, has a wrong magic number, has a header that does not match the payload length,
    or (given ``dims``) declares other dims than expected. No more is decompressed or read
    than the header declares (plus ``MARGIN``), so a small file that inflates to gigabytes is
    refused having used a few megabytes.
    """
    path = Path(path)
    try:
        with open(path, "rb") as file:
            compressed = path.suffix == ".gz" or file.read(2) == GZIP_MAGIC
            file.seek(0)
            if compressed:
                data = _inflate(file, str(path), dims)
            else:
                data = _read_raw(file, str(path), dims)
    except OSError as error:
        raise DatasetError(f"{path}: cannot read ({error.strerror or error})") from None
    return parse_idx(data, str(path), dims)


def decode_idx(data: bytes, name: str, dims: tuple[int, ...] | None = None) -> np.ndarray:
    """``read_idx`` for the bytes of a file (gzip-compressed or not); ``name`` names it."""
    if data.startswith(GZIP_MAGIC) or name.endswith(".gz"):
        data = _inflate(io.BytesIO(data), name, dims)
    return parse_idx(data, name, dims)


class _Header(NamedTuple):
    size: int  # bytes: the magic number and the dims
    dims: tuple[int, ...]
    dtype: np.dtype

    @property
    def payload(self) -> int:
        """Bytes of data the dims declare."""
        return int(np.prod(self.dims, dtype=np.int64)) * self.dtype.itemsize


def _header(data: bytes | bytearray, name: str, dims: tuple[int, ...] | None) -> _Header:
    """The IDX header at the start of ``data``, checked (and against ``dims``, if given)."""
    if len(data) < 4:
        raise DatasetError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    zero, type_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in IDX_TYPES or ndim == 0:
        raise DatasetError(
            f"{name}: wrong IDX magic number 0x{bytes(data[:4]).hex()} "
            "(expected 0x0000TTNN: TT a type code such as 08, NN the number of dimensions)"
        )
    size = 4 + 4 * ndim
    if len(data) < size:
        raise DatasetError(f"{name}: IDX header declares {ndim} dimensions but the file ends early")
    declared = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if dims is not None and declared != tuple(dims):
        raise DatasetError(f"{name}: IDX header declares dims {declared}, expected {tuple(dims)}")
    return _Header(size, declared, IDX_TYPES[type_code])


def _payload_error(name: str, header: _Header, has: str) -> DatasetError:
    return DatasetError(
        f"{name}: IDX header dims {header.dims} need {header.payload} payload bytes "
        f"but the file has {has}"
    )


def _read_raw(file: BinaryIO, name: str, dims: tuple[int, ...] | None) -> bytes:
    """An uncompressed IDX file's bytes, its size checked against its header before reading."""
    start = file.read(_HEADER_MAX)
    header = _header(start, name, dims)
    size = os.fstat(file.fileno()).st_size
    if size != header.size + header.payload:
        raise _payload_error(name, header, str(size - header.size))
    return start + file.read()


def _inflate(file: BinaryIO, name: str, dims: tuple[int, ...] | None) -> bytearray:
    """Decompress the gzip ``file`` holding one IDX file: at most what its header declares
    plus ``MARGIN`` bytes (``DatasetError`` for more, or for a truncated or corrupt stream)."""
    if file.read(2) != GZIP_MAGIC:
        file.seek(0)
        start = file.read(4).hex() or "nothing"
        raise DatasetError(f"{name}: not a gzip file (it starts with {start})")
    file.seek(0)
    out = bytearray()
    limit = None  # header + payload + MARGIN, once the header is in
    inflater = zlib.decompressobj(wbits=31)  # one gzip member, its CRC and length checked
    pending, ended = b"", False
    try:
        while True:
            if not pending and not ended:
                pending = file.read(_CHUNK)
                ended = not pending
            room = (_HEADER_MAX if limit is None else limit) - len(out) + 1
            piece = inflater.decompress(pending, room)
            pending = inflater.unconsumed_tail
            out += piece
            if limit is None and _header_is_in(out):
                header = _header(out, name, dims)
                limit = header.size + header.payload + MARGIN
            if limit is not None and len(out) > limit:
                raise _payload_error(name, header, f"more than {header.payload + MARGIN}")
            if inflater.eof:
                pending = inflater.unused_data + pending
                if len(pending) < 2:
                    pending += file.read(2)
                if not pending.startswith(GZIP_MAGIC):  # only zero padding may follow
                    _check_zero_padding(pending, file, name)
                    return out
                inflater = zlib.decompressobj(wbits=31)  # another member follows
            elif ended and not piece and not pending:
                raise DatasetError(f"{name}: truncated gzip file (compressed data ends early)")
    except (OSError, zlib.error) as error:
        raise DatasetError(f"{name}: corrupt gzip file ({error})") from None


def _header_is_in(data: bytearray) -> bool:
    return len(data) >= 4 and len(data) >= 4 + 4 * data[3]


def _check_zero_padding(rest: bytes, file: BinaryIO, name: str) -> None:
    while rest:
        if rest.strip(b"\0"):
            raise DatasetError(f"{name}: corrupt gzip file (data after its end)")
        rest = file.read(_CHUNK)


def parse_idx(
    data: bytes | bytearray, name: str, dims: tuple[int, ...] | None = None
) -> np.ndarray:
    """Decode the bytes of an uncompressed IDX file; ``name`` is used in error messages."""
    header = _header(data, name, dims)
    if len(data) - header.size != header.payload:
        raise _payload_error(name, header, str(len(data) - header.size))
    array = np.frombuffer(data, dtype=header.dtype, offset=header.size).reshape(header.dims)
    return array.astype(header.dtype.newbyteorder("="))  # a writable copy in native byte order


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
