"""Load a pickle of plain NumPy arrays without letting it run code.

A pickle names functions that the loader calls (``find_class`` then ``REDUCE``): a tampered file
could name ``os.system``. ``load_arrays`` admits only the names that rebuilding an ``ndarray``
needs -- ``numpy.core.multiarray._reconstruct`` (``numpy._core`` since NumPy 2),
``numpy.ndarray``, ``numpy.dtype``, and for protocol 5 ``numpy.core.numeric._frombuffer`` --
plus ``_codecs.encode`` restricted to latin1 (how Python 3 writes bytes at protocol 2). Every
other global is refused, so a tampered file fails with a ``DatasetError`` before anything it
names is called. Tuples, lists, numbers and strings need no globals. Persistent ids are
refused too (the base class does so).
"""

from __future__ import annotations

import pickle
from typing import IO, Any

import numpy as np

from backprop_bench.errors import DatasetError

try:  # NumPy >= 2 moved the modules; old pickles still name numpy.core
    from numpy._core.multiarray import _reconstruct
    from numpy._core.numeric import _frombuffer
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct
    from numpy.core.numeric import _frombuffer


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes, and no other codec."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"refused _codecs.encode(..., {encoding!r})")
    return text.encode("latin1")


ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` returns only the ``ALLOWED_GLOBALS``."""

    def __init__(self, file: IO[bytes], *, name: str) -> None:
        super().__init__(file, encoding="latin1")  # latin1: Python 2 byte strings stay bytes
        self.name = name

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise DatasetError(
                f"{self.name}: refused to load {module}.{name} (a pickle of arrays needs only "
                "numpy's array reconstruction; the file may have been tampered with)"
            ) from None


def load_arrays(file: IO[bytes], *, name: str) -> Any:
    """Unpickle ``file`` (named ``name`` in errors) admitting only NumPy array reconstruction.

    Returns the unpickled object (for MNIST a nested tuple of arrays); the caller checks its
    structure. Any failure -- a refused global, a truncated or corrupt stream -- is a
    ``DatasetError`` naming the file.
    """
    try:
        return ArrayUnpickler(file, name=name).load()
    except DatasetError:
        raise
    except Exception as error:  # pickle reports corruption with many exception types
        raise DatasetError(f"{name}: not a valid pickle of arrays ({error})") from None
