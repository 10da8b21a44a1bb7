"""Fit records -> pandas tables: the comparison (one row per model) and the learning curves.

``comparison(records)`` summarises each model over its seeds: mean, standard deviation (sample,
ddof=1; blank for one seed), min and max test accuracy, the number of seeds that finished,
median fit and predict seconds, the parameter count and the largest peak memory. A model that
finished on no seed keeps its row, with its status ("diverged", "crashed", "skipped") and the
reason; one that did not finish on some seeds says so in ``note``. ``to_markdown`` renders it
for GitHub under a header saying what was measured, on what data and machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from backprop_bench.experiments.environment import blas_line
from backprop_bench.experiments.intervals import t_interval
from backprop_bench.experiments.records import FitRecord
from backprop_bench.reports.verdicts import wilson_interval
from nets.training import EPOCH_FIELDS

COMPARISON_COLUMNS = [
    "model",
    "status",
    "n_seeds",
    "test_accuracy_mean",
    "test_accuracy_std",
    "test_accuracy_min",
    "test_accuracy_max",
    "ci_low",
    "ci_high",
    "train_accuracy_mean",
    "fit_seconds_median",
    "predict_seconds_median",
    "n_parameters",
    "peak_memory_mb",
    "engine",
    "dtype",
    "note",
]
CURVE_COLUMNS = ["model", "seed", *EPOCH_FIELDS]
RUN_COLUMNS = [
    "model",
    "engine",
    "dtype",
    "seed",
    "n_test",
    "status",
    "reason",
    "test_accuracy",
    "train_accuracy",
    "train_accuracy_n",
    "fit_seconds",
    "fit_wall_seconds",
    "predict_seconds",
    "n_parameters",
    "peak_rss_mb",
    "data_rss_mb",
    "blas_threads",
]
MARKDOWN_HEADERS = {
    "model": "model",
    "engine": "engine",
    "dtype": "dtype",
    "status": "status",
    "n_seeds": "seeds",
    "test_accuracy_mean": "test acc. mean",
    "test_accuracy_std": "std",
    "test_accuracy_min": "min",
    "test_accuracy_max": "max",
    "ci": "95% CI",
    "train_accuracy_mean": "train acc.",
    "fit_seconds_median": "fit s",
    "predict_seconds_median": "predict s",
    "n_parameters": "parameters",
    "peak_memory_mb": "peak MB",
    "note": "note",
}


def runs(records: Sequence[FitRecord]) -> pd.DataFrame:
    """One row per fit (model, seed) with its measurements; ``RUN_COLUMNS``."""
    rows = [{column: getattr(record, column) for column in RUN_COLUMNS} for record in records]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def comparison(records: Sequence[FitRecord]) -> pd.DataFrame:
    """One row per model, in the order models first appear in ``records``."""
    frame = runs(records)
    rows = [_summarise(model, group) for model, group in frame.groupby("model", sort=False)]
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _summarise(model: str, fits: pd.DataFrame) -> dict[str, Any]:
    done = fits[fits["status"] == "ok"]
    others = fits[fits["status"] != "ok"]
    row: dict[str, Any] = dict.fromkeys(COMPARISON_COLUMNS)
    engines = ", ".join(fits["engine"].dropna().unique()) or None
    dtypes = ", ".join(fits["dtype"].dropna().unique()) or None
    row.update(model=model, engine=engines, dtype=dtypes, n_seeds=len(done), note="")
    if not others.empty:
        status, reason = others["status"].iloc[0], others["reason"].iloc[0]
        if done.empty:
            row.update(status=status, note=reason)
            return row
        row["note"] = f"{len(others)} of {len(fits)} fits {status}: {reason}"
    accuracy = done["test_accuracy"].astype(float)
    if len(accuracy) > 1:  # over seeds
        row["ci_low"], row["ci_high"] = t_interval(accuracy.tolist())
    else:  # one fit: over its test images
        n_test = int(done["n_test"].iloc[0])
        row["ci_low"], row["ci_high"] = wilson_interval(round(accuracy.iloc[0] * n_test), n_test)
    row.update(
        status="ok",
        test_accuracy_mean=accuracy.mean(),
        test_accuracy_std=accuracy.std(ddof=1) if len(accuracy) > 1 else None,
        test_accuracy_min=accuracy.min(),
        test_accuracy_max=accuracy.max(),
        train_accuracy_mean=done["train_accuracy"].astype(float).mean(),
        fit_seconds_median=done["fit_seconds"].astype(float).median(),
        predict_seconds_median=done["predict_seconds"].astype(float).median(),
        n_parameters=_median_count(done["n_parameters"]),
        peak_memory_mb=_max_or_none(done["peak_rss_mb"]),
    )
    return row


def _median_count(values: pd.Series) -> int | None:
    """The median count, ``None`` where it is unknown (a plugin model's parameters)."""
    known = values.dropna()
    return int(known.median()) if len(known) else None


def _max_or_none(values: pd.Series) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.max()) if len(values) else None


