"""The Python API: ``backprop_bench.compare`` and ``backprop_bench.sweep`` give the records the
command line gives, with the table and verdicts as DataFrames."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import backprop_bench
from backprop_bench import cli
from backprop_bench.errors import BenchError
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import RunOptions
from backprop_bench.reports import publish

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "student-net"
STUDENT = "student_net.network:StudentNetwork"
MODELS = ["mnist-000", STUDENT, "linear"]
REQUEST = {"seeds": [0, 1], "n_train": 300, "n_test": 120}


@pytest.fixture
def student(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.setenv("PYTHONPATH", str(EXAMPLE))
    return STUDENT


def fitted(record):
    """What a fit computed, without when and how fast."""
    return (record.key, record.model, record.kind, record.engine, record.seed, record.status,
            record.test_accuracy, record.test_predictions, record.dtype, record.n_parameters,
            json.dumps(record.hyperparameters, sort_keys=True))  # fmt: skip


def test_the_api_and_the_command_line_give_the_same_records(student, tmp_path, monkeypatch):
    options = RunOptions(cache=FitCache(tmp_path / "api-cache" / "runs"))
    outcome = backprop_bench.compare(
        dataset="digits", models=MODELS, pairs=[f"{STUDENT}:linear"], options=options, **REQUEST
    )
    assert outcome.out is None and outcome.comparison.this_run["fitted"] == 5

    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "cli-cache"))  # fitted anew
    argv = ["compare", "--dataset", "digits", "--models", ",".join(MODELS), "--seeds", "0-1",
            "--n-train", "300", "--n-test", "120", "--pairs", f"{STUDENT}:linear",
            "--out", str(tmp_path / "out"), "--readme", str(tmp_path / "README.md")]  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(argv) == 0
    written, _ = publish.read_results(tmp_path / "out")
    assert [fitted(r) for r in written] == [fitted(r) for r in outcome.records]
    assert publish.read_pairs(tmp_path / "out") == [(STUDENT, "linear")]
    verdicts_md = (tmp_path / "out" / "verdicts.md").read_text()
    assert f"`{STUDENT}` vs `linear`" in verdicts_md

    table = outcome.table()
    assert isinstance(table, pd.DataFrame)
    assert list(table["model"]) == MODELS
    assert table.set_index("model").loc[STUDENT, "engine"] == "student_net 0.1.0"
    verdicts = outcome.verdicts()
    pairs = set(zip(verdicts["first"], verdicts["second"], strict=True))
    assert pairs == {("mnist-000", STUDENT), ("mnist-000", "linear"), (STUDENT, "linear")}
    assert set(verdicts["seed"].dropna()) <= {0, 1}


def test_the_api_writes_the_folder_the_command_line_writes(tmp_path):
    options = RunOptions(cache=FitCache(tmp_path / "runs"))
    request = {**REQUEST, "seeds": [0]}
    outcome = backprop_bench.compare(
        "digits", ["mnist-000", "linear"], out=tmp_path / "a", options=options, **request
    )
    assert outcome.out == tmp_path / "a"
    assert sorted(path.name for path in outcome.paths) == sorted(
        path.name for path in (tmp_path / "a").iterdir() if not path.name.startswith(".")
    )
    table = (tmp_path / "a" / "comparison.csv").read_text()
    assert "mnist-000" in table and "linear" in table


def test_a_bad_request_is_one_line_before_any_fit(tmp_path):
    options = RunOptions(cache=FitCache(tmp_path / "runs"))
    with pytest.raises(BenchError, match=r"--pairs svc:linear: this comparison has no model 'svc'"):
        backprop_bench.compare("digits", ["linear"], pairs=["svc:linear"], options=options)
    with pytest.raises(
        BenchError, match=r"model 'nowhere.at_all:Net': module 'nowhere.at_all' not"
    ):
        backprop_bench.compare("digits", ["linear", "nowhere.at_all:Net"], options=options)
    assert not (tmp_path / "runs").exists()


def test_a_sweep_from_a_dict_gives_its_tidy_table(student, tmp_path):
    document = {
        "datasets": ["digits"],
        "n_train": [300],
        "n_test": 120,
        "seeds": [0],
        "models": ["mnist-000", STUDENT],
        "grid": {STUDENT: {"hidden": [10, 20]}},
    }
    options = RunOptions(cache=FitCache(tmp_path / "runs"), isolate=False)
    outcome = backprop_bench.sweep(document, options=options)
    table = outcome.table()
    points = [f"{STUDENT} hidden=10", f"{STUDENT} hidden=20"]
    assert list(table["label"]) == ["mnist-000", *points]
    assert list(table["model"]) == ["mnist-000", STUDENT, STUDENT]
    assert list(table["hidden"].iloc[1:]) == [10, 20]
    assert len(outcome.records) == 3 and not outcome.crashed
    verdicts = outcome.verdicts()  # one dataset and size: the test set is shared
    assert list(zip(verdicts["first"], verdicts["second"], strict=True)) == [
        ("mnist-000", point) for point in points
    ]


def test_a_script_without_the_main_guard_is_told_why_its_fits_died(tmp_path):
    """Each worker imports the script that started it first (Python's multiprocessing does):
    one that starts fits at its top level starts them again there, and its workers die."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import backprop_bench\n"
        "outcome = backprop_bench.compare('digits', ['linear'], seeds=[0], n_train=200)\n"
        "print(outcome.records[0].reason)\n"
    )
    env = {**os.environ, "BACKPROP_BENCH_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith(
        f"each worker imports {script} first, so a script must start its fits under "
        '`if __name__ == "__main__":`'
    )
