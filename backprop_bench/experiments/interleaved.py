"""Two commits' benchmarks measured in one run, interleaved: what ``backprop-bench regressions
BASE HEAD`` does by default.

Timing commit A and then commit B minutes apart measures the machine as much as the code: on
this project's machines pure-Python speed switches between two modes 1.8x apart, in stretches
of up to a second. So both commits are measured at once:

1. Each commit's tree is extracted once (``git archive``) under ``.asv/regressions/<sha>`` and
   reused when the commit is seen again. Its packages run on this environment's interpreter and
   libraries, so the two commits differ in their own code only.
2. Long-lived processes serve the commits (``bench_worker.py``, run by path from this
   checkout with the commit's tree first on ``PYTHONPATH``): ``PAIRS`` pairs of them, a BASE
   and a HEAD process in each. All time the functions of this checkout's asv suite, built the
   way asv builds them (``setup_cache``, ``setup``, samples of ``number`` calls).
3. Every benchmark is sampled in rounds, each round in one pair, the pairs in turn. ``abba``
   (the default): the pair's two processes are pinned to one core and take turns, A B B A,
   then B A A B, so that neither always goes first. ``duet``: the two sample at the same
   time, each on a core of its own, then again with the cores swapped. Either way a round
   gives one paired repeat: A's two samples against B's two. Rounds go on until the ratio's
   interval is within ``TARGET_HALF_WIDTH``, or ``MAX_ROUNDS``, or ``BENCH_SECONDS`` are
   spent, and end with every pair having had as many. Measured on this project's 2-core
   machine, with one pair, a commit against itself moved by a median of 0.6% (90th
   percentile 3.8%) with ``abba``, and by 1.1% (5.7%) with ``duet``, which also called one
   false change: two processes at once share the memory and caches that one of them alone
   would have. So ``abba`` is the default.
4. A process can be faster or slower throughout, by where its memory lies: with the code of
   two commits laid out differently, libsvm's benchmarks read up to a quarter apart in one
   pair of processes, however many rounds it ran. So the pairs differ in layout on purpose
   (``layout``: each pair hashes with a seed of its own, and its environment and first
   allocations are of another size, the two processes of a pair alike), and HEAD / BASE is
   the geometric mean of the pairs' mean ratios, with the 95% interval over the pairs
   (``intervals.ratio_interval`` with groups): a layout's bias is then part of the spread the
   interval covers, not a constant it hides.
5. The verdict calls a benchmark slower (or faster) only when the whole interval lies
   beyond ``MARGIN``. The 95% interval alone would, over some 80 benchmarks, call about four
   in every run of a commit against itself. Demanding a 5% margin as well holds the false
   calls of a whole run down without a per-benchmark correction. Each row also gives the
   smallest change this run could have called: the margin widened by the interval's
   half-width.

Tracks of values timing cannot move (accuracies, agreement) are taken once in each process of
the first pair and compared exactly. The other tracks are values the suite measures within one
process (ratios, a start-up time); between two processes they moved by more than their own
repeats show (an A/A run read 0.54 for the network over JAX), so they are not compared here, nor
is memory: ``asv run`` tracks both. A benchmark whose sample takes ``SLOW_SAMPLE`` or more gets
half rounds, a sample or two per pair; a call made on so few is made again.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments.intervals import EXACT_UNITS, RatioInterval, ratio_interval

WORKER = Path(__file__).with_name("bench_worker.py")

MARGIN = 0.05
"""The smallest change worth a call: 5%, above the A/A spread of paired samples on this
project's machines, below the 10% slowdowns a contributor introduces and must see called."""

TARGET_HALF_WIDTH = 0.015
"""A benchmark's rounds stop once its interval is within ±1.5%: well inside the margin."""

