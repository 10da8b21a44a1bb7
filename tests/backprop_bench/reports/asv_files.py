"""Small asv result files, in asv 0.6's own format, for the tests of the reports that read them.

``<results>/<machine>/<sha8>-<env>.json`` with ``result_columns`` and parameter values stored as
their repr, ``benchmarks.json`` beside the machine folders, NaN for a skipped combination and
null for a failed one.
"""

from __future__ import annotations

import json
import math

COLUMNS = ["result", "params", "version", "started_at", "duration"]
ROUTINE_PARAMS = (("loop", "per_sample", "vectorised", "numerical"), (1, 10), (30, 100))
SKIPPED, FAILED = math.nan, None


def routine_seconds(routine: str, batch: int, width: int, scale: float = 1.0) -> float | None:
    """Synthetic time of one call: loop 1 ms/sample, per_sample 0.1 ms, vectorised 5 µs."""
    if routine == "numerical":
        return 2.0 if (batch, width) == (1, 30) else SKIPPED
    if routine == "loop" and (batch, width) == (10, 100):
        return SKIPPED
    per_sample = {"loop": 1e-3, "per_sample": 1e-4, "vectorised": 5e-6}[routine]
    return scale * per_sample * batch * width / 30


def write_benchmarks_json(root, names: dict[str, tuple[str, str, list[str]]]) -> None:
    described = {
        name: {"name": name, "type": kind, "unit": unit, "param_names": params}
        for name, (kind, unit, params) in names.items()
    }
    (root / "benchmarks.json").write_text(json.dumps({**described, "version": 2}))


def write_result(root, commit: str, date_ms: int, results: dict, machine="box", env="venv-py"):
    """results: name -> (values, params as lists of python values)."""
    folder = root / machine
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(
        json.dumps({"machine": machine, "cpu": "Test CPU", "num_cpu": "2", "version": 1})
    )
    # Each benchmark starts at its own time, as in a real run (started_at, ms).
    encoded = {
        name: [values, [[repr(v) for v in p] for p in params], "v1", date_ms + 5 + index, 1.0]
        for index, (name, (values, params)) in enumerate(results.items())
    }
    data = {
        "commit_hash": commit,
        "env_name": env,
        "date": date_ms,
        "params": {"machine": machine},
        "python": "3.11",
        "requirements": {},
        "env_vars": {},
        "result_columns": COLUMNS,
        "results": encoded,
        "durations": {},
        "version": 2,
    }
    # json.dumps writes float('nan') as NaN, exactly as asv does for a skipped combination.
    (folder / f"{commit[:8]}-{env}.json").write_text(json.dumps(data))
