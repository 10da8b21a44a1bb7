"""One commit's long-lived benchmark process, for ``backprop-bench regressions``.

Run as a script, by path, from the checkout that compares (``python .../bench_worker.py
BENCHMARKS_DIR``), with the compared commit's packages first on ``PYTHONPATH``: the suite is the
comparing checkout's asv suite (one suite, asv's own functions), the code it times is the
commit's. Only the standard library and asv_runner are imported here, so a commit that predates
this file can still be measured.

It answers one JSON request per line on stdin, one JSON answer per line on the protocol pipe
(the original stdout; whatever a benchmark prints goes to stderr):

- ``{"op": "list"}``: every benchmark at every parameter combination (name, param, label,
  kind, unit);
- ``{"op": "prepare", "name": NAME, "param": INDEX}``: build benchmark NAME at parameter
  combination INDEX the way asv does (``setup_cache`` once per cache key and process, then
  ``setup``); answers its ``kind`` (time, track, peakmem, mem, timeraw) and whether it
  ``skipped``;
- ``{"op": "calibrate"}``: the number of calls that fills a sample of the benchmark's
  ``sample_time`` (asv's ``number`` where the benchmark sets one), and the ``seconds`` such a
  sample took;
- ``{"op": "sample", "number": N}``: one timed sample of N calls, ``setup`` re-run before it
  as asv's timer does; answers its ``seconds``;
- ``{"op": "track"}``: a track benchmark's value;
- ``{"op": "quit"}``.

An error answers ``{"error": "Type: message"}`` and the process goes on.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def _one_line(error: BaseException) -> str:
    """``errors.one_line``, restated: this script imports nothing of the package (see above)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class Worker:
    def __init__(self, root: str) -> None:
        self.root = root
        self.caches: dict[str, object] = {}  # setup_cache results by asv's key
        self.bench = None
        self.timer = None

    def prepare(self, name: str, param: int | None) -> dict:
        from asv_runner.discovery import get_benchmark_from_name

        if self.bench is not None:
            self.bench.do_teardown()
            self.bench = None
        full = name if param is None else f"{name}-{param}"
        bench = get_benchmark_from_name(self.root, full)
        if bench.setup_cache_key is not None:
            if bench.setup_cache_key not in self.caches:
                self.caches[bench.setup_cache_key] = bench.do_setup_cache()
            bench.set_cache(self.caches[bench.setup_cache_key])
        if bench.do_setup():
            return {"kind": bench.type, "skipped": True}
        self.bench = bench
        if bench.type == "time":
            self.timer = bench._get_timer(*bench._build_params())
        return {"kind": bench.type, "skipped": False}

    def list(self) -> dict:
        """Every benchmark of the suite at every parameter combination: name, parameter index
        (None without parameters), a label with the parameter values, and kind."""
        import itertools

        from asv_runner.discovery import disc_benchmarks

        found = []
        for bench in disc_benchmarks(self.root):
            combos = list(itertools.product(*bench.params)) if bench.params else [()]
            for index, values in enumerate(combos):
                label = bench.name + (f"({', '.join(map(str, values))})" if values else "")
                param = index if values else None
                found.append(
                    {
                        "name": bench.name,
                        "param": param,
                        "label": label,
                        "kind": bench.type,
                        "unit": getattr(bench, "unit", ""),
                    }
                )
        return {"benchmarks": found}

    def calibrate(self, seconds: float) -> dict:
        number = int(getattr(self.bench, "number", 0) or 0)
        if number > 0:
            return {"number": number, "seconds": self.timer.timeit(number)}
        number = 1
        while True:
            took = self.timer.timeit(number)
            if took >= seconds or number >= 1 << 20:
                return {"number": number, "seconds": took}
            number = max(number * 2, int(number * seconds / max(took, 1e-9) * 1.2))

    def sample(self, number: int) -> dict:
        return {"seconds": self.timer.timeit(number)}

    def track(self) -> dict:
        start = time.perf_counter()
        value = self.bench.func(*self.bench._build_params())
        return {"value": value, "seconds": time.perf_counter() - start}

    def answer(self, request: dict) -> dict:
        op = request.get("op")
        if op == "list":
            return self.list()
        if op == "prepare":
            return self.prepare(request["name"], request.get("param"))
        if self.bench is None and op in ("calibrate", "sample", "track"):
            return {"error": "no benchmark prepared"}
        if op == "calibrate":
            seconds = request.get("seconds") or getattr(self.bench, "sample_time", 0.01)
            return self.calibrate(float(seconds))
        if op == "sample":
            return self.sample(int(request["number"]))
        if op == "track":
            return self.track()
        return {"error": f"unknown op {op!r}"}


LAYOUT_HEAP_STEP = 40_016
"""Bytes of heap taken per layout step before the suite is imported: under glibc's 128 KiB
threshold for a memory map at steps 0-3, so from the heap itself. With ``LAYOUT_MAP_PAGES``,
a pair of processes at layout k lays out what it allocates afterwards otherwise than at
layout 0 (``interleaved``'s module docstring, 4)."""
LAYOUT_MAP_PAGES = 9
"""Pages mapped per layout step before the suite is imported: where later maps fall."""


def _shift_layout(step: int) -> object:
    """Shift the heap and the memory maps by ``step`` steps; the allocations are kept (and
    returned) for the life of the process."""
    import mmap

    if step <= 0:
        return None
    return bytearray(step * LAYOUT_HEAP_STEP), mmap.mmap(-1, step * LAYOUT_MAP_PAGES * 4096)


def main(argv: list[str]) -> int:
    kept = _shift_layout(int(os.environ.get("BACKPROP_BENCH_LAYOUT", "0") or 0))  # noqa: F841
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # this folder is the comparing checkout's, not the commit's
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # what a benchmark prints goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    worker = Worker(argv[1])
    protocol.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        try:
            reply = worker.answer(request)
        except Exception as error:  # a benchmark's own failure: said, and the process goes on
            traceback.print_exc(file=sys.stderr)
            reply = {"error": _one_line(error)}
        protocol.write(json.dumps(reply) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
