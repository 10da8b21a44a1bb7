"""asv's result files, read and checked: one pandas table, one row per benchmark and parameter
combination.

asv (airspeed velocity) stores one JSON file per machine, commit and environment,
``<results_dir>/<machine>/<sha8>-<env>.json``, plus ``<results_dir>/benchmarks.json`` describing
every benchmark (its parameter names, type and unit). ``read_asv_results`` reads a whole
results folder, ``read_result_file`` one file, ``select_run`` the rows of one commit (the latest
by default). The files may come from someone else's clone: each is checked where it is read, and
a malformed one is a ``BenchError`` naming it. In asv's files a skipped combination is NaN and a
failed one is null: both are kept, never dropped. ``asv_report`` renders what this reads.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import os
import pathlib

import numpy as np
import pandas as pd

from backprop_bench.errors import BenchError
from backprop_bench.experiments import environment


def _parse_param(text: str) -> object:
    """asv stores each parameter value as its repr: "'loop'" -> 'loop', "50" -> 50."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _read_json(path: pathlib.Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise BenchError(f"cannot read asv file {path}: {error}") from None


def _status(value: object) -> str:
    if value is None:
        return "failed"
    if isinstance(value, float) and math.isnan(value):
        return "skipped"
    return "ok"


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fields(where: str, entry: object, columns: list[str]) -> dict:
    """One benchmark's entry of an asv result file as {column: value}, its types checked:
    results a number, null or a list of them; params a list of lists of strings; started_at
    a number or null. A ``BenchError`` names the file, the benchmark and the field."""
    if not isinstance(entry, list):
        raise BenchError(f"{where}: not a list of {', '.join(columns)}")
    fields = dict(zip(columns, entry, strict=False))  # asv drops trailing nulls
    values = fields.get("result")
    listed = values if isinstance(values, list) else [values]
    if not all(value is None or _number(value) for value in listed):
        raise BenchError(f"{where}: field result holds something that is not a number or null")
    params = fields.get("params") or []
    if not isinstance(params, list) or not all(
        isinstance(values, list) and all(isinstance(v, str) for v in values) for values in params
    ):
        raise BenchError(f"{where}: field params is not a list of lists of parameter values")
    started = fields.get("started_at")
    if started is not None and not _number(started):
        raise BenchError(f"{where}: field started_at is not a time")
    return fields


def _expand(where: str, name: str, fields: dict, info: dict) -> list[dict]:
    """Rows for one benchmark of one result file (``_fields``): one per parameter
    combination."""
    values = fields.get("result")
    params = fields.get("params") or []
    combinations = list(itertools.product(*[[_parse_param(v) for v in p] for p in params]))
    if values is None:  # every combination failed
        values = [None] * len(combinations)
    if not isinstance(values, list):
        values = [values]
    if len(values) != len(combinations):
        raise BenchError(
            f"{where}: field result has {len(values)} values for {len(combinations)} "
            "parameter combinations"
        )
    names = info.get("param_names") or []
    if len(names) != len(params):  # benchmarks.json describes today's suite, not this result's
        names = [f"param{i}" for i in range(len(params))]
    return [
        {
            "benchmark": name,
            "type": str(info.get("type", name.rsplit(".", 1)[-1].split("_", 1)[0])),
            "unit": str(info.get("unit", "")),
            "params": dict(zip(names, combination, strict=True)),
            "value": np.nan if value is None else float(value),
            "status": _status(value),
            "started_at": fields.get("started_at"),
        }
        for combination, value in zip(combinations, values, strict=True)
    ]


def read_asv_results(asv_results_dir: str | os.PathLike) -> pd.DataFrame:
    """Every result in an asv results folder as one table.

    Columns: machine, env, commit, date (commit time, UTC), run (file name), benchmark, type
    ("time", "track", "peakmem", ...), unit, params (dict of parameter name -> value), value
    (float; NaN when skipped or failed), status ("ok", "skipped", "failed"), started_at (ms).
    A missing or empty folder is a BenchError saying so and how to produce results.
    """
    root = pathlib.Path(asv_results_dir)
    if not root.is_dir():
        raise BenchError(
            f"no asv results folder at {root}: run `asv machine --yes && asv run` first"
        )
    benchmarks = read_benchmarks_json(root)
    rows: list[dict] = []
    for path in sorted(root.glob("*/*.json")):
        if path.name != "machine.json":
            rows.extend(_result_rows(path, benchmarks, str(path.relative_to(root))))
    if not rows:
        raise BenchError(f"no asv results in {root}: run `asv machine --yes && asv run` first")
    return pd.DataFrame(rows)


def read_benchmarks_json(results_dir: str | os.PathLike) -> dict:
    """asv's description of the suite (parameter names, type, unit of every benchmark) from
    ``results_dir``/benchmarks.json; empty where the folder has none."""
    described = pathlib.Path(results_dir) / "benchmarks.json"
    content = _read_json(described) if described.is_file() else {}
    if not isinstance(content, dict):
        raise BenchError(f"{described}: not asv's description of a suite (not a JSON object)")
    return content


