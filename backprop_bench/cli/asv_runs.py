"""Running asv for one commit and finding the result file it wrote (for ``noise-floor`` and
``regressions``). asv keeps one result file per commit, machine and environment and overwrites
it when the commit is run again, so each run's file is copied aside as soon as it is written."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import time

from backprop_bench.errors import BenchError


def resolve_commit(name: str, where: pathlib.Path = pathlib.Path(".")) -> str:
    """The full hash of a commit name (HEAD, a branch, a prefix); a BenchError if git knows
    no such commit."""
    from backprop_bench.experiments.environment import commit_named

    sha = commit_named(name, where)
    if sha is None:
        raise BenchError(f"commit {name!r}: git knows no such commit here")
    return sha


def asv_command(sha: str, *, python: str | None, bench: str | None) -> list[str]:
    """The ``asv run`` command line for one commit. With ``python="same"`` asv measures the
    package installed in this environment and files it under ``sha`` (``--set-commit-hash``);
    otherwise it builds the commit in its own environment (``sha^!``)."""
    command = [sys.executable, "-m", "asv", "run", "--show-stderr"]
    if python == "same":
        command += ["--python=same", "--set-commit-hash", sha]
    else:
        command += [f"{sha}^!"] + ([f"--python={python}"] if python else [])
    if bench:
        command += ["--bench", bench]
    return command


def run_asv(
    sha: str,
    keep_as: pathlib.Path,
    *,
    results: pathlib.Path,
    python: str | None = None,
    bench: str | None = None,
    quiet: bool = False,
) -> float:
    """Run the suite on one commit, copy the result file it wrote to ``keep_as``, return the
    wall time in seconds. asv's own progress goes to the terminal unless ``quiet``; a failed
    run (asv's exit status, or no new result file) is a BenchError with its last line."""
    started = time.time()
    command = asv_command(sha, python=python, bench=bench)
    try:
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE if quiet else None,
            stderr=subprocess.STDOUT if quiet else None,
            text=True,
            check=False,
        )
    except OSError as error:
        raise BenchError(f"cannot run asv: {error}") from None
    seconds = time.time() - started
    written = [
        path for path in results.glob(f"*/{sha[:8]}-*.json") if path.stat().st_mtime >= started - 1
    ]
    if done.returncode not in (0, 2) or not written:
        # asv exits 2 when a benchmark failed; its result file is still written, and the
        # failure shows as a failed benchmark in every table.
        tail = (done.stdout or "").strip().splitlines()[-1:] if quiet else []
        why = f": {tail[0]}" if tail else ""
        raise BenchError(
            f"`{' '.join(command[2:])}` wrote no result file under {results} "
            f"(exit status {done.returncode}){why}"
        )
    newest = max(written, key=lambda path: path.stat().st_mtime)
    keep_as.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(newest, keep_as)
    return seconds
