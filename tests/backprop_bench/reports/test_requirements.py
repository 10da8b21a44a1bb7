"""The exact environment of a result: pinned requirements from a folder's environment record."""

from __future__ import annotations

import json

import pytest

from backprop_bench.cli import main
from backprop_bench.errors import BenchError
from backprop_bench.reports.requirements import records_requirements, requirements
from tests.backprop_bench.support import fit_record


def session(date, numpy, torch=None, commit="a" * 40, dirty=False):
    versions = {"python": "3.11.7", "numpy": numpy, "scikit-learn": "1.9.1", "torch": torch}
    return {
        "id": date,
        "jobs": 2,
        "blas_threads_per_job": 1,
        "environment": {
            "cpu": "Some CPU",
            "cores": 2,
            "date": date,
            "git": {"commit": commit, "dirty": dirty},
            "blas": [],
            "versions": versions,
        },
    }


def test_each_library_is_pinned_at_its_newest_version_and_a_disagreement_is_said():
    sessions = [session("2026-01-01", "2.4.5", torch="2.13.0"), session("2026-02-01", "2.4.6")]
    text = requirements(sessions, engines={"NumPy (nets)", "scikit-learn"})
    pins = [line for line in text.splitlines() if not line.startswith("#")]
    assert pins == ["numpy==2.4.6", "scikit-learn==1.9.1"]  # no PyTorch fit: torch not pinned
    assert "# numpy: its sessions used 2.4.5, 2.4.6; pinned to the newest" in text
    assert "Python 3.11.7; the code at commit(s) aaaaaaaaaa:" in text


def test_a_model_of_ones_own_is_named_not_pinned():
    records = [
        fit_record(kind="student_net.network:StudentNetwork", engine="student_net 0.1.0"),
        fit_record(kind="linear", engine="scikit-learn"),
    ]
    text = records_requirements([session("2026-01-01", "2.4.6")], records, "results/x")
    assert "# student_net 0.1.0: a model of one's own made some of these fits; install " in text
    pins = [line for line in text.splitlines() if not line.startswith("#")]
    assert pins == ["numpy==2.4.6", "scikit-learn==1.9.1"]


def test_an_optional_library_is_pinned_where_its_engine_made_a_fit():
    text = requirements([session("2026-01-01", "2.4.6", torch="2.13.0")], engines={"PyTorch"})
    assert "torch==2.13.0" in text.splitlines()
    unrecorded = requirements([session("2026-01-01", "2.4.6")], engines={"oneDAL"})
    assert "# scikit-learn-intelex: oneDAL made some of these fits; its version is not " in (
        unrecorded
    )
    dirty = requirements([session("2026-01-01", "2.4.6", dirty=True)])
    assert "(some sessions with uncommitted changes to it)" in dirty


def test_no_session_is_one_clear_error():
    with pytest.raises(BenchError, match="names no session: nothing to pin"):
        requirements([])


def test_the_command_prints_the_folders_requirements(tmp_path, capsys):
    folder = tmp_path / "results" / "mine"
    folder.mkdir(parents=True)
    document = {"this_run": {}, "sessions": [session("2026-02-01", "2.4.6", torch="2.13.0")]}
    (folder / "environment.json").write_text(json.dumps(document))
    record = fit_record(model="net", kind="network", engine="NumPy (nets)", status="crashed")
    (folder / "runs.jsonl").write_text(json.dumps(record.to_dict()) + "\n")
    assert main(["environment", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "numpy==2.4.6" in out.splitlines() and "torch==2.13.0" not in out
    assert main(["environment", str(tmp_path)]) == 1
    assert "no environment.json here: not a results folder" in capsys.readouterr().err