MIN_ROUNDS, MAX_ROUNDS = 4, 40
"""Rounds per benchmark, rounded up to a multiple of the pairs: every pair gets as many."""
BENCH_SECONDS = 4.0
"""The sampling time one benchmark gets at most, past its first ``MIN_ROUNDS`` rounds."""
SLOW_SAMPLE = 0.25
"""A benchmark whose sample takes this long or more (one call: a fit, a loop over a large
batch) gets half rounds, ``SLOW_MIN_ROUNDS`` at least, and no warm-up round: beside so long a
call a cold start is small, and full rounds would take most of a run (656 s for a whole A/A
run with them, against some 480 s). A call made on them must be made again by as many
rounds more, taken alone: a sample of a second spans the machine's changes of speed, and
four pairs that each had one such sample agreed by chance often enough to call
``time_gradient('per_unit', 1000, 100)`` 0.735 (0.595-0.909) in a run of a plant that does
not touch it."""
SLOW_MIN_ROUNDS = 3

REPLY_SECONDS = 600.0
"""A worker that has not answered one request in this long is taken for hung."""

PAIRS = 4
"""Process pairs per run: the interval has ``PAIRS - 1`` degrees of freedom (t = 3.18 at 4
pairs, 4.30 at 3), and every pair costs its processes' start, each benchmark's ``setup`` and
its warm-up."""
LAYOUT_ENV_STEP = 208
"""Pair k's environments are ``k * LAYOUT_ENV_STEP`` bytes longer (where the stack starts);
the worker shifts its heap and its memory maps by ``k`` steps of its own (``bench_worker``)."""

SCHEDULES = ("abba", "duet")
SLOWER, FASTER, NO_CHANGE = "slower", "faster", "no detectable change"
HIGHER, LOWER = "higher", "lower"
NOT_COMPARED = "not compared"
WITHIN_ONE_PROCESS = (
    "a value measured within one process (a ratio, a start-up time): between two processes it "
    "moves by more than its own repeats show; asv run tracks it"
)
CALLS = (SLOWER, FASTER, HIGHER, LOWER, "changed", "failed")
"""The verdicts a run reports by default (the others: no detectable change, same, skipped,
not compared)."""


def checkout(sha: str, root: Path, repo: Path = Path(".")) -> Path:
    """Commit ``sha``'s tree under ``root/sha``, extracted once with ``git archive`` and reused
    while its marker names the commit; a half-written one is replaced whole."""
    folder = root / sha
    marker = folder / ".commit"
    if marker.is_file() and marker.read_text(encoding="ascii").strip() == sha:
        return folder
    done = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", sha], capture_output=True, check=False
    )
    if done.returncode != 0:
        problem = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        raise BenchError(f"commit {sha[:8]}: git archive failed ({problem[0]})")
    partial = root / f".{sha}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(partial, filter="data")
    (partial / ".commit").write_text(sha + "\n", encoding="ascii")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    return folder


class BenchProcess:
    """One commit's long-lived benchmark process (``bench_worker.py``)."""

    def __init__(
        self,
        tree: Path,
        benchmarks: Path,
        label: str,
        log: Any,
        env_size: int = 0,
        layout: int = 0,
    ) -> None:
        self.label = label
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tree), *_pythonpath()]),
            # both processes of a pair hash (and so lay out sets and dicts) alike, and have
            # environments of one size (``env_size``: the longer tree's path): with no address
            # randomisation, where the stack starts depends on it; each pair has its own hash
            # seed and environment size, part of its layout (module docstring, 4)
            "PYTHONHASHSEED": str(layout),
            "BACKPROP_BENCH_ENV_PAD": "x"
            * max(env_size + layout * LAYOUT_ENV_STEP - len(str(tree)), 0),
            "BACKPROP_BENCH_LAYOUT": str(layout),
        }
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(benchmarks.resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            preexec_fn=_same_addresses,
        )
        self.pid = self.read()["pid"]

    def send(self, **request: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], REPLY_SECONDS)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            code = self.process.poll()
            why = f"exit code {code}" if code is not None else "no answer"
            raise BenchError(f"the {self.label} benchmark process stopped ({why}); see its log")
        return json.loads(line)

    def ask(self, **request: Any) -> dict[str, Any]:
        self.send(**request)
        return self.read()

    def pin(self, cores: set[int]) -> None:
        """Run this process on ``cores`` only (Linux; elsewhere a no-op)."""
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(self.pid, cores)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send(op="quit")
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


