"""Progress of a comparison run (command line only). On a terminal: one bar for the fits, one
per running fit for its epochs. Elsewhere (a log file, CI): plain lines -- the plan first, each
fit with its estimated time and the expected wall time of the whole run; a line per finished
fit; and, while fits run, a line at least every ``HEARTBEAT`` seconds naming what is running --
so a long run written to a file is never silent for long.

``FitProgress`` is the runner's ``on_event`` callback. Events arrive from the main thread and
from the thread relaying worker events, so every update holds a lock.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from tqdm import tqdm

from backprop_bench.experiments.planning import expected_wall_seconds
from backprop_bench.reports.tables import duration

HEARTBEAT = 60.0  # seconds: off a terminal, the longest silence while fits run
LISTED = 20  # fits the plan lists one by one (the longest); the rest are counted


class FitProgress:
    """Turns runner events (``plan``, ``start``, ``epoch``, ``done``) into tqdm bars or lines."""

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        heartbeat: float = HEARTBEAT,
        out: object = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.out = out  # the results folder, named with the plan
        self.enabled = self.stream.isatty() if enabled is None else enabled  # bars, or lines
        self.heartbeat = heartbeat
        self.sizes = 1  # training-set sizes in the plan: a sweep names each fit's
        self.running: dict[str, float] = {}  # key -> when it started (lines only)
        self.last_line = time.monotonic()
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None
        self.finished = 0
        self.planned = 0
        self.lock = threading.Lock()
        self.labels: dict[str, str] = {}
        self.bars: dict[str, tqdm] = {}
        self.positions: dict[str, int] = {}  # screen line of each running fit's bar
        self.free: list[int] = []
        self.total: tqdm | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        with self.lock:
            if self.enabled:
                getattr(self, "_" + event["event"])(event)
            elif event["event"] in ("plan", "start", "done"):
                getattr(self, "_line_" + event["event"])(event)

    def _label(self, task: Any) -> str:
        seed = "" if task.seed is None else f" seed {task.seed}"
        size = f" n_train {task.data.n_train:,}" if self.sizes > 1 else ""
        return f"{task.spec.name}{size}{seed}"

    def _line(self, text: str) -> None:
        print(f"backprop-bench: {text}", file=self.stream, flush=True)
        self.last_line = time.monotonic()

    def _sizes(self, tasks: Any) -> None:
        """How many training-set sizes the plan holds (a sweep's labels then name each)."""
        self.sizes = len({(task.data.dataset, task.data.n_train) for task in tasks})

    def _line_plan(self, event: dict[str, Any]) -> None:
        self._sizes(event["tasks"])
        for task in event["tasks"]:
            self.labels[task.key] = self._label(task)
        todo = event["todo"]
        self.planned, self.finished = len(todo), 0  # a command may run several plans
        self._summary(event)
        if not todo:
            return
        for task in todo[:LISTED]:  # in the order they start: longest first
            self._line(f"  {self._label(task)}: about {duration(task.cost)}")
        if len(todo) > LISTED:
            rest = sum(task.cost for task in todo[LISTED:])
            self._line(f"  and {len(todo) - LISTED:,} more: about {duration(rest)} in all")
        jobs = event.get("jobs", 1)
        total = expected_wall_seconds([task.cost for task in todo], jobs)
        self._line(
            f"expected wall time about {duration(total)} with {jobs} fit(s) at a time "
            "(estimates from this project's 2-core machine; yours may differ)"
        )
        if self.ticker is None:
            self.ticker = threading.Thread(target=self._tick, daemon=True)
            self.ticker.start()

    def _line_start(self, event: dict[str, Any]) -> None:
        self.running[event["key"]] = time.monotonic()

    def _line_done(self, event: dict[str, Any]) -> None:
        self.running.pop(event["key"], None)
        self.finished += 1
        record = event["record"]
        if record.ok:
            result = f"test accuracy {record.test_accuracy:.4f}, fit {record.fit_seconds:.1f} s"
        else:
            result = f"{record.status}: {record.reason}"
        label = self.labels.get(event["key"], "?")
        self._line(f"fit {self.finished}/{self.planned} done: {label}: {result}")

    def _tick(self) -> None:
        """Off a terminal: say what is running whenever ``heartbeat`` seconds passed silently."""
        while not self.stopped.wait(min(self.heartbeat, 1.0)):
            with self.lock:
                now = time.monotonic()
                if not self.running or now - self.last_line < self.heartbeat:
                    continue
                running = ", ".join(
                    f"{self.labels.get(key, '?')} (for {duration(now - started)})"
                    for key, started in self.running.items()
                )
                self._line(f"running: {running}; {self.finished}/{self.planned} fits done")

    def note(self, text: str) -> None:
        """A line of its own, from the command (waiting for a cluster's workers)."""
        with self.lock:
            self._line(text)

    def _summary(self, event: dict[str, Any]) -> None:
        """The plan in one line: fits to run and cached, and where the results go."""
        where = "" if self.out is None else f"; results go to {self.out}/"
        todo = len(event["todo"])
        self._line(f"{todo} fits to run, {event['cached']} taken from the cache{where}")

    def _plan(self, event: dict[str, Any]) -> None:
        self._summary(event)
        self._sizes(event["tasks"])
        for task in event["tasks"]:
            self.labels[task.key] = self._label(task)
        if self.total is not None:  # a command may run several plans
            self.total.close()
            self.total = None
        if event["todo"]:
            self.total = tqdm(
                total=len(event["todo"]),
                desc="fits",
                unit="fit",
                file=self.stream,
                position=0,
                dynamic_ncols=True,
            )

    def _start(self, event: dict[str, Any]) -> None:
        key = event["key"]
        position = self.free.pop(0) if self.free else len(self.bars) + 1
        self.positions[key] = position
        label = f"  {self.labels.get(key, '?')}"
        self.bars[key] = tqdm(
            desc=label,
            unit="epoch",
            file=self.stream,
            position=position,
            leave=False,
            dynamic_ncols=True,
        )

    def _epoch(self, event: dict[str, Any]) -> None:
        bar = self.bars.get(event["key"])
        if bar is not None:
            bar.total = event["epochs"]
            bar.update(event["epoch"] - bar.n)

    def _done(self, event: dict[str, Any]) -> None:
        bar = self.bars.pop(event["key"], None)
        if bar is not None:
            self.free.append(self.positions.pop(event["key"]))
            bar.close()
        record = event["record"]
        if self.total is not None:
            result = f"{record.test_accuracy:.4f}" if record.ok else record.status
            self.total.set_postfix_str(f"{self.labels.get(event['key'])}: {result}")
            self.total.update(1)

    def close(self) -> None:
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            for bar in self.bars.values():
                bar.close()
            if self.total is not None:
                self.total.close()


def benchmark_row(row: Any, index: int, total: int) -> None:
    """One line per benchmark that ``regressions`` has measured (``interleaved.Row``)."""
    ratio = f" {row.interval.ratio:.3f}" if row.interval else ""
    print(
        f"[{index}/{total}] {row.benchmark.label}:{ratio} {row.verdict} ({row.seconds:.0f} s)",
        file=sys.stderr,
        flush=True,
    )
