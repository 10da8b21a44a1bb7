"""A sweep's results folder: the tidy table, plots chosen by the swept axes, exponents, crossings.

``write_sweep`` stores the records (``runs.jsonl``), the environment and the sweep's description
(``sweep.json``: its axes and grid points), then ``render_sweep`` builds everything else from
those files alone (``backprop-bench report`` does that for a committed folder):

- ``sweep.csv``: one row per fit (dataset, n_train, model, each grid parameter, seed, status,
  accuracies, fit and predict time, seconds per epoch, parameters, memory, engine, dtype);
- per swept axis, ``accuracy_vs_AXIS.png`` and ``time_vs_AXIS.png``: test accuracy, and fit and
  predict time, against the axis, one line per model (the mean over seeds) with the spread over
  seeds (smallest to largest) as a band; a log axis where its values are log-spaced
  (``log_spaced``: n_train's 1,000 to 60,000), and log times;
- ``exponents.csv``: for each model, the slope b of log(time) = a + b log(n_train), fitted by
  least squares (``scipy.stats.linregress``, with its standard error) to the mean times;
- ``crossings.csv``: the n_train between which the network overtakes, or falls behind, each
  other model (the sign of the difference of mean test accuracies changes);
- ``summary.md``: the README block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from scipy import stats

from backprop_bench import schema
from backprop_bench.errors import BenchError
from backprop_bench.experiments.records import Comparison, FitRecord, check_model_name
from backprop_bench.files import atomic_write_text, child, to_json
from backprop_bench.reports import publish, tables
from backprop_bench.reports.plots import legend, plt, save_png
from backprop_bench.reports.requirements import write_requirements

SWEEP = "sweep.json"
TIMES = {"fit_seconds": "fit", "predict_seconds": "predict"}
FIT_COLUMNS = [
    "status",
    "test_accuracy",
    "train_accuracy",
    "fit_seconds",
    "predict_seconds",
    "seconds_per_epoch",
    "n_parameters",
    "peak_rss_mb",
    "engine",
    "dtype",
    "ran_on",
    "reason",
]


def write_sweep(out_dir: Path, description: Mapping[str, Any], comparison: Comparison) -> list:
    """Write a sweep's records, environment and description into ``out_dir``, then render."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = publish.write_records(out_dir, comparison)
    paths.append(atomic_write_text(out_dir / SWEEP, to_json(dict(description))))
    return paths + render_sweep(out_dir)


class PointDescription(TypedDict):
    model: str
    values: dict[str, Any]


class SweepDescription(TypedDict):
    """A sweep's ``sweep.json`` (``experiments.sweeps.Sweep.describe``), as far as its
    rendering reads it."""

    path: str
    title: str
    seeds: list[int]
    axes: list[str]
    points: dict[str, PointDescription]


AXIS = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")  # dataset, n_train or a parameter's name


def read_description(out_dir: Path) -> dict[str, Any]:
    """Results folder ``out_dir``'s sweep.json, checked: its axes become file names
    (``accuracy_vs_AXIS.png``) and its labels table cells, so each must be a plain name."""
    path = out_dir / SWEEP
    if not path.is_file():
        raise BenchError(f"{out_dir} holds no {SWEEP}: run `backprop-bench sweep` first")
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: not readable JSON ({error})") from None
    schema.check(description, SweepDescription, str(path))
    for axis in description["axes"]:
        if not AXIS.fullmatch(axis):
            raise BenchError(f"{path}: field axes: {axis!r} is not the name of a parameter")
    for label, point in description["points"].items():
        check_model_name(label, f"{path}: field points:")
        check_model_name(point["model"], f"{path}: field points.{label}.model:")
        for name in point["values"]:
            if not AXIS.fullmatch(name):
                raise BenchError(f"{path}: field points.{label}.values: {name!r} is not a name")
    return description


