"""Saving and loading a network without pickle: ``<path>.npz`` arrays and ``<path>.json``.

The .npz holds ``weights_0, biases_0, weights_1, ...`` and nothing else; the .json holds the
network's ``config()``, the nets version and the array shapes. Both files are written to a
temporary file first and moved into place, so a crash never leaves half a model.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from nets.errors import ModelFileError, NetsError
from nets.network import Network

FORMAT = "nets-network"
FORMAT_VERSION = 2  # 2: weights (out, in) and biases (out, 1); version 1 held (in, out), (out,)


def _paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(<path>.npz, <path>.json); a trailing .npz or .json on ``path`` is dropped first."""
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    return base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")


def _array_names(n_layers: int) -> list[str]:
    return [f"{kind}_{layer}" for layer in range(n_layers) for kind in ("weights", "biases")]


# The process's umask, read once (os.umask can only be read by setting it): a file written
# atomically gets the mode a plain open() would give it, not mkstemp's private 0600.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomically(target: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``target`` whole or not at all: ``write(file)`` fills a temporary file in the same
    folder, which is flushed to disk and renamed over ``target`` (``os.replace`` is atomic).

    The file gets the mode a plain open() would give it, and the rename itself is made durable
    (the folder is synced where the system allows). The project's one atomic writer: the
    harness (``backprop_bench.files``) writes its caches, records and tables through it too.
    """
    target = Path(target)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        os.fchmod(handle, 0o666 & ~_UMASK)
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # POSIX; a no-op where folders cannot be opened
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return target


def save(network: Network, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``<path>.npz`` and ``<path>.json``; returns the two paths."""
    npz_path, json_path = _paths(path)
    n_layers = len(network.weights)
    arrays = dict(
        zip(
            _array_names(n_layers),
            (p for pair in zip(network.weights, network.biases, strict=True) for p in pair),
            strict=True,
        )
    )
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nets_version": _nets_version(),
        "config": network.config(),
        "shapes": {name: list(array.shape) for name, array in arrays.items()},
    }
    text = json.dumps(metadata, indent=2) + "\n"
    write_atomically(npz_path, lambda file: np.savez(file, **arrays))
    write_atomically(json_path, lambda file: file.write(text.encode("utf-8")))
    return npz_path, json_path


def _nets_version() -> str:
    from nets import __version__

    return __version__


def _read_metadata(json_path: Path) -> dict[str, Any]:
    try:
        metadata = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{json_path}: model file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{json_path}: not a readable JSON file ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{json_path}: not a nets model description (format != {FORMAT!r})")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{json_path}: format_version {metadata.get('format_version')!r} is not supported "
            f"(this nets reads version {FORMAT_VERSION})"
        )
    if not isinstance(metadata.get("config"), dict):
        raise ModelFileError(f"{json_path}: 'config' is missing or not an object")
    return metadata


def _read_arrays(npz_path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(npz_path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"{npz_path}: model file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ModelFileError(f"{npz_path}: not a readable .npz archive ({error})") from None


def load(path: str | os.PathLike[str]) -> Network:
    """Read a network written by :func:`save` (``path`` with or without .npz/.json)."""
    npz_path, json_path = _paths(path)
    metadata = _read_metadata(json_path)
    config = metadata["config"]
    sizes = config.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2:
        raise ModelFileError(f"{json_path}: config 'sizes' must be a list of at least 2 sizes")
    arrays = _read_arrays(npz_path)
    expected = _array_names(len(sizes) - 1)
    missing = [name for name in expected if name not in arrays]
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ModelFileError(
            f"{npz_path}: arrays do not match sizes={sizes}: "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    shapes = metadata.get("shapes", {})
    for name in expected:
        array = arrays[name]
        if name in shapes and list(array.shape) != shapes[name]:
            raise ModelFileError(
                f"{npz_path}: array {name} has shape {array.shape} but {json_path.name} "
                f"records {tuple(shapes[name])}"
            )
        if not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
            raise ModelFileError(
                f"{npz_path}: array {name} must hold finite floating-point numbers"
            )
    try:
        return Network.from_parameters(
            config,
            [arrays[f"weights_{layer}"] for layer in range(len(sizes) - 1)],
            [arrays[f"biases_{layer}"] for layer in range(len(sizes) - 1)],
        )
    except NetsError as error:
        raise ModelFileError(f"{json_path} with {npz_path.name}: {error}") from None
