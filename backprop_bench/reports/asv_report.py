"""asv results into tables and plots: what ``backprop-bench report`` writes to results/benchmarks/.

``asv_results`` reads and checks asv's files; this module renders the results of one commit (the
latest by default) into:

- ``routines.csv`` / ``routines.md``: time per sample of every gradient routine for each batch
  size and hidden width, and how many times faster the vectorised routine is than each other one;
- ``routines.png``: time per sample against batch size, log-log, one line per routine and width;
- ``summary.csv`` / ``summary.md``: every other benchmark of that commit (training and baseline
  times, accuracies, the roofline and peer ratios);
- ``history.csv`` / ``history.png``: the tracked values across commits, when results exist for
  more than one commit on the same machine and environment.

``readme_block`` is the README's generated block (``blocks.refresh``): the routine table and
plot. It reads files only; it never runs asv. Skipped (NaN) and failed (null) combinations are
shown as such, never dropped.
"""

from __future__ import annotations

import math
import os
import pathlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from backprop_bench.errors import BenchError
from backprop_bench.files import atomic_write_text
from backprop_bench.reports.asv_results import (
    machine_description,
    newest_run_per_commit,
    params_text,
    read_asv_results,
    select_run,
)
from backprop_bench.reports.plots import save_png

ROUTINE_BENCHMARK = "gradients.GradientRoutines.time_gradient"
"""The asv name of the gradient-routine timing: params (routine, batch_size, width)."""

ROUTINE_ORDER = ("loop", "per_unit", "per_sample", "vectorised", "numerical")
"""Order of routines in tables and plots (slowest idea first); unknown names follow."""

REFERENCE_ROUTINE = "vectorised"

_PARAM_NAMES = ("routine", "batch_size", "width")


def _routine_rows(run: pd.DataFrame) -> pd.DataFrame:
    rows = run[run["benchmark"] == ROUTINE_BENCHMARK]
    if rows.empty:
        raise BenchError(
            f"the asv results of commit {run['commit'].iloc[0][:8]} have no {ROUTINE_BENCHMARK}"
        )
    expanded = pd.DataFrame(rows["params"].tolist(), index=rows.index)
    missing = [name for name in _PARAM_NAMES if name not in expanded]
    if missing:
        raise BenchError(f"{ROUTINE_BENCHMARK} results lack the parameters {missing}")
    long = pd.concat([expanded[list(_PARAM_NAMES)], rows[["value", "status"]]], axis=1)
    long["seconds_per_sample"] = long["value"] / long["batch_size"]
    return long


def _ordered(names: Sequence[str]) -> list[str]:
    known = [name for name in ROUTINE_ORDER if name in names]
    return known + sorted(set(names) - set(known))


def routine_table(run: pd.DataFrame) -> pd.DataFrame:
    """Seconds per sample of each routine by (width, batch_size), with vectorised's speedups.

    One row per hidden width and batch size; columns ``seconds_per_sample_<routine>`` (asv's
    median time of one call divided by the batch size; NaN where skipped or failed) and
    ``speedup_<routine>`` = that routine's time / the vectorised routine's time, for every
    other routine. ``status_<routine>`` says "ok", "skipped" or "failed".
    """
    long = _routine_rows(run)
    routines = _ordered(long["routine"].unique().tolist())
    wide = long.pivot_table(
        index=["width", "batch_size"],
        columns="routine",
        values="seconds_per_sample",
        aggfunc="first",
        dropna=False,
    )
    status = long.pivot_table(
        index=["width", "batch_size"], columns="routine", values="status", aggfunc="first"
    )
    table = pd.DataFrame(index=wide.index)
    for routine in routines:
        table[f"seconds_per_sample_{routine}"] = wide.get(routine)
    if REFERENCE_ROUTINE in routines:
        for routine in routines:
            if routine != REFERENCE_ROUTINE:
                table[f"speedup_{routine}"] = wide.get(routine) / wide[REFERENCE_ROUTINE]
    for routine in routines:
        table[f"status_{routine}"] = status.get(routine).reindex(table.index).fillna("absent")
    return table.reset_index().sort_values(["width", "batch_size"], ignore_index=True)


