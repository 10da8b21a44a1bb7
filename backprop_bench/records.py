"""Fit records on disk: atomic writes, the cache of finished fits, JSON Lines files.

A record is one JSON object per (model, seed) fit (``runner`` documents its fields). Finished
fits are cached as ``<runs cache>/<key>.json``, where the key hashes everything that decides
the result: the data (fingerprint, subset, preprocessing), the model's full configuration and
seed, and the code version. A re-run finds its fits there; an interrupted run finds those that
finished. The cache lives in the user's cache folder (``datasets.cache_dir()/runs``), never in
the repository, so a fresh clone really fits.

Every file is written to a temporary name in the same folder and renamed over the target
(``os.replace`` is atomic), so a killed run never leaves a half-written record or table.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from nets.io import write_atomically

RUNS_FOLDER = "runs"
SESSIONS_FOLDER = "sessions"


def check_output_folder(path: str | os.PathLike, option: str = "--out") -> Path:
    """Make sure files can be written into folder ``path`` (creating it): before any work, so a
    run never computes for an hour and then fails to save. A ``BenchError`` names the folder."""
    path = Path(path)
    problem = None
    if path.exists() and not path.is_dir():
        problem = "it is a file, not a folder"
    else:
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
                pass
        except NotADirectoryError:
            problem = "a part of that path is a file, not a folder"
        except OSError as error:
            problem = f"cannot write there ({error.strerror or type(error).__name__})"
    if problem:
        raise BenchError(f"{option} {path}: {problem}")
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (``nets.io.write_atomically``), making its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, lambda file: file.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_json(value: Any) -> str:
    """Stable, readable JSON (sorted keys) for records and keys."""
    return json.dumps(value, sort_keys=True, indent=1, allow_nan=False)


def fit_key(identity: Mapping[str, Any]) -> str:
    """The cache key of a fit: SHA-256 (24 hex digits) of its canonical JSON identity."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def write_jsonl(path: str | os.PathLike, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write one JSON object per line, atomically."""
    lines = [json.dumps(record, sort_keys=True, allow_nan=False) for record in records]
    return atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of a JSON Lines file (blank lines skipped)."""
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


class FitCache:
    """Finished fits, one JSON file per key, in ``folder`` (created when first written)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached record of ``key``, or ``None`` (also for an unreadable file)."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if record.get("key") == key else None

    def put(self, record: Mapping[str, Any]) -> Path:
        """Store ``record`` under its ``key``."""
        return atomic_write_text(self.path(record["key"]), to_json(record))

    def session_path(self, session: str) -> Path:
        return self.folder / SESSIONS_FOLDER / f"{session}.json"

    def put_session(self, session: Mapping[str, Any]) -> Path:
        """Store the description of one run that fitted models (environment, wall time)."""
        return atomic_write_text(self.session_path(session["id"]), to_json(session))

    def get_session(self, session: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.session_path(session).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