ADDR_NO_RANDOMIZE = 0x0040000  # Linux's personality flag: no address-space randomisation


def _same_addresses() -> None:
    """In the new process, before it starts: turn off address-space randomisation (Linux),
    so that both processes lay out their memory alike. With it on, pure-Python benchmarks of
    a commit against itself read up to 9% apart, one process consistently the faster: where
    the interpreter's objects fall decides how well they share the caches."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.personality(ADDR_NO_RANDOMIZE)
    except (OSError, AttributeError):  # not Linux: randomised as usual
        pass


def _pythonpath() -> list[str]:
    return [part for part in os.environ.get("PYTHONPATH", "").split(os.pathsep) if part]


@dataclass(frozen=True)
class BenchmarkId:
    """One benchmark at one parameter combination (``param`` None: it has no parameters)."""

    name: str
    param: int | None
    label: str  # the name with its parameter values, for tables
    kind: str  # asv's type: time, track, peakmemory, ...
    unit: str = ""  # asv's unit: seconds, accuracy, ...


def benchmark_ids(process: BenchProcess, pattern: str | None = None) -> list[BenchmarkId]:
    """Every benchmark of the suite, at every parameter combination, as ``process`` finds it
    (the suite is imported there, never here); those whose name matches the regular
    expression ``pattern`` where given."""
    import re

    reply = process.ask(op="list")
    if "error" in reply:
        raise BenchError(f"the asv suite cannot be read: {reply['error']}")
    found = [BenchmarkId(**item) for item in reply["benchmarks"]]
    return [bench for bench in found if not pattern or re.search(pattern, bench.name)]


@dataclass(frozen=True)
class Row:
    """HEAD against BASE on one benchmark."""

    benchmark: BenchmarkId
    verdict: str
    interval: RatioInterval | None = None
    base: float | None = None  # seconds per call (time) or the value (track), the median
    head: float | None = None
    rounds: int = 0
    note: str = ""
    seconds: float = 0.0  # the wall time it took, set-up included

    @property
    def detectable(self) -> float | None:
        """The smallest change, either way, that this row's interval could have called."""
        if self.interval is None:
            return None
        return (1 + MARGIN) * (1 + self.interval.half_width) - 1


def verdict(interval: RatioInterval, kind: str = "time", margin: float = MARGIN) -> str:
    """HEAD's verdict: beyond the margin either way with the whole interval, or no change."""
    up, down = (SLOWER, FASTER) if kind == "time" else (HIGHER, LOWER)
    if interval.low > 1 + margin:
        return up
    if interval.high < 1 / (1 + margin):
        return down
    return NO_CHANGE