def _format_seconds(value: float) -> str:
    """A time per sample for people: 12.3 µs, 4.56 ms, 1.2 s."""
    scale, unit = (1e-6, "µs") if value < 1e-3 else (1e-3, "ms") if value < 1 else (1.0, "s")
    return f"{value / scale:.3g} {unit}"


def routine_markdown(table: pd.DataFrame, heading: str) -> str:
    """The routine table for reading on GitHub: times with units, speedups as "123x"."""
    routines = [c.removeprefix("seconds_per_sample_") for c in table if c.startswith("seconds_")]
    shown = pd.DataFrame({"width": table["width"], "batch": table["batch_size"]})
    for routine in routines:
        times = table[f"seconds_per_sample_{routine}"]
        states = table[f"status_{routine}"]
        shown[f"{routine} / sample"] = [
            _format_seconds(t) if s == "ok" else s for t, s in zip(times, states, strict=True)
        ]
    for routine in routines:
        column = f"speedup_{routine}"
        if column in table:
            shown[f"vectorised vs {routine}"] = [
                f"{v:,.0f}x" if v >= 10 else f"{v:.2g}x" if np.isfinite(v) else "—"
                for v in table[column]
            ]
    text = shown.to_markdown(
        index=False, disable_numparse=True, colalign=["right"] * shown.shape[1]
    )
    return f"{heading}\n\n{text}\n"


def plot_routines(table: pd.DataFrame, path: pathlib.Path, title: str) -> None:
    """Time per sample against batch size, log-log: colour per routine, marker per width."""
    routines = [c.removeprefix("seconds_per_sample_") for c in table if c.startswith("seconds_")]
    widths = sorted(table["width"].unique())
    markers = {width: "osD^v<>ph*"[i % 10] for i, width in enumerate(widths)}
    styles = {width: ["-", "--", ":", "-."][i % 4] for i, width in enumerate(widths)}
    figure = Figure(figsize=(7.5, 5.0), layout="constrained")
    axes = figure.add_subplot()
    for index, routine in enumerate(routines):
        colour = f"C{index}"
        for width in widths:
            part = table[table["width"] == width].sort_values("batch_size")
            times = part[f"seconds_per_sample_{routine}"]
            if times.notna().any():
                axes.plot(
                    part["batch_size"],
                    times,
                    color=colour,
                    marker=markers[width],
                    linestyle=styles[width],
                    label=f"{routine}, h={width}",
                )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("batch size (samples per call)")
    axes.set_ylabel("seconds per sample")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, ncols=2)
    save_png(figure, path, dpi=120)


def _label(row: pd.Series) -> str:
    params = params_text(row["params"])
    return f"{row['benchmark']}({params})" if params else row["benchmark"]


def summary_table(run: pd.DataFrame) -> pd.DataFrame:
    """Every benchmark of the run except the routine grid: benchmark, params, value, unit."""
    rest = run[run["benchmark"] != ROUTINE_BENCHMARK]
    table = pd.DataFrame(
        {
            "benchmark": rest["benchmark"],
            "params": [params_text(p) for p in rest["params"]],
            "type": rest["type"],
            "value": rest["value"],
            "unit": rest["unit"],
            "status": rest["status"],
        }
    )
    return table.sort_values(["benchmark", "params"], ignore_index=True)


def history_table(results: pd.DataFrame, run: pd.DataFrame) -> pd.DataFrame:
    """Tracked values across commits on the run's machine and environment, oldest first.

    One row per commit; one column per tracked quantity (benchmark and parameters). Where a
    commit was run more than once, its newest run counts.
    """
    same = results[
        (results["machine"] == run["machine"].iloc[0])
        & (results["env"] == run["env"].iloc[0])
        & (results["type"] == "track")
    ]
    if same.empty:
        return pd.DataFrame()
    same = same[same["run"].isin(newest_run_per_commit(same))]
    frame = same.assign(quantity=same.apply(_label, axis=1), commit=same["commit"].str[:8])
    return frame.pivot_table(
        index=["date", "commit"], columns="quantity", values="value", aggfunc="last"
    ).reset_index()


