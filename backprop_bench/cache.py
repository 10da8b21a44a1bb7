"""The local cache: one compressed ``.npz`` per published dataset, written atomically.

The folder is ``$BACKPROP_BENCH_CACHE`` if set, else ``$XDG_CACHE_HOME/backprop-bench``, else
``~/.cache/backprop-bench``. A file is written to a temporary name in the same folder, flushed
to disk and only then renamed over ``<name>.npz`` (``os.replace`` is atomic), so an interrupted
write leaves at most a ``.<name>.*.tmp`` file, never a ``<name>.npz`` that later loads. Reading
returns the arrays unverified; the loader checks them against the published fingerprints.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from backprop_bench.errors import DatasetError
from backprop_bench.provenance import ARRAY_KEYS

ENV_CACHE = "BACKPROP_BENCH_CACHE"


def cache_dir() -> Path:
    """The default cache folder (see the module docstring); not created here."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "backprop-bench"


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written there, else ``DatasetError``.

    Called before any download, so that a 20 MB fetch does not end in an unwritable cache.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise DatasetError(
            f"cache folder {folder} is not writable ({error.strerror or error}); "
            f"set {ENV_CACHE} or pass --cache-dir to use another folder"
        ) from None


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
    """Write ``arrays`` (by ``ARRAY_KEYS``) to ``path`` atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL: never follow or reuse an existing file; 0o666 lets the umask decide, as usual
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **{key: arrays[key] for key in ARRAY_KEYS})
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            reason = error.strerror or error
            raise DatasetError(f"cannot write cache file {path} ({reason})") from None
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