def learning_curves(records: Sequence[FitRecord]) -> pd.DataFrame:
    """Per-epoch train and test accuracy of every iterative fit; ``CURVE_COLUMNS``."""
    rows = [
        {"model": record.model, "seed": record.seed, **epoch}
        for record in records
        if record.ok
        for epoch in record.history or ()
    ]
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def _number(value: Any, digits: int) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _seconds(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _count(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{int(value):,}"


FORMATS = {
    "test_accuracy_mean": lambda v: _number(v, 4),
    "test_accuracy_std": lambda v: _number(v, 4),
    "test_accuracy_min": lambda v: _number(v, 4),
    "test_accuracy_max": lambda v: _number(v, 4),
    "train_accuracy_mean": lambda v: _number(v, 4),
    "fit_seconds_median": _seconds,
    "predict_seconds_median": _seconds,
    "n_parameters": _count,
    "peak_memory_mb": _count,
    "n_seeds": _count,
}


def to_markdown(table: pd.DataFrame, header: str) -> str:
    """``table`` (from ``comparison``) as GitHub Markdown under the paragraph ``header``."""
    shown = table.copy()
    for column, format_ in FORMATS.items():
        shown[column] = shown[column].map(format_)
    interval = (
        shown["ci_low"].map(lambda v: _number(v, 4))
        + "-"
        + shown["ci_high"].map(lambda v: _number(v, 4))
    )
    shown.insert(shown.columns.get_loc("ci_low"), "ci", interval.where(interval != "-", ""))
    shown = shown.drop(columns=["ci_low", "ci_high"])
    shown = shown.fillna("").rename(columns=MARKDOWN_HEADERS)
    for optional in ("note", "engine", "dtype"):  # older records have no engine or dtype
        if not shown[optional].astype(bool).any():
            shown = shown.drop(columns=optional)
    body = shown.to_markdown(index=False, disable_numparse=True, colalign=_alignment(shown))
    return f"{header}\n\n{body}\n"


def _alignment(shown: pd.DataFrame) -> list[str]:
    text = {"model", "engine", "dtype", "status", "note"}
    return ["left" if column in text else "right" for column in shown.columns]


def header(records: Sequence[FitRecord], sessions: Sequence[Mapping[str, Any]]) -> str:
    """What the table measured, on what data and machine, in two or three sentences."""
    first = records[0]
    seeds = sorted({r.seed for r in records if r.seed is not None})
    preprocessing = next((r.preprocessing for r in records if r.preprocessing), None)
    data = (
        f"**{first.dataset}** ({first.n_train:,} training / {first.n_test:,} test "
        f"images{', ' + preprocessing if preprocessing else ''})"
    )
    text = (
        f"Test accuracy on {data}, over seeds {_ranges(seeds)} for the models that depend on a "
        "seed; deterministic models (SVCs, logistic regression) are fitted once. "
        "std is the sample standard deviation over seeds; the 95% CI of the mean is a "
        "t-interval over seeds, or for a single fit a Wilson interval over the test images. "
        "fit s excludes the per-epoch "
        "evaluation; train acc. is measured on a fixed stratified subset "
        f"({first.train_accuracy_n or 'n/a'} samples); peak MB is the fitting "
        "process's maximum resident memory, data and libraries included."
    )
    if sessions:
        text += " " + machine_text(sessions)
    return text


def machine_text(sessions: Sequence[Mapping[str, Any]]) -> str:
    """The machine, BLAS, parallelism and code of the latest session, and the wall time of
    all of them, in two sentences."""
    env = sessions[-1]["environment"]
    blas = blas_line(env["blas"], threads=False)
    commit = env["git"]["commit"]
    code = "code outside git"
    if commit:
        code = f"code {commit[:10]}{' (uncommitted code changes)' if env['git']['dirty'] else ''}"
    jobs = sessions[-1]
    fitted = sum(session.get("fitted") or 0 for session in sessions)
    wall = sum(session.get("wall_seconds") or 0 for session in sessions)
    return (
        f"Machine: {env['cpu']}, {env['cores']} cores, {blas}; "
        f"{jobs['jobs']} parallel fits x {jobs['blas_threads_per_job']} BLAS thread(s); "
        f"{code}; {env['date'][:10]}. Fitting took {duration(wall)} of wall time for "
        f"{fitted} fits in {len(sessions)} run(s) of this machine."
    )


def duration(seconds: float) -> str:
    """``75`` -> ``"1 min 15 s"``; ``4000`` -> ``"1 h 6 min"``."""
    if seconds < 1:
        return "under 1 s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _ranges(values: Sequence[int]) -> str:
    """``[0, 1, 2, 4]`` -> ``"0-2, 4"``."""
    if not values:
        return "(none)"
    parts, start = [], values[0]
    for previous, current in itertools.pairwise([*values, None]):
        if current is None or current != previous + 1:
            parts.append(f"{start}-{previous}" if previous != start else f"{start}")
            start = current
    return ", ".join(parts)
