"""Files every layer writes: atomically, into folders checked before any work.

Every file is written to a temporary name in the same folder and renamed over the target
(``nets.io.write_atomically``: the project's one atomic writer, kept in ``nets`` because
``nets`` imports nothing of the harness), so a killed run never leaves half a record or table.

A results folder is written as a whole (``OutputFolder``): one run at a time holds its lock
(``.lock`` inside it), writes the new files into ``.staging`` inside it, and only when every
file is there moves them in and removes the old ones that the new set lacks. A run killed
half-way through that move is finished by the next one that opens the folder (the staging
folder's manifest lists the move); one that failed before it (a full disk) leaves the old files
as they were. Names read back from a folder (a sweep's axes) become file names only through
``child``, which refuses anything but one plain file name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from nets.io import write_atomically

LOCK = ".lock"
STAGING = ".staging"
MANIFEST = ".manifest.json"  # in the staging folder, written last: the move may begin
#: What the suite writes into a results folder; a folder holding anything else is not one.
SUITE_SUFFIXES = (".csv", ".md", ".png", ".json", ".jsonl", ".txt")
#: What ``backprop-bench site`` writes into its folder: pages, their scripts and stylesheet.
SITE_SUFFIXES = (".html", ".js", ".css", ".csv", ".png")
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=,+-]{0,199}")


def child(folder: str | os.PathLike, name: str, what: str = "file name") -> Path:
    """``folder / name`` for a ``name`` that may come from a file someone else wrote: one plain
    file name (letters, digits, ``_.=,+-``; no separator, no ``..``, not hidden), and the path
    resolves inside ``folder``; else a ``BenchError`` naming it."""
    if not isinstance(name, str) or not FILE_NAME.fullmatch(name) or ".." in name:
        raise BenchError(f"{what} {name!r}: not a plain file name")
    folder = Path(folder)
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise BenchError(f"{what} {name!r}: resolves outside {folder}")
    return path


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


def _problem(error: OSError) -> str:
    return error.strerror or type(error).__name__


class OutputFolder:
    """A results folder that one run at a time writes, and that is replaced whole.

    ``with OutputFolder(path) as folder:`` touches nothing yet, so that a command checks its
    request first; ``folder.open()`` (called by the runner once a plan is checked, and by
    ``replace`` at the latest; repeatable) checks that files can be written there and that it
    is empty or a results folder (creating it if needed), takes its lock (a second run gets a
    ``BenchError`` at once) and finishes or clears what a killed run left. The lock is held
    until the ``with`` ends. ``with folder.replace() as stage:`` gives an empty staging folder
    to write every new file into; on leaving, the new files replace the folder's (``keep``
    names files copied into the stage first, ``whole=False`` keeps old files the new set
    lacks). A failure while writing (a full disk) is a one-line ``BenchError`` and leaves the
    folder as it was. ``suffixes`` are the kinds of file such a folder holds (a results
    folder's by default, ``SITE_SUFFIXES`` for a site), and ``holding`` says what it is: a
    folder holding others is refused.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        option: str = "--out",
        after: str = "",
        suffixes: tuple[str, ...] = SUITE_SUFFIXES,
        holding: str = "a results folder",
    ) -> None:
        self.path = Path(path)
        self.option = option
        self.after = after  # said after a failure to write: what is still kept elsewhere
        self.suffixes = suffixes
        self.holding = holding  # what such a folder is, for the error that refuses another
        self._lock: Any = None

    def __enter__(self) -> OutputFolder:
        return self

    def open(self) -> OutputFolder:
        """Check the folder, take its lock and recover what a killed run left (see the class);
        a no-op once open."""
        from filelock import FileLock, Timeout

        if self._lock is not None:
            return self
        check_output_folder(self.path, self.option)
        foreign = [
            entry.name
            for entry in self.path.iterdir()
            if not entry.name.startswith(".")
            and (not entry.is_file() or entry.suffix not in self.suffixes)
        ]
        if foreign:
            raise BenchError(
                f"{self.option} {self.path}: not {self.holding} (it holds "
                f"{', '.join(sorted(foreign)[:3])}); choose a new or empty folder"
            )
        lock = FileLock(str(self.path / LOCK), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise BenchError(
                f"{self.option} {self.path}: another backprop-bench run is writing this folder; "
                "wait for it to end, or choose another folder"
            ) from None
        except OSError as error:
            problem = _problem(error)
            raise BenchError(f"{self.option} {self.path}: cannot lock it ({problem})") from None
        self._lock = lock
        try:
            self._recover()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _recover(self) -> None:
        """Finish the move a killed run began, or drop the staging folder it did not fill."""
        stage = self.path / STAGING
        if (stage / MANIFEST).is_file():
            self._move_in(stage)
        elif stage.exists():
            shutil.rmtree(stage)

    @contextlib.contextmanager
    def replace(self, keep: Iterable[str] = (), whole: bool = True) -> Iterator[Path]:
        """Yield an empty staging folder (holding copies of ``keep`` where the folder has
        them); on leaving, its files replace the folder's (see the class)."""
        self.open()
        stage = self.path / STAGING
        try:
            if stage.exists():
                shutil.rmtree(stage)
            stage.mkdir()
            for name in keep:
                if (self.path / name).is_file():
                    shutil.copyfile(self.path / name, child(stage, name))
            yield stage
            names = sorted(entry.name for entry in stage.iterdir() if entry.name != MANIFEST)
            for name in names:
                entry = stage / name
                if name.startswith(".") or entry.is_symlink() or not entry.is_file():
                    raise BenchError(f"{entry}: a results folder holds plain files only")
            atomic_write_text(stage / MANIFEST, to_json({"files": names, "whole": whole}))
        except OSError as error:
            shutil.rmtree(stage, ignore_errors=True)
            raise BenchError(
                f"{self.option} {self.path}: could not write the new files "
                f"({_problem(error)}); the folder was left as it was{self.after}"
            ) from None
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        self._move_in(stage)

    def _move_in(self, stage: Path) -> None:
        """Move the staged files listed in its manifest into the folder, remove the old files
        the new set lacks (for a whole replacement), then the staging folder. Repeatable: a
        run killed in here is finished by the next."""
        manifest = json.loads((stage / MANIFEST).read_text(encoding="utf-8"))
        names = [child(stage, name).name for name in manifest["files"]]
        for name in names:
            if (stage / name).is_file():
                os.replace(stage / name, self.path / name)
        if manifest.get("whole", True):
            for entry in self.path.iterdir():
                old = entry.name not in names and not entry.name.startswith(".")
                if old and entry.suffix in self.suffixes and not entry.is_dir():
                    entry.unlink()
        shutil.rmtree(stage)


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


def read_jsonl(path: str | os.PathLike) -> list[tuple[str, Any]]:
    """The values of a JSON Lines file (blank lines skipped), each with where it stands
    (``"PATH line N"``); a ``BenchError`` names the line that is not JSON."""
    rows = []
    try:
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                if line.strip():
                    rows.append((f"{path} line {number}", json.loads(line)))
    except OSError as error:
        raise BenchError(f"{path}: cannot read it ({_problem(error)})") from None
    except UnicodeDecodeError:
        raise BenchError(f"{path}: not UTF-8 text") from None
    except ValueError as error:
        raise BenchError(f"{path} line {number}: not JSON ({error})") from None
    return rows
