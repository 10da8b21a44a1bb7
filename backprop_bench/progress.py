"""Progress of a comparison run (command line only). On a terminal: one bar for the fits, one
per running fit for its epochs. Elsewhere (a log file, CI): one plain line when the run starts
and one per finished fit, so a long run written to a file still says how far it is.

``FitProgress`` is the runner's ``on_event`` callback. Events arrive from the main thread and
from the thread relaying worker events, so every update holds a lock.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from tqdm import tqdm


class FitProgress:
    """Turns runner events (``plan``, ``start``, ``epoch``, ``done``) into tqdm bars."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled  # bars, or lines
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
            elif event["event"] in ("plan", "done"):
                getattr(self, "_line_" + event["event"])(event)

    def _label(self, task: Any) -> str:
        seed = "" if task.seed is None else f" seed {task.seed}"
        return f"{task.spec.name}{seed}"

    def _line(self, text: str) -> None:
        print(f"backprop-bench: {text}", file=self.stream, flush=True)

    def _line_plan(self, event: dict[str, Any]) -> None:
        for task in event["tasks"]:
            self.labels[task.key] = self._label(task)
        self.planned = len(event["todo"])
        self._line(f"{self.planned} fits to run, {event['cached']} taken from the cache")

    def _line_done(self, event: dict[str, Any]) -> None:
        self.finished += 1
        record = event["record"]
        if record["status"] == "ok":
            result = (
                f"test accuracy {record['test_accuracy']:.4f}, fit {record['fit_seconds']:.1f} s"
            )
        else:
            result = record["status"]
        label = self.labels.get(event["key"], "?")
        self._line(f"fit {self.finished}/{self.planned} done: {label}: {result}")

    def _plan(self, event: dict[str, Any]) -> None:
        for task in event["tasks"]:
            self.labels[task.key] = self._label(task)
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
            result = (
                f"{record['test_accuracy']:.4f}" if record["status"] == "ok" else record["status"]
            )
            self.total.set_postfix_str(f"{self.labels.get(event['key'])}: {result}")
            self.total.update(1)

    def close(self) -> None:
        with self.lock:
            for bar in self.bars.values():
                bar.close()
            if self.total is not None:
                self.total.close()
