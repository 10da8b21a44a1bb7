"""`regressions BASE HEAD`, interleaved, on a toy repository: a planted slowdown is called, a
commit against itself is not, a track that moved is said, a failing benchmark is a row."""

from __future__ import annotations

import math
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

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


class TimedProcess:
    """A worker that answers calibrate and sample requests: every call takes ``per_call``
    seconds, its first ``early`` samples ``bias`` times as long; it records the order in
    which its pair's processes were asked."""

    def __init__(self, name, log, per_call, early=0, bias=1.0):
        self.name, self.log, self.per_call = name, log, per_call
        self.early, self.bias, self.samples = early, bias, 0

    def ask(self, op, **request):
        if op == "calibrate":
            return {"number": 1, "seconds": self.per_call}
        self.log.append(self.name)
        self.samples += 1
        bias = self.bias if self.samples <= self.early else 1.0
        return {"seconds": self.per_call * bias * request["number"]}

    def pin(self, cores):
        pass


def timed_pairs(biases, per_call=0.001):
    """One pair of processes per bias: HEAD takes ``bias`` times BASE's time in that pair."""
    logs = [[] for _ in biases]
    pairs = [
        interleaved.Pair(
            TimedProcess("A", log, per_call), TimedProcess("B", log, per_call * bias), "abba", [0]
        )
        for log, bias in zip(logs, biases, strict=True)
    ]
    return pairs, logs


BENCH = interleaved.BenchmarkId("toy.time_work", None, "toy.time_work", "time", "seconds")


def test_every_pair_gets_as_many_rounds_each_alternating_the_order():
    pairs, logs = timed_pairs([1.0, 1.0, 1.0])
    row = interleaved._time(pairs, BENCH)
    assert row.rounds % 3 == 0 and row.rounds >= interleaved.MIN_ROUNDS
    assert row.interval.ratio == pytest.approx(1.0) and row.interval.n == 3
    for k, log in enumerate(logs):
        rounds = ["".join(log[i : i + 4]) for i in range(0, len(log), 4)]
        assert len(rounds) == 1 + row.rounds // 3  # a warm-up round, then its share
        kept = rounds[1:]
        first = "ABBA" if k % 2 == 0 else "BAAB"  # neighbours start the other way round
        assert kept[0] == first and set(kept[:2]) == {"ABBA", "BAAB"}


def test_a_slow_benchmark_gets_half_rounds_and_no_warm_up():
    pairs, logs = timed_pairs([1.0, 1.0], per_call=interleaved.SLOW_SAMPLE)
    row = interleaved._time(pairs, BENCH)
    assert row.rounds == 4  # SLOW_MIN_ROUNDS, rounded up to a multiple of the pairs
    assert ["".join(log) for log in logs] == ["ABBA", "BAAB"]  # two half rounds each
    assert row.base == pytest.approx(interleaved.SLOW_SAMPLE)  # seconds per call


@pytest.mark.parametrize("early", [1, 4])
def test_a_call_on_a_slow_benchmark_is_made_again(early):
    """HEAD 20% faster in each process's first sample only (a passing change of the machine's
    speed): the first rounds call it faster, as many again do not, and nothing is called. HEAD
    faster throughout: called faster, on twice the rounds."""
    logs = [[], []]
    pairs = [
        interleaved.Pair(
            TimedProcess("A", log, interleaved.SLOW_SAMPLE),
            TimedProcess("B", log, interleaved.SLOW_SAMPLE, early=early, bias=0.8),
            "abba",
            [0],
        )
        for log in logs
    ]
    row = interleaved._time(pairs, BENCH)
    assert row.rounds == 8  # SLOW_MIN_ROUNDS in two pairs, then as many again
    if early == 1:  # each pair's first half round read 0.8, its second 1
        assert row.verdict == "no detectable change"
        assert row.note == (
            "faster in its first 4 rounds, not in as many again: 1.000 (1.000-1.000)"
        )
    else:
        assert row.verdict == "faster" and row.interval.ratio == pytest.approx(0.8)
        assert row.note == ""
    assert ["".join(log) for log in logs] == ["ABBAABBA", "BAABBAAB"]


