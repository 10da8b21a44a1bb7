"""The local cache: one compressed ``.npz`` per published dataset, written atomically.

The folder is ``$BACKPROP_BENCH_CACHE`` if set, else ``$XDG_CACHE_HOME/backprop-bench``, else
``~/.cache/backprop-bench``. A file is written atomically (``nets.io.write_atomically``), so an
interrupted write leaves at most a temporary file, never a ``<name>.npz`` that later loads. Reading
returns the arrays unverified; the loader checks them against the published fingerprints.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from backprop_bench.data.provenance import ARRAY_KEYS
from backprop_bench.errors import BenchError, DatasetError
from backprop_bench.files import check_output_folder
from nets.io import write_atomically

ENV_CACHE = "BACKPROP_BENCH_CACHE"


def cache_dir() -> Path:
    """The default cache folder (see the module docstring); not created here. Without
    ``BACKPROP_BENCH_CACHE``, ``XDG_CACHE_HOME`` or ``HOME`` it is a ``DatasetError``."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "backprop-bench"
    if not os.environ.get("HOME"):  # else Path.home() guesses, or the cache lands in "."
        raise DatasetError(
            f"HOME is not set, so there is no default cache folder: set {ENV_CACHE} to one"
        )
    return Path.home() / ".cache" / "backprop-bench"


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written there, else ``DatasetError``.

    Called before any download, so that a 20 MB fetch does not end in an unwritable cache.
    """
    try:
        check_output_folder(folder, "cache folder")
    except BenchError as error:
        message = f"{error}; set {ENV_CACHE} or pass --cache-dir to use another folder"
        raise DatasetError(message) from None


def read_cache(path: Path) -> dict[str, np.ndarray]:
    """The four arrays in the cache file ``path``; ``DatasetError`` naming it if unreadable."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in ARRAY_KEYS if key not in archive.files]
            if missing:
                raise DatasetError(f"cache file {path} lacks {', '.join(missing)}")
            return {key: archive[key] for key in ARRAY_KEYS}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DatasetError(f"cache file {path} is unreadable ({error})") from None


def write_cache(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` (by ``ARRAY_KEYS``) to ``path`` atomically (``nets.io.write_atomically``,
    the project's one atomic writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomically(
            path, lambda file: np.savez_compressed(file, **{key: arrays[key] for key in ARRAY_KEYS})
        )
    except OSError as error:
        raise DatasetError(f"cannot write cache file {path} ({error.strerror or error})") from None
