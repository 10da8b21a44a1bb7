"""Shared fixtures: keep every test away from the user's real dataset cache.

All tests run with ``$BACKPROP_BENCH_CACHE`` pointing at a dedicated test folder that persists
across runs -- ``$BACKPROP_BENCH_TEST_CACHE``, else ``$XDG_CACHE_HOME/backprop-bench-tests``,
else ``~/.cache/backprop-bench-tests`` -- so a test that loads real MNIST downloads it at most
once per machine, and ``$BACKPROP_BENCH_DATA`` unset. Delete that folder to start afresh.
Unit tests of the cache itself pass their own ``tmp_path`` folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def persistent_test_folder() -> Path:
    """The persistent folder for test downloads and the tests' dataset cache."""
    if os.environ.get("BACKPROP_BENCH_TEST_CACHE"):
        return Path(os.environ["BACKPROP_BENCH_TEST_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "backprop-bench-tests"


@pytest.fixture(autouse=True)
def _isolated_dataset_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(persistent_test_folder() / "cache"))
    monkeypatch.delenv("BACKPROP_BENCH_DATA", raising=False)


@pytest.fixture(scope="session")
def download_dir() -> Path:
    """Where real-download tests keep the files they fetched (a wheel, a .deb), across runs."""
    folder = persistent_test_folder() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