def test_a_bias_of_one_pair_widens_the_interval_and_is_not_called():
    """A process pair whose layout makes HEAD 25% slower throughout, among pairs that read
    no change: rounds within that pair agree, so an interval over every round would exclude
    1; the interval over the pairs covers it."""
    pairs, _ = timed_pairs([1.25, 1.0, 1.0, 1.0])
    row = interleaved._time(pairs, BENCH)
    assert row.verdict == "no detectable change"
    assert row.interval.low < 1 < row.interval.high
    assert row.interval.n == 4
    every_round = interleaved.ratio_interval(  # the same rounds, taken as one group
        [1.25, 1.0, 1.0, 1.0] * 10, [1.0] * 40
    )
    assert every_round.low > 1.0


def test_a_grouped_interval_is_the_t_interval_of_the_groups_means():
    head, base = [1.1, 1.3, 1.0, 1.2, 2.0, 2.2], [1.0] * 6
    groups = [0, 0, 1, 1, 2, 2]
    found = interleaved.ratio_interval(head, base, groups=groups)
    logs = np.log(head)
    means = [logs[0:2].mean(), logs[2:4].mean(), logs[4:6].mean()]
    margin = stats.t.ppf(0.975, 2) * stats.sem(means)
    assert found.n == 3
    assert found.ratio == pytest.approx(math.exp(np.mean(means)))
    assert (found.low, found.high) == pytest.approx(
        (math.exp(np.mean(means) - margin), math.exp(np.mean(means) + margin))
    )
    with pytest.raises(ValueError, match="equally many repeats per group"):
        interleaved.ratio_interval(head[:5], base[:5], groups=groups[:5])


def test_the_grouped_interval_covers_a_ratio_that_each_pair_misreads_95_times_in_100():
    """Four process pairs, each misreading the ratio by a bias of its own (its memory layout:
    4% spread), and 3% noise per round on a machine with two speeds 1.8x apart: the interval
    over the pairs covers the true ratio about 95% of the time; one over every round, as if
    the rounds were independent, far less often."""
    rng = np.random.default_rng(1)
    true, trials, grouped, pooled = 1.1, 3000, 0, 0
    pairs, per_pair = 4, 6
    groups = [k for _ in range(per_pair) for k in range(pairs)]
    for _ in range(trials):
        bias = rng.lognormal(0, 0.04, size=pairs)[groups]
        machine = rng.choice([1.0, 1.8], size=len(groups))
        head = true * bias * machine * rng.lognormal(0, 0.03, size=len(groups))
        base = machine * rng.lognormal(0, 0.03, size=len(groups))
        found = interleaved.ratio_interval(head, base, groups=groups)
        grouped += found.low <= true <= found.high
        every = interleaved.ratio_interval(head, base)
        pooled += every.low <= true <= every.high
    assert 0.935 <= grouped / trials <= 0.965
    assert pooled / trials < 0.8


LAYOUT_SUITE = """
import os


class Layout:
    def track_layout(self):
        environment = sum(len(k) + len(v) + 2 for k, v in os.environ.items())
        return [environment, id(bytearray(64)), hash("layout")]
"""


def test_each_pair_of_processes_is_laid_out_otherwise(tmp_path):
    """A pair's layout k lengthens its environment by k steps (where the stack starts), shifts
    where later allocations fall and hashes with its own seed; layout 0 and 0 lay out alike."""
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "layout_bench.py").write_text(LAYOUT_SUITE)
    found = []
    for layout in (0, 0, 2):
        process = interleaved.BenchProcess(
            tmp_path, tmp_path / "benchmarks", "BASE", None, len(str(tmp_path)), layout
        )
        try:
            process.ask(op="list")
            process.ask(op="prepare", name="layout_bench.Layout.track_layout", param=None)
            found.append(process.ask(op="track")["value"])
        finally:
            process.close()
    assert found[0] == found[1]
    assert found[2][0] == found[0][0] + 2 * interleaved.LAYOUT_ENV_STEP
    assert found[2][1] != found[0][1]
    assert found[2][2] != found[0][2]


def test_pairs_below_two_are_refused_before_any_work(toy_repo, capsys):
    status = main(["regressions", toy_repo["base"], toy_repo["slow"], "--pairs", "1"])
    assert status == 1
    error = capsys.readouterr().err.strip()
    assert error == (
        "backprop-bench regressions: error: --pairs 1: an interval over process pairs needs 2 "
        "or more"
    )
    assert not Path(".asv").exists()


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
