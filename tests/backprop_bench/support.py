"""Shared test helpers for the harness."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backprop_bench.experiments.records import FitRecord

#: A small real comparison at the command line: two fits on digits, one worker.
DIGITS_COMPARE = [
    "compare", "--dataset", "digits", "--models", "mnist-000,linear", "--n-train", "300",
    "--n-test", "100", "--seeds", "0", "--jobs", "1",
]  # fmt: skip


@contextlib.contextmanager
def in_project(root: Path) -> Iterator[Path]:
    """``root`` as the working directory, with a fit and data cache of its own (``root/cache``),
    for a module-scoped fixture that runs real commands once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BACKPROP_BENCH_CACHE", str(root / "cache"))
        patch.chdir(root)
        yield root


def suite_repo(root: Path, suite: str, files: dict[str, str] | None = None) -> Path:
    """A git repository at ``root/repo`` holding an asv suite of one module (``suite``) and
    ``files`` (path -> text), committed when there are files; for ``regressions``' tests."""
    repo = root / "repo"
    (repo / "benchmarks").mkdir(parents=True)
    (repo / "benchmarks" / "__init__.py").write_text("")
    (repo / "benchmarks" / "toy_bench.py").write_text(suite)
    for path, text in (files or {}).items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    if files:
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-qm", "toy"], cwd=repo, check=True)
    return repo


IDENTITY: dict[str, Any] = {
    "key": "k",
    "model": "net",
    "kind": "network",
    "preset": "mnist-000",
    "seed": 0,
    "dataset": "digits",
    "dataset_fingerprint": "f" * 64,
    "n_train": 300,
    "n_test": 100,
    "subset_seed": 0,
    "hyperparameters": {},
    "code_version": "c" * 16,
    "status": "ok",
}


def fit_record(**fields: Any) -> FitRecord:
    """A ``FitRecord`` with ``fields`` over a placeholder identity."""
    return FitRecord(**{**IDENTITY, **fields})
