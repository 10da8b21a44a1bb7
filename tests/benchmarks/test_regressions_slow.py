"""End to end: a deliberate 2x slowdown in one gradient routine is called, an A/A pair is not.

In a temporary clone of this repository: commit A is HEAD, A2 an empty commit on it (the same
code under another name), B a commit on A2 whose ``per_sample`` routine does its work twice
(the same result, twice the time). The suite runs on small data (BACKPROP_BENCH_ASV_SMALL=1) in
asv's own environment: ``noise-floor`` runs A twice, then A2 and B once each. ``regressions A
A2`` must flag nothing; ``regressions A2 B`` exactly the benchmarks that time per_sample: its
calls in the routine grid, and the two rung speedups it is part of.

Run it with ``pytest -m timing`` on a quiet machine; it is not part of CI. On the project's
2-core cloud machine it found the planted slowdown in each of seven tries (ratios 1.6-3.3), but
the exact-set and A/A assertions failed in every try, each time on a different benchmark: a
single A/A pair's floors are too low for some benchmarks and, in one try, far too high for
per_sample itself; and the machine's own fixed Python workload moved by up to 1.56x between
runs (docs/benchmarks.md).

Every benchmark runs except the roofline (``BENCH``): on small data its step is a millisecond
on a 128-wide network, and its tracked ratio read 0.29 once against 0.84-0.88 otherwise, which
says nothing about the code and would make this check a coin toss.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from backprop_bench.reports.asv_results import read_asv_results, select_run
from backprop_bench.reports.noise import FLAGGED, read_noise_floor, regression_table

ROOT = pathlib.Path(__file__).resolve().parents[2]
BENCH = "^(baseline_models|gradients|machine|peers|training)"

PLANTED = """

_one_pass = per_sample


def per_sample(network, X, Y):  # planted by the regression test: twice the work, same result
    _one_pass(network, X, Y)
    return _one_pass(network, X, Y)
"""


def run(command: list[str], cwd: pathlib.Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "BACKPROP_BENCH_ASV_SMALL": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def git(cwd: pathlib.Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    done = run(["git", *identity, *args], cwd, check=True)
    return done.stdout.strip()


@pytest.mark.timing
@pytest.mark.skipif(shutil.which("git") is None, reason="asv needs git")
def test_planted_slowdown_is_flagged_and_an_aa_pair_is_not(tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(ROOT), str(clone))
    a = git(clone, "rev-parse", "HEAD")
    git(clone, "commit", "-q", "--allow-empty", "-m", "A2: the same code")
    a2 = git(clone, "rev-parse", "HEAD")
    routine = clone / "nets" / "gradients" / "per_sample.py"
    assert "def per_sample(" in routine.read_text()
    routine.write_text(routine.read_text() + PLANTED)
    git(clone, "commit", "-q", "-am", "B: per_sample does its work twice")
    b = git(clone, "rev-parse", "HEAD")

    cli = [str(pathlib.Path(sys.executable).with_name("backprop-bench"))]
    done = run([sys.executable, "-m", "asv", "machine", "--yes"], clone)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(
        [*cli, "noise-floor", "--commit", a, "--bench", BENCH, "--readme", "absent.md"],
        clone,
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for commit in (a2, b):
        done = run(
            [sys.executable, "-m", "asv", "run", f"{commit}^!", "--bench", BENCH],
            clone,
            timeout=1800,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = read_asv_results(clone / ".asv" / "results")
    floor = read_noise_floor(clone / "results" / "benchmarks" / "noise_floor.csv")

    def flagged(base: str, head: str) -> set[tuple[str, str]]:
        table = regression_table(
            select_run(results, base, clone), select_run(results, head, clone), floor
        )
        called = table[table["verdict"].isin(FLAGGED)]
        return set(zip(called["benchmark"], called["params"], strict=True))

    assert flagged(a, a2) == set()
    grid = "gradients.GradientRoutines.time_gradient"
    rungs = "gradients.RungSpeedup.track_speedup"
    assert flagged(a2, b) == {
        (grid, "routine=per_sample, batch_size=1, width=30"),
        (grid, "routine=per_sample, batch_size=10, width=30"),
        (rungs, "rungs=per_unit/per_sample"),
        (rungs, "rungs=per_sample/vectorised"),
    }
    # The command says the same, and exits 1 because something was flagged.
    done = run([*cli, "regressions", a2, b], clone)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "4 slower" not in done.stdout  # two grid calls slower, two ratios moved
    assert "2 slower" in done.stdout