class Pair:
    """The two processes and the schedule that alternates them."""

    def __init__(self, base: BenchProcess, head: BenchProcess, schedule: str, cores: Sequence[int]):
        if schedule not in SCHEDULES:
            raise BenchError(f"--schedule {schedule!r}: choose {' or '.join(SCHEDULES)}")
        self.base, self.head, self.schedule = base, head, schedule
        self.cores = list(cores)

    def release(self) -> None:
        """Both processes back on every core: a benchmark's set-up and its tracked values run
        as they would under asv (one of them times a 2-worker cluster); only samples are
        pinned."""
        for process in (self.base, self.head):
            process.pin(set(self.cores))

    def both(self, **request: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The same request to both, one after the other."""
        return self.base.ask(**request), self.head.ask(**request)

    def round(self, number: int, index: int, short: bool = False) -> tuple[float, float]:
        """One round of samples: (BASE's seconds, HEAD's seconds). ``short``: half a round,
        one sample each (A B, or B A at an odd ``index``; duet: without the swap)."""
        if self.schedule == "duet" and len(self.cores) >= 2:
            took = [0.0, 0.0]
            swaps = ((self.cores[0], self.cores[1]), (self.cores[1], self.cores[0]))
            for cores in swaps[:1] if short else swaps:
                self.base.pin({cores[0]})  # at the same time, each on its core, then swapped
                self.head.pin({cores[1]})
                for process in (self.base, self.head):
                    process.send(op="sample", number=number)
                took[0] += _seconds(self.base.read())
                took[1] += _seconds(self.head.read())
            return took[0], took[1]
        for process in (self.base, self.head):
            process.pin({self.cores[-1]})
        a, b = (self.base, self.head) if index % 2 == 0 else (self.head, self.base)
        order = (a, b) if short else (a, b, b, a)  # A B B A, then B A A B
        took = {id(self.base): 0.0, id(self.head): 0.0}
        for process in order:
            took[id(process)] += _seconds(process.ask(op="sample", number=number))
        return took[id(self.base)], took[id(self.head)]


def _seconds(reply: dict[str, Any]) -> float:
    if "error" in reply:
        raise _Failed(reply["error"])
    return float(reply["seconds"])


class _Failed(Exception):
    """A benchmark failed in a worker: its row says why, and the run goes on."""


def measure(pairs: Sequence[Pair], bench: BenchmarkId) -> Row:
    """HEAD against BASE on ``bench``: prepare every process, then sample in rounds, the pairs
    in turn (module docstring)."""
    if bench.kind not in ("time", "track"):
        return Row(bench, NOT_COMPARED, note="memory is measured by asv run")
    if bench.kind == "track" and bench.unit not in EXACT_UNITS:
        return Row(bench, NOT_COMPARED, note=WITHIN_ONE_PROCESS)
    try:
        for pair in pairs:
            replies = pair.both(op="prepare", name=bench.name, param=bench.param)
            for side, reply in zip(("base", "head"), replies, strict=True):
                if "error" in reply:
                    return Row(bench, "failed", note=f"{side}: {reply['error']}")
            if any(reply["skipped"] for reply in replies):
                return Row(bench, "skipped", note="skipped by the suite")
            if bench.kind == "track":  # one pair's values: they do not depend on the layout
                return _track(pair, bench)
        return _time(pairs, bench)
    except _Failed as error:
        return Row(bench, "failed", note=str(error))
    finally:
        for pair in pairs:
            pair.release()


def _time(pairs: Sequence[Pair], bench: BenchmarkId) -> Row:
    replies = pairs[0].both(op="calibrate")  # both, so that both have run the same calls
    for reply in replies:
        if "error" in reply:
            raise _Failed(reply["error"])
    number = int(replies[0]["number"])
    slow = float(replies[0].get("seconds") or 0.0) >= SLOW_SAMPLE
    if not slow:  # warm-up, not kept: without it, rounds took twice as long to converge
        for pair in pairs:
            pair.round(number, 1)
    minimum = SLOW_MIN_ROUNDS if slow else MIN_ROUNDS
    minimum = len(pairs) * -(-minimum // len(pairs))  # as many rounds in every pair
    base: list[float] = []
    head: list[float] = []

    def rounds(count: int) -> RatioInterval:
        """``count`` more rounds, the pairs in turn; the interval of those rounds alone."""
        start = len(base)
        while len(base) < start + count:
            # each pair's rounds alternate A B B A and B A A B, and so do its neighbour's,
            # the other way round; a slow benchmark's rounds are half rounds (A B, B A)
            turn, pair = divmod(len(base), len(pairs))
            b, h = pairs[pair].round(number, turn + pair, short=slow)
            base.append(b)
            head.append(h)
        return _interval(head[start:], base[start:], len(pairs))

    start = time.perf_counter()
    interval = rounds(minimum)
    while not (
        interval.half_width <= TARGET_HALF_WIDTH
        or len(base) >= MAX_ROUNDS
        or time.perf_counter() - start >= BENCH_SECONDS
    ):
        rounds(len(pairs))
        interval = _interval(head, base, len(pairs))
    first, note = verdict(interval), ""
    if slow and first != NO_CHANGE:  # a call on a sample or two per pair is made again
        again = rounds(len(base))
        interval = _interval(head, base, len(pairs))
        if verdict(again) != first:
            note = (
                f"{first} in its first {len(base) // 2} rounds, not in as many again: "
                f"{again.ratio:.3f} ({again.low:.3f}-{again.high:.3f})"
            )
    call = NO_CHANGE if note else verdict(interval)
    per_call = (1 if slow else 2) * number  # samples of ``number`` calls per round and side
    return Row(
        bench,
        call,
        interval,
        statistics.median(base) / per_call,
        statistics.median(head) / per_call,
        len(base),
        note,
    )


def _interval(head: Sequence[float], base: Sequence[float], pairs: int) -> RatioInterval:
    """HEAD / BASE over rounds taken the pairs in turn: the interval over the pairs."""
    groups = [i % pairs for i in range(len(base))] if pairs > 1 else None
    return ratio_interval(head, base, groups=groups)


def _track(pair: Pair, bench: BenchmarkId) -> Row:
    """A track of a value timing cannot move (``EXACT_UNITS``: accuracies, agreement), taken
    once in each process of ``pair`` and compared exactly: ``same`` or ``changed``."""
    values = []
    for side in ("base", "head"):
        reply = getattr(pair, side).ask(op="track")
        if "error" in reply:
            raise _Failed(reply["error"])
        values.append(reply["value"])
    base, head = values
    return Row(
        bench, "same" if repr(base) == repr(head) else "changed", note=f"{base!r} -> {head!r}"
    )


def check_pairs(pairs: int) -> int:
    """``pairs``, if an interval can be taken over that many pairs of processes."""
    if pairs < 2:
        raise BenchError(f"--pairs {pairs}: an interval over process pairs needs 2 or more")
    return pairs


def compare(
    base_tree: Path,
    head_tree: Path,
    benchmarks: Path,
    pattern: str | None = None,
    *,
    schedule: str = "abba",
    pairs: int = PAIRS,
    cores: Sequence[int] | None = None,
    log: Any = None,
    progress: Callable[[Row, int, int], None] | None = None,
) -> list[Row]:
    """Measure every benchmark of the suite in ``benchmarks`` (those matching ``pattern``) on
    the two trees, interleaved, in ``pairs`` pairs of processes (module docstring)."""
    check_pairs(pairs)
    cores = sorted(os.sched_getaffinity(0)) if cores is None else list(cores)
    size = max(len(str(base_tree)), len(str(head_tree)))
    processes: list[BenchProcess] = []
    rows = []
    try:
        for layout in range(pairs):
            for tree, label in ((base_tree, "BASE"), (head_tree, "HEAD")):
                processes.append(BenchProcess(tree, benchmarks, label, log, size, layout))
        ids = []
        for process in processes:  # all import the whole suite: the same history in each
            ids = benchmark_ids(process, pattern)
        if not ids:
            raise BenchError(f"no benchmark of {benchmarks}/ matches {pattern!r}")
        every = [
            Pair(processes[k], processes[k + 1], schedule, cores)
            for k in range(0, len(processes), 2)
        ]
        for index, bench in enumerate(ids, 1):
            start = time.perf_counter()
            row = dataclasses.replace(measure(every, bench), seconds=time.perf_counter() - start)
            rows.append(row)
            if progress is not None:
                progress(row, index, len(ids))
    finally:
        for process in processes:
            process.close()
    return rows


def table(rows: Sequence[Row]) -> Any:
    """One line per row, as a pandas DataFrame: the benchmark, BASE and HEAD (seconds per call,
    or a track's value), HEAD / BASE with its 95% interval, the verdict, the smallest change
    the row could have called, the rounds."""
    import pandas as pd

    return pd.DataFrame(
        {
            "benchmark": [row.benchmark.label for row in rows],
            "base": [row.base for row in rows],
            "head": [row.head for row in rows],
            "head/base": [row.interval.ratio if row.interval else None for row in rows],
            "95% CI low": [row.interval.low if row.interval else None for row in rows],
            "95% CI high": [row.interval.high if row.interval else None for row in rows],
            "verdict": [row.verdict for row in rows],
            "detectable ±%": [
                None if row.detectable is None else 100 * row.detectable for row in rows
            ],
            "rounds": [row.rounds for row in rows],
            "seconds": [round(row.seconds, 1) for row in rows],
            "note": [row.note for row in rows],
        }
    )
