"""`regressions BASE HEAD`, interleaved, on a toy repository: a planted slowdown is called, a
commit against itself is not, a track that moved is said, a failing benchmark is a row."""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from backprop_bench.cli import main
from backprop_bench.experiments import interleaved
from backprop_bench.experiments.intervals import RatioInterval
from tests.backprop_bench.support import suite_repo

SUITE = """
import toy


class Toy:
    def time_work(self):
        toy.work()

    def track_value(self):
        return toy.value()

    def track_accuracy(self):
        return toy.ACCURACY

    track_accuracy.unit = "accuracy"

    def time_broken(self):
        toy.broken()
"""


def commit(repo, loops: int, value: float, message: str) -> str:
    (repo / "toy").mkdir(exist_ok=True)
    (repo / "toy" / "__init__.py").write_text(
        textwrap.dedent(f"""
        import itertools

        VALUE = {value}
        ACCURACY = {0.25 + value / 4}
        _calls = itertools.count()


        def value():
            return VALUE * (1 + next(_calls) * 1e-4)  # a value that varies a little per call


        def work():
            total = 0
            for i in range({loops}):
                total += i
            return total


        def broken():
            raise RuntimeError("this benchmark fails")
    """)
    )
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message],
        cwd=repo,
        check=True,
    )
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def toy_repo(tmp_path, monkeypatch):
    repo = suite_repo(tmp_path, SUITE)
    shas = {
        "base": commit(repo, 20_000, 1.0, "base"),
        "slow": commit(repo, 40_000, 1.0, "twice the work"),
        "value": commit(repo, 20_000, 2.0, "another value"),
    }
    monkeypatch.chdir(repo)
    return shas


def test_a_planted_slowdown_is_called_and_nothing_else(toy_repo, capsys):
    status = main(["regressions", toy_repo["base"], toy_repo["slow"], "--all"])
    out = capsys.readouterr().out
    assert status == 1, out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if "toy_bench" in line}
    assert "| slower " in rows["toy_bench.Toy.time_work"]
    assert "| not compared " in rows["toy_bench.Toy.track_value"]
    assert "| same " in rows["toy_bench.Toy.track_accuracy"]
    assert "| failed " in rows["toy_bench.Toy.time_broken"]
    assert "RuntimeError: this benchmark fails" in rows["toy_bench.Toy.time_broken"]


def test_a_commit_against_itself_calls_nothing_but_failures(toy_repo, capsys):
    status = main(["regressions", toy_repo["base"], toy_repo["base"], "--all"])
    out = capsys.readouterr().out
    assert status == 0, out
    work = next(line for line in out.splitlines() if "toy_bench.Toy.time_work" in line)
    assert "no detectable change" in work
    assert "1 of 4 benchmarks called (" in out  # the broken one, failed on both


def test_a_tracked_ratio_is_not_compared_and_an_exact_value_is(toy_repo, capsys):
    """A value the suite measures within one process (a ratio) is not compared, even where
    it doubled; a value timing cannot move (an accuracy) is compared exactly."""
    main(["regressions", toy_repo["base"], toy_repo["value"], "--all", "--bench", "track"])
    out = capsys.readouterr().out
    value = next(line for line in out.splitlines() if "toy_bench.Toy.track_value" in line)
    assert "| not compared " in value and "asv run tracks it" in value
    accuracy = next(line for line in out.splitlines() if "toy_bench.Toy.track_accuracy" in line)
    assert "| changed " in accuracy and "0.5 -> 0.75" in accuracy


def test_each_commit_is_extracted_once_and_reused(toy_repo, tmp_path):
    root = tmp_path / "trees"
    first = interleaved.checkout(toy_repo["base"], root)
    marker = first / ".commit"
    stamp = marker.stat().st_mtime_ns
    assert interleaved.checkout(toy_repo["base"], root) == first
    assert marker.stat().st_mtime_ns == stamp
    marker.write_text("someone else's\n")  # not this commit's: extracted again, whole
    assert interleaved.checkout(toy_repo["base"], root) == first
    assert marker.read_text().strip() == toy_repo["base"]


def test_the_verdict_needs_the_whole_interval_beyond_the_margin():
    def call(low, high):
        return interleaved.verdict(RatioInterval((low * high) ** 0.5, low, high, 5))

    assert call(1.06, 1.10) == "slower"
    assert call(1.04, 1.10) == "no detectable change"  # 1.04 is within the 5% margin
    assert call(0.90, 0.94) == "faster"
    assert call(0.90, 0.96) == "no detectable change"
    assert interleaved.verdict(RatioInterval(1.2, 1.1, 1.3, 5), "track") == "higher"


class FakeProcess:
    """Records the order of samples; every sample takes ``seconds``."""

    def __init__(self, name, log, seconds):
        self.name, self.log, self.seconds, self.cores = name, log, seconds, None

    def ask(self, **request):
        self.log.append(self.name)
        return {"seconds": self.seconds}

    def send(self, **request):
        self.log.append(self.name)

    def read(self):
        return {"seconds": self.seconds}

    def pin(self, cores):
        self.cores = set(cores)


def test_abba_takes_turns_on_one_core_and_duet_swaps_the_cores():
    log = []
    base, head = FakeProcess("A", log, 1.0), FakeProcess("B", log, 1.5)
    pair = interleaved.Pair(base, head, "abba", [0, 1])
    assert pair.round(10, 0) == (2.0, 3.0) and pair.round(10, 1) == (2.0, 3.0)
    assert "".join(log) == "ABBABAAB"  # neither always goes first
    assert base.cores == head.cores == {1}
    pair.release()
    assert base.cores == head.cores == {0, 1}
    duet = interleaved.Pair(base, head, "duet", [0, 1])
    assert duet.round(10, 0) == (2.0, 3.0)  # two samples each, at the same time
    assert (base.cores, head.cores) == ({1}, {0})  # the second with the cores swapped
    with pytest.raises(interleaved.BenchError, match="--schedule 'ab': choose abba or duet"):
        interleaved.Pair(base, head, "ab", [0, 1])


ENVIRONMENT_SUITE = """
import os


class Env:
    def track_environment_size(self):
        return sum(len(k) + len(v) + 2 for k, v in os.environ.items())

    track_environment_size.unit = "accuracy"  # compared exactly
"""


def test_both_processes_get_environments_of_one_size(tmp_path):
    """With no address randomisation, where a process's stack starts depends on the size of
    its environment; two trees whose paths differ in length must not make it differ."""
    trees = [tmp_path / "a", tmp_path / ("b" * 60)]
    for tree in trees:
        (tree / "benchmarks").mkdir(parents=True)
        (tree / "benchmarks" / "__init__.py").write_text("")
        (tree / "benchmarks" / "env_bench.py").write_text(ENVIRONMENT_SUITE)
    rows = interleaved.compare(trees[0], trees[1], trees[0] / "benchmarks")
    assert [row.verdict for row in rows] == ["same"], rows
