"""End to end, on the real suite: a deliberate 2x slowdown in one gradient routine is called by
``regressions``, and a commit compared with itself calls nothing.

In a temporary clone of this repository: commit A is HEAD, B a commit on it whose
``per_sample`` routine does its work twice (the same result, twice the time). ``regressions``
measures both commits in one run, interleaved (``experiments.interleaved``), on the routine
grid (``--bench``) with the suite's small data (``BACKPROP_BENCH_ASV_SMALL=1``), to fit CI's
time. ``regressions A A`` must call nothing; ``regressions A B`` exactly the grid's per_sample
benchmarks, each slower.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from backprop_bench.experiments.planted import PLANTS

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCH = "^gradients.GradientRoutines"

PLANT = PLANTS["per_sample-2x"]  # the same plant that check-regressions uses


def run(command: list[str], cwd: pathlib.Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "BACKPROP_BENCH_ASV_SMALL": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def git(cwd: pathlib.Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    done = run(["git", *identity, *args], cwd, check=True)
    return done.stdout.strip()


def calls(stdout: str) -> dict[str, str]:
    """benchmark label -> verdict, for every row of the printed table (``--all``)."""
    rows = [line.split("|") for line in stdout.splitlines() if line.startswith("| gradients.")]
    return {cells[1].strip(): cells[7].strip() for cells in rows}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="regressions extracts commits with git")
def test_planted_slowdown_is_called_and_a_commit_against_itself_is_not(tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(ROOT), str(clone))
    a = git(clone, "rev-parse", "HEAD")
    routine = clone / PLANT.path
    assert "def per_sample(" in routine.read_text()
    routine.write_text(routine.read_text() + PLANT.code)
    git(clone, "commit", "-q", "-am", "B: per_sample does its work twice")
    b = git(clone, "rev-parse", "HEAD")
    cli = [sys.executable, "-m", "backprop_bench"]

    same = run([*cli, "regressions", a, a, "--bench", BENCH, "--all"], clone, timeout=900)
    assert same.returncode == 0, same.stdout[-3000:] + same.stderr[-3000:]
    verdicts = calls(same.stdout)
    assert verdicts, same.stdout
    assert set(verdicts.values()) <= {"no detectable change", "skipped"}, same.stdout

    planted = run([*cli, "regressions", a, b, "--bench", BENCH, "--all"], clone, timeout=900)
    assert planted.returncode == 1, planted.stdout[-3000:] + planted.stderr[-3000:]
    verdicts = calls(planted.stdout)
    measured = {label for label, verdict in verdicts.items() if verdict != "skipped"}
    per_sample = {label for label in measured if PLANT.must(label)}
    assert per_sample, planted.stdout
    called = {label: verdict for label, verdict in verdicts.items() if label in measured}
    assert {label for label, v in called.items() if v != "no detectable change"} == per_sample, (
        planted.stdout
    )
    assert {called[label] for label in per_sample} == {"slower"}
