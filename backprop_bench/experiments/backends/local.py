"""The local backends: a pool of processes on this machine (the default), or this process.

``LocalPool`` runs each fit in a process of its own, at most ``jobs`` at once, so that one fit's
crash or memory cannot touch another and each fit's peak memory (``ru_maxrss``) is its own.
BLAS threads are capped at ``cores // jobs`` per fit.

A fresh interpreter per fit would import NumPy, scikit-learn and the suite again each time
(about 1.8 s a fit, most of a small sweep's wall time). The processes are instead forked from
a server process that imported them once and computed the code version (``multiprocessing``'s
forkserver with ``PRELOAD``): each fit still gets a new process, which starts in milliseconds.
Libraries that read their thread settings at import (JAX, PyTorch) are not preloaded, so the
caps a fit sets before loading them still hold.

``Inline`` fits in this process one after the other (tests; peak memory is not measured).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments import environment
from backprop_bench.experiments.backends import Emit
from backprop_bench.experiments.planning import FitTask
from backprop_bench.experiments.records import CRASHED, FitRecord
from backprop_bench.experiments.worker import fit_task, fit_task_capped, peak_rss_mb, record_of

PRELOAD = ["backprop_bench.experiments.backends.preload"]
"""What the server process that forks each fit imports once (see ``preload``)."""

POLL_SECONDS = 1.0


def blas_threads_per_job(jobs: int) -> int:
    """BLAS threads each worker may use so that jobs x threads <= cores."""
    return max(1, environment.usable_cores() // max(1, jobs))


def process_context() -> Any:
    """The multiprocessing context that starts the pool's processes: forked from a server
    with ``PRELOAD`` imported where the platform has one, else spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


class LocalPool:
    """Each fit in a new process of its own, ``jobs`` at once (see the module docstring)."""

    fetches_data = False  # its processes read the data the main process fetched and verified

    def __init__(self, jobs: int) -> None:
        self.workers = jobs

    def describe(self) -> dict[str, Any]:
        return {"jobs": self.workers, "blas_threads_per_job": blas_threads_per_job(self.workers)}

    def run(self, todo: list[FitTask], emit: Emit) -> Iterator[tuple[FitTask, FitRecord]]:
        """Yield ``(task, record)`` as fits finish, starting them in the order of ``todo``.
        Closing the generator (an interrupted run) terminates the fits still running.

        Each process talks through a pipe of its own, so a process killed mid-message (by the
        out-of-memory killer, say) breaks only its own pipe: its fit is a crashed record, and
        the others go on."""
        from multiprocessing.connection import wait as wait_for

        context = process_context()
        blas_threads = blas_threads_per_job(self.workers)
        waiting = list(todo)
        running: dict[str, tuple[FitTask, Any, Any]] = {}  # key -> task, process, pipe end
        started: set[str] = set()  # the fits whose process reached the fit

        def finish(key: str, record: FitRecord) -> tuple[FitTask, FitRecord]:
            task, process, pipe = running.pop(key)
            pipe.close()
            process.join()
            return task, record

        try:
            while waiting or running:
                while waiting and len(running) < self.workers:
                    task = waiting.pop(0)
                    reader, writer = context.Pipe(duplex=False)
                    process = context.Process(
                        target=_fit_in_process, args=(task, blas_threads, writer), daemon=True
                    )
                    process.start()
                    writer.close()  # the fit's process holds the only write end
                    running[task.key] = (task, process, reader)
                pipes = {id(pipe): key for key, (_, _, pipe) in running.items()}
                ready = wait_for([pipe for _, _, pipe in running.values()], POLL_SECONDS)
                for pipe in ready:
                    key = pipes[id(pipe)]
                    task = running[key][0]
                    try:
                        event = pipe.recv()
                    except (EOFError, OSError):  # the process died before sending its record
                        process = running[key][1]
                        process.join()
                        reason = f"worker process died (exit code {process.exitcode})"
                        if key not in started:
                            reason += _unguarded_script_hint()
                        yield finish(key, record_of(task, CRASHED, reason))
                        continue
                    if event["event"] == "record":
                        try:
                            record = FitRecord.from_dict(event["record"])
                        except BenchError as error:  # a fit that returned nonsense
                            record = record_of(task, CRASHED, f"an invalid record: {error}")
                        yield finish(key, record)
                    else:
                        if event["event"] == "start":
                            started.add(key)
                        emit(event)
        finally:
            for _, process, pipe in running.values():
                process.terminate()
                pipe.close()
            for _, process, _ in running.values():
                process.join()


def _unguarded_script_hint() -> str:
    """Why a worker may die before its fit begins, where this process runs a script: every
    worker imports that script first (as Python's multiprocessing does), and a script whose
    fits are not started under ``if __name__ == "__main__":`` starts them again there."""
    script = getattr(sys.modules["__main__"], "__file__", None)
    if not script or not str(script).endswith(".py"):
        return ""
    return (
        f", before its fit began: each worker imports {script} first, so a script must start "
        'its fits under `if __name__ == "__main__":`'
    )


def _fit_in_process(task: FitTask, blas_threads: int, events: Any) -> None:
    """The body of a pool process: run ``task`` with capped threads, send its progress and then
    its record back through ``events``, the write end of a pipe of its own."""

    def send(event: dict[str, Any]) -> None:
        try:
            events.send(event)
        except OSError:  # the main process is gone (killed): no one to tell, so end quietly
            os._exit(0)

    def started() -> None:
        send({"event": "start", "key": task.key, "pid": os.getpid()})

    def on_epoch(epoch: int, epochs: int) -> None:
        send({"event": "epoch", "key": task.key, "epoch": epoch, "epochs": epochs})

    record = fit_task_capped(task, blas_threads, "local process", on_epoch, started)
    record.peak_rss_mb = peak_rss_mb()
    send({"event": "record", "key": task.key, "record": record.to_dict()})


class Inline:
    """Every fit in this process, one after the other (tests: peak memory is not measured)."""

    fetches_data = False
    workers = 1

    def describe(self) -> dict[str, Any]:
        return {"jobs": 1, "blas_threads_per_job": blas_threads_per_job(1)}

    def run(self, todo: list[FitTask], emit: Emit) -> Iterator[tuple[FitTask, FitRecord]]:
        for task in todo:
            emit({"event": "start", "key": task.key})

            def on_epoch(epoch: int, epochs: int, key: str = task.key) -> None:
                emit({"event": "epoch", "key": key, "epoch": epoch, "epochs": epochs})

            yield task, fit_task(task, on_epoch)
