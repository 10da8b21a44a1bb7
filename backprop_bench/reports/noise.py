"""How much the asv suite's numbers move on their own, and which changes exceed that.

An A/A pair is two runs of the whole suite on one commit, one machine, back to back. For every
benchmark and parameter combination that both runs measured, its *noise floor* is the ratio of
the larger value to the smaller: 1.00 means the two runs agreed exactly, 1.15 that they were
15% apart. ``noise_floor.csv`` in results/benchmarks/ keeps them (``backprop-bench
noise-floor`` measures and writes it).

A regression call compares two commits' runs on one machine: the ratio head / base of every
benchmark, against that benchmark's threshold: the larger of its own recorded floor and the
least change worth calling (``LEAST_CHANGE``: a floor of 1.00 would call any difference),
raised to the power ``MARGIN``. One A/A pair is a single draw of the noise, and a lucky
benchmark's floor is far below its usual spread: on small data, with the floor itself as the
threshold, another A/A pair on the project's machine called 6 benchmarks of 41, and with the
floor squared still 1. So a change must be three times the A/A spread in log terms, in the
spirit of a three-sigma rule (``MARGIN = 3``: a floor of 1.10 calls changes beyond 1.33). A
time's threshold is further widened by how far the machine's own fixed workloads moved between
the runs (``machine_drift``). On the project's 2-core cloud machine even this is not enough for
a dependable call on small data (tests/benchmarks/test_regressions_slow.py says what went
wrong in each try); a quieter machine gives lower floors and sharper calls.
A benchmark is flagged only when its ratio is beyond the
threshold either way: a time that grew is ``slower``, one that shrank ``faster``; a
tracked value (an accuracy, a speed ratio, an agreement) that moved is ``higher`` or
``lower``, since which way is worse depends on the quantity.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pandas as pd

from backprop_bench.errors import BenchError
from backprop_bench.experiments.intervals import EXACT_UNITS
from backprop_bench.reports.asv_results import params_text

LEAST_CHANGE = {"time": 1.10, "peakmemory": 1.10, "track": 1.05}
"""The least floor, by benchmark type, whatever the recorded one: asv's own default
``--factor`` (1.10) for times and memory; 5% for tracked values (the spread the suite allows
its side-by-side ratios), which often agree exactly between the two runs of an A/A pair,
rounded as they are. Quantities that do not depend on timing (``EXACT_UNITS``) get
``EXACT_CHANGE``: any change of theirs beyond the last rounded digit is the code's."""


EXACT_CHANGE = 1.002

MARGIN = 3.0
"""The threshold is the floor (at least ``LEAST_CHANGE``) to this power: see the module text."""

KEY = ["benchmark", "params"]

REFERENCE = "machine.MachineReference.time_reference"
"""The suite's fixed workloads (benchmarks/machine.py): when they move, the machine did. Their
changes are reported as ``machine slower``/``machine faster``, never flagged as the code's."""

FLAGGED = ("slower", "faster", "higher", "lower")
"""The verdicts that call a change (the others: same, new, gone, not measured)."""