def plot_history(history: pd.DataFrame, path: pathlib.Path, title: str) -> None:
    """One small panel per tracked quantity measured at two commits or more, value by commit
    (oldest left). Quantities whose benchmark or parameters changed start a new panel."""
    quantities = [
        c for c in history.columns if c not in ("date", "commit") and history[c].count() >= 2
    ]
    columns = min(3, len(quantities))
    rows = math.ceil(len(quantities) / columns)
    figure = Figure(figsize=(4.0 * columns, 2.8 * rows), layout="constrained")
    positions = np.arange(len(history))
    for index, quantity in enumerate(quantities):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.plot(positions, history[quantity], marker="o")
        axes.set_title(quantity, fontsize=7)
        axes.set_xticks(positions, history["commit"], rotation=60, fontsize=6)
        axes.tick_params(axis="y", labelsize=7)
        axes.grid(True, alpha=0.3)
    figure.suptitle(title, fontsize=10)
    save_png(figure, path, dpi=110)


def write_benchmark_report(
    asv_results_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    commit: str | None = None,
) -> list[pathlib.Path]:
    """Read asv's results and write the benchmark tables and plots into ``out_dir``.

    ``commit`` is a full hash, a prefix of one, or a name git resolves (e.g. "HEAD"); None takes
    the latest commit with results. Returns the paths written. No results, an unknown commit or
    results without the gradient-routine grid are a BenchError (one line).
    """
    root = pathlib.Path(asv_results_dir)
    results = read_asv_results(root)
    run = select_run(results, commit, root)
    sha = run["commit"].iloc[0]
    when = run["date"].iloc[0].strftime("%Y-%m-%d")
    where = machine_description(root, run["machine"].iloc[0])
    table = routine_table(run)

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[pathlib.Path] = []

    def path_for(name: str) -> pathlib.Path:
        written.append(out / name)
        return out / name

    atomic_write_text(path_for("routines.csv"), table.to_csv(index=False))
    heading = (
        f"Gradient routines: time per sample (asv median of one call / batch size) on a "
        f"[784, h, h, 10] sigmoid network, quadratic cost, float64; commit {sha[:8]} ({when}), "
        f"{where}, environment {run['env'].iloc[0]}. 'vectorised vs X' is X's time / "
        "vectorised's time; 'skipped' combinations exceed the suite's time budget."
    )
    atomic_write_text(path_for("routines.md"), routine_markdown(table, heading))
    plot_routines(table, path_for("routines.png"), f"Gradient routines, commit {sha[:8]}")

    summary = summary_table(run)
    if not summary.empty:
        atomic_write_text(path_for("summary.csv"), summary.to_csv(index=False))
        text = summary.to_markdown(index=False, floatfmt=".4g")
        atomic_write_text(
            path_for("summary.md"),
            f"Every other benchmark of commit {sha[:8]} ({when}), {where}.\n\n{text}\n",
        )

    history = history_table(results, run)
    if len(history) > 1:
        atomic_write_text(path_for("history.csv"), history.to_csv(index=False))
        if (history.drop(columns=["date", "commit"]).count() >= 2).any():
            plot_history(history, path_for("history.png"), f"Tracked values by commit, {where}")
    return written


def readme_block(out: pathlib.Path) -> str | None:
    """The README's benchmarks block: ``out``'s routine table and plot, the noise floor and
    links to the rest (links relative to ``out``); ``None`` when it has no routines.md."""
    table = out / "routines.md"
    if not table.is_file():
        return None
    heading = table.read_text(encoding="utf-8").strip().split("\n\n", 1)[0]
    lines = [f"{heading} The table: [routines.md](routines.md).", ""]
    lines.append("![Time per sample of each gradient routine](routines.png)")
    lines.append("")
    floor = out / "noise_floor.md"
    if floor.is_file():
        heading_line, summary = floor.read_text(encoding="utf-8").split("\n\n")[:2]
        lines.append(
            f"{heading_line.split('. ', 1)[0]}: {summary.strip()} "
            "The table: [noise_floor.md](noise_floor.md)."
        )
        lines.append("")
    others = ["Every other benchmark of that commit: [summary.md](summary.md)"]
    if (out / "history.png").is_file():
        others.append("tracked values across commits: [history.png](history.png)")
    lines.append("; ".join(others) + ".")
    return "\n".join(lines)
