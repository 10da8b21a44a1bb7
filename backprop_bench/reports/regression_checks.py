"""The record of ``backprop-bench check-regressions``: each run of ``regressions`` on a commit
against itself (A/A) or against a planted slowdown, and what they add up to.

A check folder holds one folder per experiment (``aa``, ``per_sample-10pct``, ...), and in it
one folder per run (``01``, ``02``, ...), each written whole when its run ends: ``run.json``
(the experiment, the commits, the machine, the wall time, the judgement) and ``rows.csv``
(``interleaved.table``: every benchmark's ratio, interval and verdict). ``summary.csv`` and
``summary.md`` are rebuilt from the run folders alone; ``summary.md`` is the block of
docs/benchmarks.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd

from backprop_bench import schema
from backprop_bench.errors import BenchError
from backprop_bench.files import atomic_write_text, to_json

RUN = "run.json"
ROWS = "rows.csv"
AA = "aa"
AA_WHAT = "A/A: the commit against itself"


class CheckRun(TypedDict):
    """A run's ``run.json``."""

    experiment: str
    what: str
    command: str
    base: str
    head: str
    machine: str
    blas: str
    started: str
    wall_seconds: float
    benchmarks: int
    pairs: int  # of processes (``interleaved.PAIRS``)
    expected: bool
    false_calls: list[str]
    missed: list[str]
    targets: dict[str, float | None]
    detectable_median: float | None


def write_run(stage: Path, run: Mapping[str, Any], table: pd.DataFrame) -> list[Path]:
    """A run's two files, into the staging folder of its run folder."""
    return [
        atomic_write_text(stage / RUN, to_json(dict(run))),
        atomic_write_text(stage / ROWS, table.to_csv(index=False, float_format="%.6g")),
    ]


def is_check_folder(folder: Path) -> bool:
    """Whether ``folder`` holds kept check runs (``experiment/run/run.json``)."""
    return any(folder.glob(f"*/*/{RUN}"))


def run_folders(out: Path, experiment: str) -> list[Path]:
    """The finished runs of ``experiment`` under check folder ``out``, in order."""
    folder = out / experiment
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / RUN).is_file())


def read_run(folder: Path) -> CheckRun:
    """``folder``'s run.json, checked; a ``BenchError`` names the file and the field."""
    path = folder / RUN
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: not readable JSON ({error})") from None
    schema.check(run, CheckRun, str(path))
    if run["experiment"] != folder.parent.name:
        raise BenchError(f"{path}: experiment {run['experiment']!r} in folder {folder.parent}")
    return run


def read_runs(out: Path) -> list[CheckRun]:
    """Every finished run under check folder ``out``."""
    if not out.is_dir():
        return []
    experiments = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [read_run(folder) for name in experiments for folder in run_folders(out, name)]


def summary_table(runs: Sequence[CheckRun], order: Sequence[str] = ()) -> pd.DataFrame:
    """One row per experiment: its runs, how many went as they had to, the false calls, the
    targets called slower over all runs, the targets' HEAD / BASE, the smallest detectable
    change, the wall time."""
    rows = []
    names = list(dict.fromkeys([*order, *(run["experiment"] for run in runs)]))
    for name in names:
        found = [run for run in runs if run["experiment"] == name]
        if not found:
            continue
        ratios = [r for run in found for r in run["targets"].values() if r is not None]
        targets = sum(len(run["targets"]) for run in found)
        called = targets - sum(len(run["missed"]) for run in found)
        walls = [run["wall_seconds"] for run in found]
        detectable = [run["detectable_median"] for run in found if run["detectable_median"]]
        rows.append(
            {
                "experiment": name,
                "what": found[0]["what"],
                "runs": len(found),
                "as required": sum(run["expected"] for run in found),
                "runs with a false call": sum(bool(run["false_calls"]) for run in found),
                "false calls": sum(len(run["false_calls"]) for run in found),
                "targets called": f"{called} of {targets}",
                "targets' HEAD/BASE": f"{min(ratios):.3f}-{max(ratios):.3f}" if ratios else "",
                "detectable ±% (median)": round(pd.Series(detectable).median(), 1)
                if detectable
                else None,
                "wall s (median, largest)": f"{pd.Series(walls).median():.0f}, {max(walls):.0f}",
                "machines": ", ".join(dict.fromkeys(run["machine"] for run in found)),
            }
        )
    return pd.DataFrame(rows)


def summary_markdown(runs: Sequence[CheckRun], table: pd.DataFrame, command: str) -> str:
    """The block of docs/benchmarks.md: what was run, the table, every false call and miss."""
    if not runs:
        return "No check runs recorded yet.\n"
    commits = ", ".join(dict.fromkeys(run["base"][:8] for run in runs))
    pairs = ", ".join(dict.fromkeys(str(run["pairs"]) for run in runs))
    lines = [
        f"Made by `{command}`: {len(runs)} runs of `regressions`, every benchmark each, on "
        f"commit(s) {commits}, with {pairs} pairs of processes. A run is **as required** when, "
        "A/A, it calls nothing, and, "
        "planted, it calls the slowdown (a benchmark the plant slows, called slower) and "
        "nothing the plant does not touch; 'targets called' counts the benchmarks the plant "
        "slows that were called slower, over all runs.",
        "",
        table.to_markdown(index=False),
        "",
    ]
    wrong = [
        f"- {run['experiment']} run of {run['started'][:16]}: "
        + "; ".join(
            [f"false call {call}" for call in run["false_calls"]]
            + [f"not called {miss}" for miss in run["missed"]]
        )
        for run in runs
        if run["false_calls"] or run["missed"]
    ]
    if wrong:
        lines += ["False calls, and targets not called:", "", *wrong, ""]
    return "\n".join(lines)


def write_summary(out: Path, order: Sequence[str], command: str) -> list[Path]:
    """summary.csv and summary.md of check folder ``out``, from its run folders alone."""
    runs = read_runs(out)
    table = summary_table(runs, order)
    return [
        atomic_write_text(out / "summary.csv", table.to_csv(index=False)),
        atomic_write_text(out / "summary.md", summary_markdown(runs, table, command)),
    ]