def _measured(run: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark and parameter combination: key, type, unit, value, status."""
    return pd.DataFrame(
        {
            "benchmark": run["benchmark"],
            "params": [params_text(p) for p in run["params"]],
            "type": run["type"],
            "unit": run["unit"],
            "value": run["value"],
            "status": run["status"],
        }
    ).reset_index(drop=True)


def _spread(a: pd.Series, b: pd.Series) -> pd.Series:
    """max / min of two positive values; NaN where either is missing or not positive."""
    a, b = a.astype(float), b.astype(float)
    both = (a > 0) & (b > 0)
    return (np.maximum(a, b) / np.minimum(a, b)).where(both)


def noise_floor_table(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """The A/A table of two runs (rows of ``asv_results.read_result_file``, one file each).

    Columns: benchmark, params, type, unit, first, second, ratio (larger / smaller; NaN where a
    run skipped or failed it, or a value is 0). Only benchmarks both runs hold, sorted by name.
    """
    a, b = _measured(first), _measured(second)
    table = a.merge(b, on=KEY, suffixes=("_first", "_second"), how="inner")
    out = pd.DataFrame(
        {
            "benchmark": table["benchmark"],
            "params": table["params"],
            "type": table["type_first"],
            "unit": table["unit_first"],
            "first": table["value_first"],
            "second": table["value_second"],
        }
    )
    out["ratio"] = _spread(out["first"], out["second"]).round(4)
    return out.sort_values(KEY, ignore_index=True)


def check_pair_files(first: pathlib.Path, second: pathlib.Path) -> None:
    """Refuse, before they are read as an A/A pair, a missing file, one file named twice, or
    two files with the same content (one run copied): a pair is two runs."""
    for path in (first, second):
        if not path.is_file():
            raise BenchError(f"--from {path}: no such file")
    if first.resolve() == second.resolve():
        raise BenchError(f"--from {first} {second}: the same file twice; an A/A pair is two runs")
    if first.read_bytes() == second.read_bytes():
        raise BenchError(
            f"--from {first} {second}: the two files are identical (one run, copied); an A/A "
            "pair is two runs"
        )


def aa_table(
    first: pd.DataFrame, second: pd.DataFrame, files: tuple[pathlib.Path, pathlib.Path]
) -> pd.DataFrame:
    """``noise_floor_table`` of two runs (read from ``files``) that make an A/A pair: one
    commit, one machine and environment, and at least one benchmark that both measured. Else
    a ``BenchError`` naming the files, before anything is written: a floor of nothing would
    make every later call "same"."""
    names = f"{files[0]} and {files[1]}"
    for column, what in (("commit", "commits"), ("machine", "machines"), ("env", "environments")):
        values = [str(run[column].iloc[0]) for run in (first, second)]
        if values[0] != values[1]:
            shown = ", ".join(v[:8] if column == "commit" else v for v in values)
            raise BenchError(
                f"{names} are runs of different {what} ({shown}): an A/A pair is one commit "
                "run twice on one machine"
            )
    table = noise_floor_table(first, second)
    if not table["ratio"].notna().any():
        raise BenchError(
            f"{names} have no benchmark that both measured: there is no noise floor to record"
        )
    return table


def noise_summary(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per benchmark type: how many measured, the median and largest ratio."""
    summary = {}
    for kind, rows in table.dropna(subset=["ratio"]).groupby("type"):
        summary[str(kind)] = {
            "count": len(rows),
            "median": float(rows["ratio"].median()),
            "largest": float(rows["ratio"].max()),
        }
    return summary


def read_noise_floor(path: str | os.PathLike) -> pd.DataFrame:
    """A ``noise_floor.csv`` written by ``noise-floor``; a missing or malformed file is a
    BenchError naming it."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise BenchError(
            f"no noise floor at {path}: run `backprop-bench noise-floor` to measure one"
        )
    try:
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise BenchError(f"cannot read the noise floor {path}: {error}") from None
    missing = {*KEY, "type", "ratio"} - set(table.columns)
    if missing:
        raise BenchError(f"{path} is not a noise floor: it has no {', '.join(sorted(missing))}")
    ratio = pd.to_numeric(table["ratio"], errors="coerce")
    for row, (given, value) in enumerate(zip(table["ratio"], ratio, strict=True)):
        present = not (isinstance(given, float) and np.isnan(given))
        if present and not (np.isfinite(value) and value >= 1):  # larger / smaller
            raise BenchError(
                f"{path} line {row + 2}: field ratio {str(given)!r} is not a number of at least 1"
            )
        if not isinstance(table["benchmark"].iloc[row], str):
            raise BenchError(f"{path} line {row + 2}: field benchmark is empty")
    if not ratio.notna().any():
        raise BenchError(
            f"{path} holds no measured floor: run `backprop-bench noise-floor` to measure one"
        )
    table["ratio"] = ratio
    table["params"] = table["params"].fillna("").astype(str)
    return table


def threshold(kind: str, floor: float, unit: str = "") -> float:
    """The ratio a change must exceed: the recorded floor, at least ``LEAST_CHANGE[kind]``
    (``EXACT_CHANGE`` for ``EXACT_UNITS``), to the power ``MARGIN``."""
    least = EXACT_CHANGE if unit in EXACT_UNITS else LEAST_CHANGE.get(kind, LEAST_CHANGE["time"])
    base = least if not np.isfinite(floor) else max(float(floor), least)
    return round(base**MARGIN, 4)


def _verdict(row: pd.Series) -> str:
    if row["status_base"] != "ok" and row["status_head"] != "ok":
        return "not measured"
    if row["status_base"] != "ok":
        return "new"
    if row["status_head"] != "ok":
        return "gone"
    ratio, limit = row["ratio"], row["threshold"]
    if not np.isfinite(ratio) or 1 / limit <= ratio <= limit:
        return "same"
    if row["type"] == "track":
        return "higher" if ratio > 1 else "lower"
    verdict = "slower" if ratio > 1 else "faster"
    return f"machine {verdict}" if row["benchmark"] == REFERENCE else verdict


def reference_moves(table: pd.DataFrame) -> str:
    """How each of the machine's fixed workloads moved ("numpy 1.055, python 1.523"), from a
    table with benchmark, params and ratio columns; empty where it has none."""
    reference = table[(table["benchmark"] == REFERENCE) & table["ratio"].notna()]
    return ", ".join(
        f"{params.removeprefix('work=')} {ratio:.3f}"
        for params, ratio in zip(reference["params"], reference["ratio"], strict=True)
    )


def machine_drift(table: pd.DataFrame) -> float:
    """How far the machine's own fixed workloads (``REFERENCE``) moved between the two runs:
    the largest of their ratios either way, 1.0 where the runs lack them."""
    ratios = table.loc[table["benchmark"] == REFERENCE, "ratio"].dropna().astype(float)
    ratios = ratios[ratios > 0]
    return float(max([1.0, *ratios, *(1 / ratios)]))


def regression_table(base: pd.DataFrame, head: pd.DataFrame, floor: pd.DataFrame) -> pd.DataFrame:
    """Every benchmark of either run: base, head, ratio head/base, noise floor, threshold,
    verdict (``FLAGGED`` ones call a change). ``floor`` is a ``read_noise_floor`` table; a
    benchmark it lacks gets NaN as its floor and ``LEAST_CHANGE`` as its threshold.

    A time's threshold is widened by ``machine_drift``: a time that moved no more than the
    machine's own fixed workloads did between the two runs is not the code's doing. (In the
    slow test a head run met a slow stretch: the pure-Python workload read 1.56x slower, and
    the loop, per_unit and small vectorised calls 1.53-1.65x, with no change to them.) Tracked
    ratios are measured side by side within one run, so the drift does not touch them."""
    a, b = _measured(base), _measured(head)
    table = a.merge(b, on=KEY, suffixes=("_base", "_head"), how="outer")
    for side in ("base", "head"):
        table[f"status_{side}"] = table[f"status_{side}"].fillna("absent")
    table["type"] = table["type_head"].fillna(table["type_base"])
    table["unit"] = table["unit_head"].fillna(table["unit_base"])
    ratio = table["value_head"].astype(float) / table["value_base"].astype(float)
    table["ratio"] = ratio.where(table["value_base"].astype(float) > 0).round(4)
    floors = floor.drop_duplicates(KEY, keep="last").set_index(KEY)["ratio"]
    table["noise_floor"] = [floors.get((name, params), np.nan) for name, params in
                            zip(table["benchmark"], table["params"], strict=True)]  # fmt: skip
    table["threshold"] = [
        threshold(kind, value, unit)
        for kind, value, unit in zip(
            table["type"], table["noise_floor"], table["unit"].fillna(""), strict=True
        )
    ]
    drift = machine_drift(table)
    timed = (table["type"] == "time") & (table["benchmark"] != REFERENCE)
    table.loc[timed, "threshold"] = (table.loc[timed, "threshold"] * drift).round(4)
    table["verdict"] = table.apply(_verdict, axis=1)
    shown = table.rename(columns={"value_base": "base", "value_head": "head"})
    columns = [*KEY, "type", "unit", "base", "head", "ratio", "noise_floor", "threshold", "verdict"]
    return shown[columns].sort_values(KEY, ignore_index=True)


AA_AIM = {"time": 1.15, "peakmemory": 1.15, "track": 1.05}
"""How far apart an A/A pair may be for the suite to count as holding still: 15% for a time or
memory benchmark, 5% for a tracked value."""


def summary_line(table: pd.DataFrame) -> str:
    """One line per benchmark type: how many, median and largest ratio, how many beyond aim."""
    parts = []
    for kind, numbers in noise_summary(table).items():
        aim = AA_AIM.get(kind, AA_AIM["time"])
        beyond = int((table.loc[table["type"] == kind, "ratio"] > aim).sum())
        parts.append(
            f"{kind}: {numbers['count']} measured, median ratio {numbers['median']:.3f}, "
            f"largest {numbers['largest']:.3f}, {beyond} beyond {aim:.2f}"
        )
    line = "A/A: " + "; ".join(parts)
    moved = reference_moves(table)
    if moved:
        line += f"; the machine's own fixed workloads moved by {moved}"
    return line


def write_noise_floor(
    base: pathlib.Path,
    table: pd.DataFrame,
    first: pd.DataFrame,
    second: pd.DataFrame,
    seconds: list[float],
    machine: str,
) -> list[pathlib.Path]:
    """``base``.csv (the table, read back by ``read_noise_floor``) and ``base``.md (what was
    run, where, the summary, then the table). Returns the paths written."""
    from backprop_bench.files import atomic_write_text

    csv, markdown = base.with_suffix(".csv"), base.with_suffix(".md")
    atomic_write_text(csv, table.to_csv(index=False))
    sha = first["commit"].iloc[0]
    started = [
        pd.to_datetime(rows["started_at"].min(), unit="ms", utc=True).strftime("%Y-%m-%d %H:%M")
        for rows in (first, second)
    ]
    took = f"; they took {seconds[0]:.0f} s and {seconds[1]:.0f} s" if len(seconds) == 2 else ""
    heading = (
        f"Noise floor: the asv suite run twice on commit {sha[:8]}, {machine}, environment "
        f"{first['env'].iloc[0]}, started {started[0]} and {started[1]} UTC{took}. 'ratio' "
        "is the larger value over the smaller; `backprop-bench regressions` calls a change only "
        f"beyond it (at least "
        + ", ".join(f"{factor:.2f} for {kind}" for kind, factor in LEAST_CHANGE.items())
        + f") to the power {MARGIN:g}."
    )
    shown = table.copy()
    shown["ratio"] = shown["ratio"].map(lambda r: f"{r:.3f}" if np.isfinite(r) else "—")
    text = shown.to_markdown(index=False, floatfmt=".4g")
    atomic_write_text(markdown, f"{heading}\n\n{summary_line(table)}.\n\n{text}\n")
    return [csv, markdown]


def regression_markdown(table: pd.DataFrame) -> str:
    """A ``regression_table`` for reading: values with 4 significant digits, ratios with 3
    decimals, a missing floor as —."""
    shown = table.drop(columns=["type", "threshold"]).copy()
    for column in ("ratio", "noise_floor"):
        shown[column] = shown[column].map(lambda r: f"{r:.3f}" if np.isfinite(r) else "—")
    for column in ("base", "head"):
        shown[column] = shown[column].map(lambda v: f"{v:.4g}" if np.isfinite(v) else "—")
    return shown.to_markdown(index=False, disable_numparse=True)