def params_text(params: dict) -> str:
    """A benchmark's parameters as one string: "routine=loop, batch_size=1"."""
    return ", ".join(f"{k}={v}" for k, v in params.items())


def read_result_file(path: str | os.PathLike, benchmarks: dict | None = None) -> pd.DataFrame:
    """One asv result file as ``read_asv_results`` reads a folder; ``benchmarks`` is the content
    of asv's benchmarks.json (parameter names, units), by default the one two folders up."""
    path = pathlib.Path(path)
    if benchmarks is None:
        benchmarks = read_benchmarks_json(path.parent.parent)
    rows = _result_rows(path, benchmarks, path.name)
    if not rows:
        raise BenchError(f"{path} holds no benchmark results")
    return pd.DataFrame(rows)


def _result_rows(path: pathlib.Path, benchmarks: dict, run_name: str) -> list[dict]:
    """The rows of one asv result file, every field checked where it is read: a file from
    someone else's clone is one ``BenchError`` naming the file and the field, not a traceback."""
    data = _read_json(path)
    if not isinstance(data, dict) or not {"commit_hash", "results"} <= data.keys():
        raise BenchError(f"{path} is not an asv result file (no commit_hash/results)")
    columns = data.get("result_columns", ["result", "params"])
    machine = data.get("params", {})
    machine = machine.get("machine", path.parent.name) if isinstance(machine, dict) else None
    for field, value, ok in (
        ("commit_hash", data["commit_hash"], isinstance(data["commit_hash"], str)),
        ("results", data["results"], isinstance(data["results"], dict)),
        ("result_columns", columns, isinstance(columns, list)
         and all(isinstance(c, str) for c in columns)),
        ("params.machine", machine, isinstance(machine, str)),
        ("env_name", data.get("env_name", ""), isinstance(data.get("env_name", ""), str)),
        ("date", data.get("date"), data.get("date") is None or _number(data.get("date"))),
    ):  # fmt: skip
        if not ok:
            raise BenchError(f"{path}: field {field} is not what asv writes ({value!r:.40})")
    run = {
        "machine": machine,
        "env": data.get("env_name", ""),
        "commit": data["commit_hash"],
        "date": pd.to_datetime(data.get("date"), unit="ms", utc=True),
        "run": run_name,
    }
    rows = []
    for name, entry in data["results"].items():
        where = f"{path}: benchmark {name}"
        info = benchmarks.get(name, {}) if isinstance(benchmarks.get(name), dict) else {}
        fields = _fields(where, entry, columns)
        rows.extend({**run, **row} for row in _expand(where, name, fields, info))
    return rows


def select_run(results: pd.DataFrame, commit: str | None, where: pathlib.Path) -> pd.DataFrame:
    """The rows of one result file: the given commit's (hash, prefix or git name) or the latest.

    The latest is the commit with the newest commit date. Where several files hold the chosen
    commit (other machines or environments), the most recently run one is used, so a table never
    mixes machines. An unknown or ambiguous commit is a BenchError listing what exists.
    """
    commits = results.drop_duplicates("commit").sort_values("date")["commit"].tolist()
    if commit is None:
        chosen = results.sort_values("date")["commit"].iloc[-1]
    else:
        matches = [c for c in commits if c.startswith(commit.lower())]
        if not matches:
            resolved = environment.commit_named(commit, where)
            matches = [c for c in commits if resolved and c == resolved]
        if len(matches) > 1:
            raise BenchError(f"commit {commit!r} is ambiguous: it matches {', '.join(matches)}")
        if not matches:
            known = ", ".join(c[:8] for c in reversed(commits[-10:]))
            raise BenchError(f"no asv results for commit {commit!r}; results exist for: {known}")
        chosen = matches[0]
    of_commit = results[results["commit"] == chosen]
    return of_commit[of_commit["run"].isin(newest_run_per_commit(of_commit))]


def machine_description(root: pathlib.Path, machine: str) -> str:
    path = root / machine / "machine.json"
    if not path.is_file():
        return f"machine {machine}"
    info = _read_json(path)
    cpu = info.get("cpu") or "unknown CPU"
    cores = info.get("num_cpu")
    return f"machine {machine} ({cpu}" + (f", {cores} cores)" if cores else ")")


def newest_run_per_commit(results: pd.DataFrame) -> list[str]:
    """The result file of each commit that was run last (latest benchmark start time)."""
    started = results.assign(started_at=results["started_at"].fillna(0))
    last = started.groupby(["commit", "run"])["started_at"].max().reset_index()
    return last.loc[last.groupby("commit")["started_at"].idxmax(), "run"].tolist()
