"""Files: atomic writes, JSON Lines, output folders checked before any work."""

from __future__ import annotations

import os

import pytest

import nets.io
from backprop_bench import files


def test_atomic_write_replaces_the_whole_file(tmp_path):
    path = tmp_path / "sub" / "table.md"
    files.atomic_write_text(path, "old")
    files.atomic_write_text(path, "new table")
    assert path.read_text() == "new table"
    assert [p.name for p in path.parent.iterdir()] == ["table.md"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_gives_the_mode_open_would(tmp_path, monkeypatch, umask, mode):
    monkeypatch.setattr(nets.io, "_UMASK", umask)  # the umask read when nets.io was imported
    path = files.atomic_write_text(tmp_path / "comparison.csv", "a,b\n")
    assert path.stat().st_mode & 0o777 == mode  # mkstemp alone leaves 0600 whatever the umask


def test_a_write_killed_before_the_rename_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "comparison.md"
    files.atomic_write_text(path, "complete old table\n")

    def killed(source, target):
        raise KeyboardInterrupt  # the run is killed between writing and renaming

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write_text(path, "half a new tab")
    assert path.read_text() == "complete old table\n"
    assert list(tmp_path.iterdir()) == [path]  # the temporary file is removed


def test_a_write_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    path = tmp_path / "runs.jsonl"

    def fails(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fails)
    with pytest.raises(OSError, match="disk full"):
        files.write_jsonl(path, [{"a": 1}])
    assert list(tmp_path.iterdir()) == []


def test_jsonl_round_trip(tmp_path):
    rows = [{"model": "net", "seed": 0, "history": [{"epoch": 1}]}, {"model": "svc", "seed": None}]
    files.write_jsonl(tmp_path / "runs.jsonl", rows)
    assert [row for _, row in files.read_jsonl(tmp_path / "runs.jsonl")] == rows


def test_non_finite_numbers_are_refused_rather_than_written_as_invalid_json(tmp_path):
    with pytest.raises(ValueError):
        files.write_jsonl(tmp_path / "runs.jsonl", [{"test_accuracy": float("nan")}])
