"""Progress off a terminal: the plan, a line per finished fit, a heartbeat when nothing else
was said; durations in words."""

from __future__ import annotations

import io
import re
import threading
import types

from backprop_bench.cli.progress import FitProgress, duration
from tests.backprop_bench.support import fit_record


class Lines(io.StringIO):
    """A stream that sets ``written`` once ``count`` lines containing ``wanted`` were written:
    a test waits on that, not on the clock."""

    def __init__(self, wanted: str, count: int) -> None:
        super().__init__()
        self.wanted, self.count = wanted, count
        self.written = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if self.getvalue().count(self.wanted) >= self.count:
            self.written.set()
        return written


def test_off_a_terminal_a_line_says_what_is_running_when_nothing_else_was_said():
    task = types.SimpleNamespace(
        key="k", seed=None, cost=700.0, spec=types.SimpleNamespace(name="svc"),
        data=types.SimpleNamespace(dataset="mnist", n_train=60000),
    )  # fmt: skip
    stream = Lines(wanted="running:", count=2)
    progress = FitProgress(stream, heartbeat=0.2)
    progress({"event": "plan", "tasks": [task], "todo": [task], "cached": 0, "jobs": 2})
    progress({"event": "start", "key": "k"})
    assert stream.written.wait(timeout=30), "no heartbeat line within 30 s"
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[:3] == [
        "backprop-bench: 1 fits to run, 0 taken from the cache",
        "backprop-bench:   svc: about 11 min 40 s",
        "backprop-bench: expected wall time about 11 min 40 s with 2 fit(s) at a time "
        "(estimates from this project's 2-core machine; yours may differ)",
    ]
    running = lines[3:]
    assert len(running) >= 2
    assert all(
        re.fullmatch(r"backprop-bench: running: svc \(for under 1 s\); 0/1 fits done", line)
        for line in running
    )


def test_progress_counts_each_plan_of_a_command_afresh():
    def task(key, name):
        return types.SimpleNamespace(
            key=key, seed=None, cost=1.0, spec=types.SimpleNamespace(name=name),
            data=types.SimpleNamespace(dataset="digits", n_train=100),
        )  # fmt: skip

    stream = io.StringIO()
    progress = FitProgress(stream, heartbeat=60)
    for key in ("a", "b"):
        progress(
            {"event": "plan", "tasks": [task(key, key)], "todo": [task(key, key)], "cached": 0}
        )
        record = fit_record(model=key, test_accuracy=0.9, fit_seconds=1.0)
        progress({"event": "done", "key": key, "record": record})
    progress.close()
    done = [line for line in stream.getvalue().splitlines() if "done" in line]
    assert [line.split(": ")[1] for line in done] == ["fit 1/1 done", "fit 1/1 done"]


def test_durations_read_in_words():
    assert duration(0.3) == "under 1 s" and duration(75) == "1 min 15 s"
    assert duration(4000) == "1 h 6 min"