def tidy(records: Sequence[FitRecord], description: Mapping[str, Any]) -> pd.DataFrame:
    """One row per fit: where it sits in the sweep, then what it measured (``FIT_COLUMNS``)."""
    points = description["points"]
    parameters = sorted({name for point in points.values() for name in point["values"]})
    rows = []
    for record in records:
        point = points.get(record.model, {"model": record.model, "values": {}})
        epochs = len(record.history or ())
        row = {
            "dataset": record.dataset,
            "n_train": record.n_train,
            "n_test": record.n_test,
            "model": point["model"],
            "label": record.model,
            **{name: _cell(point["values"].get(name)) for name in parameters},
            "seed": record.seed,
            **{column: getattr(record, column, None) for column in FIT_COLUMNS},
        }
        if epochs and record.fit_seconds is not None:
            row["seconds_per_epoch"] = record.fit_seconds / epochs
        rows.append(row)
    columns = ["dataset", "n_train", "n_test", "model", "label", *parameters, "seed", *FIT_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def _cell(value: Any) -> Any:
    """A grid value as a table cell: a list of equal sizes ([300, 300]) reads as its width."""
    if isinstance(value, (list, tuple)):
        return value[0] if len(set(value)) == 1 else "x".join(map(str, value))
    return value


def line_names(frame: pd.DataFrame, axis: str, axes: Sequence[str]) -> pd.Series:
    """The line each fit belongs to when plotted against ``axis``: its model and every other
    swept value it has."""
    others = [name for name in axes if name != axis and name in frame]

    def line(row: pd.Series) -> str:
        values = [f"{name}={row[name]}" for name in others if not pd.isna(row[name])]
        return " ".join([str(row["model"]), *values])

    return frame.apply(line, axis=1) if len(frame) else pd.Series([], dtype=str)


def over_seeds(frame: pd.DataFrame, axis: str, axes: Sequence[str], column: str) -> pd.DataFrame:
    """Mean, smallest and largest of ``column`` over seeds, per line and value of ``axis``."""
    done = frame[frame["status"] == "ok"].assign(line=lambda f: line_names(f, axis, axes))
    done = done.dropna(subset=[column])
    grouped = done.groupby(["line", axis], sort=False)[column]
    return grouped.agg(["mean", "min", "max", "count"]).reset_index().sort_values(["line", axis])


def log_spaced(values: Sequence[Any]) -> bool:
    """Whether an axis's ``values`` are better drawn on a log scale: at least three positive
    numbers spanning a factor of 10 or more, whose steps are more even as ratios than as
    differences (1,000, 2,000, 5,000 ... 60,000, not 10, 20, 30 ... 100)."""
    numbers = pd.to_numeric(pd.Series(list(values)), errors="coerce")
    if numbers.isna().any():
        return False
    points = np.unique(numbers.to_numpy(dtype=float))
    if len(points) < 3 or points[0] <= 0 or points[-1] / points[0] < 10:
        return False

    def unevenness(steps: np.ndarray) -> float:
        return float(np.std(steps) / np.mean(steps))

    return unevenness(np.diff(np.log(points))) < unevenness(np.diff(points))


def plot_axis(frame: pd.DataFrame, axis: str, axes: Sequence[str], out_dir: Path) -> list[Path]:
    """``accuracy_vs_AXIS.png`` and ``time_vs_AXIS.png`` (fit and predict side by side)."""
    logx = log_spaced(frame[axis].dropna())
    paths = []
    accuracy = over_seeds(frame, axis, axes, "test_accuracy")
    figure, ax = plt.subplots(figsize=(7, 4.5))
    _bands(ax, accuracy, axis, logx=logx, logy=False)
    ax.set_ylabel("test accuracy (mean over seeds; band: smallest to largest)")
    ax.set_title(f"test accuracy against {axis}")
    legend(ax)
    paths.append(child(out_dir, f"accuracy_vs_{axis}.png", "axis"))
    save_png(figure, paths[-1])
    found = exponents(frame, axes) if axis == "n_train" else None
    figure, pair = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
    for ax, (column, name) in zip(pair, TIMES.items(), strict=True):
        labels = {}
        if found is not None:  # each line's fitted exponent, in its legend entry
            rows = found[found["time"] == name].itertuples()
            labels = {row.model: f"{row.model}: b = {row.exponent:.2f}" for row in rows}
        _bands(ax, over_seeds(frame, axis, axes, column), axis, logx=logx, logy=True,
               labels=labels)  # fmt: skip
        ax.set_ylabel(f"{name} seconds (log)")
        ax.set_title(f"{name} time against {axis}" + (" (time ∝ n_train^b)" if labels else ""))
        if labels or ax is pair[-1]:
            legend(ax)
    paths.append(child(out_dir, f"time_vs_{axis}.png", "axis"))
    save_png(figure, paths[-1])
    return paths


def _bands(
    ax: Any,
    summary: pd.DataFrame,
    axis: str,
    *,
    logx: bool,
    logy: bool,
    labels: Mapping[str, str] | None = None,
) -> None:
    """One line per model (the mean over seeds) with its min-max band; ``labels`` replace a
    line's name in the legend."""
    numeric = pd.api.types.is_numeric_dtype(summary[axis])
    order = list(dict.fromkeys(summary[axis])) if not numeric else None
    for line, group in summary.groupby("line", sort=False):
        x = group[axis] if numeric else [order.index(v) for v in group[axis]]
        label = (labels or {}).get(line, line)
        (drawn,) = ax.plot(x, group["mean"], marker="o", label=label)
        if (group["count"] > 1).any():
            ax.fill_between(x, group["min"], group["max"], color=drawn.get_color(), alpha=0.2)
    if not numeric:
        ax.set_xticks(range(len(order)), [str(v) for v in order])
    if logx and numeric:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(axis + (" (log)" if logx else ""))
    ax.grid(True, which="both", alpha=0.3)


def exponents(frame: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """Per line and time (fit, predict): b in time ∝ n_train^b, least squares on the logs of
    the mean times over seeds, with its standard error and the points used."""
    rows = []
    for column, name in TIMES.items():
        summary = over_seeds(frame, "n_train", axes, column)
        for line, group in summary.groupby("line", sort=False):
            group = group[group["mean"] > 0]
            if len(group) < 3:
                continue
            fit = stats.linregress(np.log(group["n_train"]), np.log(group["mean"]))
            rows.append(
                {
                    "model": line,
                    "time": name,
                    "exponent": fit.slope,
                    "stderr": fit.stderr,
                    "points": len(group),
                    "n_train_from": int(group["n_train"].min()),
                    "n_train_to": int(group["n_train"].max()),
                }
            )
    columns = ["model", "time", "exponent", "stderr", "points", "n_train_from", "n_train_to"]
    return pd.DataFrame(rows, columns=columns)


def crossings(frame: pd.DataFrame, axes: Sequence[str], network: str) -> pd.DataFrame:
    """Where the network's mean test accuracy overtakes or falls behind each other line's, as
    n_train grows: the two sizes between which the difference changes sign."""
    summary = over_seeds(frame, "n_train", axes, "test_accuracy")
    table = summary.pivot(index="n_train", columns="line", values="mean").sort_index()
    rows = []
    for line in table.columns:
        if line == network or network not in table:
            continue
        difference = (table[network] - table[line]).dropna()
        signs = np.sign(difference)
        for (n_before, before), (n_after, after) in zip(
            signs.items(), list(signs.items())[1:], strict=False
        ):
            if before != after and after != 0:
                event = "overtakes" if after > 0 else "falls behind"
                rows.append(
                    {"network": network, "event": event, "other": line,
                     "n_train_from": n_before, "n_train_to": n_after}
                )  # fmt: skip
        if not len(difference):
            continue
        if (signs > 0).all() or (signs < 0).all():
            rows.append(
                {"network": network, "event": "ahead at every size" if signs.iloc[0] > 0
                 else "behind at every size", "other": line,
                 "n_train_from": difference.index.min(), "n_train_to": difference.index.max()}
            )  # fmt: skip
    columns = ["network", "event", "other", "n_train_from", "n_train_to"]
    return pd.DataFrame(rows, columns=columns)


def best_by_axis(frame: pd.DataFrame, axes: Sequence[str]) -> pd.DataFrame:
    """In a sweep of several axes, the most accurate value of each axis but n_train (which has
    its crossings) on each line (the model and the other axes' values): one row per (axis,
    line) with that value and its mean test accuracy over seeds."""
    rows = []
    for axis in axes if len(axes) > 1 else ():
        if axis == "n_train":
            continue
        summary = over_seeds(frame, axis, axes, "test_accuracy")
        order = {line: n for n, line in enumerate(dict.fromkeys(line_names(frame, axis, axes)))}
        summary = summary.sort_values("line", key=lambda lines: lines.map(order), kind="stable")
        for line, group in summary.groupby("line", sort=False):  # in the sweep's own order
            best = group.loc[group["mean"].idxmax()]
            rows.append({"axis": axis, "line": line, "best": best[axis], "accuracy": best["mean"]})
    return pd.DataFrame(rows, columns=["axis", "line", "best", "accuracy"])


def _best_sentences(best: pd.DataFrame, axes: Sequence[str]) -> list[str]:
    """Per axis: its most accurate value on each line, and whether that depends on the line."""
    sentences = []
    for axis, group in best.groupby("axis", sort=False):
        parts = ", ".join(
            f"{row.best} ({row.accuracy:.4f}) with `{row.line}`" for row in group.itertuples()
        )
        others = [name for name in axes if name != axis]
        verdict = (
            f"the same whatever {' and '.join(others)}"
            if group["best"].nunique() == 1
            else f"which is best depends on {' and '.join(others)}"
        )
        sentences.append(
            f"The most accurate {axis} (mean test accuracy over seeds): {parts}; {verdict}."
        )
    return sentences


def analysis(out_dir: Path) -> dict[str, Any]:
    """Everything a sweep's tables and summary are made of, from its files alone."""
    records, sessions = publish.read_results(out_dir, one_test_set=False)
    description = read_description(out_dir)
    frame = tidy(records, description)
    axes = [axis for axis in description["axes"] if axis in frame]
    found = {"frame": frame, "description": description, "sessions": sessions, "axes": axes}
    found["records"] = records
    found["exponents"] = found["crossings"] = None
    found["best"] = best_by_axis(frame, axes)
    if "n_train" in axes:
        found["exponents"] = exponents(frame, axes)
        network = frame.loc[frame["model"] == description.get("network"), "label"]
        if len(network):
            line = line_names(frame[frame["label"] == network.iloc[0]], "n_train", axes).iloc[0]
            found["crossings"] = crossings(frame, axes, line)
    return found


def render_sweep(out_dir: Path) -> list[Path]:
    """Build the sweep's tables, plots and summary from its files alone."""
    found = analysis(out_dir)
    written = [publish.write_csv(found["frame"], out_dir / "sweep.csv")]
    for axis in found["axes"]:
        written += plot_axis(found["frame"], axis, found["axes"], out_dir)
    for name in ("exponents", "crossings"):
        if found[name] is not None:
            written.append(publish.write_csv(found[name], out_dir / f"{name}.csv"))
    written.append(atomic_write_text(out_dir / "summary.md", sweep_summary(found)))
    written += write_requirements(out_dir, found["sessions"], found["records"])
    return written


def sweep_summary(found: Mapping[str, Any]) -> str:
    """What the sweep measured, how long it took on which machine, and what it found (links
    relative to its folder)."""
    frame, description, sessions = found["frame"], found["description"], found["sessions"]
    axes, found_exponents, found_crossings = found["axes"], found["exponents"], found["crossings"]
    done = frame[frame["status"] == "ok"]
    seeds = ", ".join(str(s) for s in description["seeds"])
    lines = [
        f"**{description['title']}** (`backprop-bench sweep {description['path']}`): "
        f"{len(done)} of {len(frame)} fits finished, over {', '.join(axes) or 'one setting'}, "
        f"seeds {seeds} for the models that depend on a seed. "
        + (tables.machine_text(sessions) if sessions else ""),
        "",
    ]
    for axis in axes:
        lines.append(f"![test accuracy against {axis}](accuracy_vs_{axis}.png)")
        lines.append(f"![fit and predict time against {axis}](time_vs_{axis}.png)")
        lines.append("")
    if found_exponents is not None and len(found_exponents):
        parts = [
            f"`{line}` "
            + ", ".join(f"{r.time} {r.exponent:.2f} ± {r.stderr:.2f}" for r in group.itertuples())
            for line, group in found_exponents.groupby("model", sort=False)
        ]
        lines += [
            "Fitted exponents b of time ∝ n_train^b (least squares on log-log means over seeds, "
            f"± standard error): {'; '.join(parts)}.",
            "",
        ]
    if found_crossings is not None and len(found_crossings):
        parts = [
            f"`{row.network}` {row.event} `{row.other}` between {row.n_train_from:,} and "
            f"{row.n_train_to:,}"
            if row.event in ("overtakes", "falls behind")
            else f"`{row.network}` is {row.event} against `{row.other}`"
            for row in found_crossings.itertuples()
        ]
        lines += [f"Test accuracy as n_train grows: {'; '.join(parts)}.", ""]
    best = found.get("best")
    if best is not None and len(best):
        lines += [" ".join(_best_sentences(best, axes)), ""]
    epochs = "seconds_per_epoch" in done and done["seconds_per_epoch"].notna().any()
    if epochs and "n_train" not in axes:  # per model (one size): accuracy beside epoch time
        per_epoch = done.groupby("label", sort=False)["seconds_per_epoch"].agg(
            ["mean", "min", "max"]
        )
        accuracy = done.groupby("label", sort=False)["test_accuracy"].agg(["mean", "min", "max"])
        lines += ["| model | test accuracy (mean, min-max) | s per epoch (mean, min-max) |",
                  "|:--|--:|--:|"]  # fmt: skip
        for label, row in per_epoch.dropna().iterrows():
            acc = accuracy.loc[label]
            lines.append(
                f"| {label} | {acc['mean']:.4f} ({acc['min']:.4f}-{acc['max']:.4f}) | "
                f"{row['mean']:.3g} ({row['min']:.3g}-{row['max']:.3g}) |"
            )
        lines.append("")
    lines.append("Every fit: [sweep.csv](sweep.csv).")
    return "\n".join(lines) + "\n"
