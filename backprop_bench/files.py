"""Files every layer writes: atomically, into folders checked before any work.

Every file is written to a temporary name in the same folder and renamed over the target
(``nets.io.write_atomically``: the project's one atomic writer, kept in ``nets`` because
``nets`` imports nothing of the harness), so a killed run never leaves half a record or table.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from nets.io import write_atomically


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
    """Stable, readable JSON (sorted keys)."""
    return json.dumps(value, sort_keys=True, indent=1, allow_nan=False)


def write_jsonl(path: str | os.PathLike, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write one JSON object per line, atomically."""
    lines = [json.dumps(row, sort_keys=True, allow_nan=False) for row in rows]
    return atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file (blank lines skipped)."""
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]
