"""The site's interactive charts: plotly figures made from what a results folder holds.

Every chart draws one marker per data point it states (a fit, an epoch's mean over seeds, a
speed ratio, a confusion matrix's cell as a number), so that a browser test can count the
marks against the data. ``Chart.points`` is that count, as the chart was built.

- ``learning_curves``: per model, the mean test accuracy per epoch over seeds, with the band
  from the smallest to the largest seed;
- ``accuracy_vs_fit_time``: every fit, log time axis;
- ``confusion``: one heatmap per model, its median fit (``plots.median_fit``), shaded by the
  fraction of each true class, counts written in the cells;
- ``sweep_axis``: a sweep's test accuracy and fit time against one swept axis, one line per
  model (the mean over seeds, the band from smallest to largest) and every fit as a point,
  each trace tagged with its model and dataset for the page's selectors;
- ``speed_ratios``: each ``speed`` ratio with its 95% interval, log axis, coloured by verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backprop_bench.experiments.intervals import FASTER, SLOWER
from backprop_bench.experiments.records import FitRecord
from backprop_bench.reports import sweeps
from backprop_bench.reports.plots import median_fit

PALETTE = [
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
    "#eeca3b",
]
VERDICT_COLOURS = {FASTER: "#1b7f3b", SLOWER: "#b3261e"}
NO_CHANGE_COLOUR = "#6b7280"


@dataclass
class Chart:
    """A figure, its element id on the page, and how many data points it marks."""

    name: str
    figure: Any  # plotly.graph_objects.Figure
    points: int


def _go():
    from plotly import graph_objects

    return graph_objects


def _layout(figure: Any, title: str, x: str, y: str, **more: Any) -> Any:
    figure.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        hovermode="closest",
        margin={"l": 70, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "v"},
        **more,
    )
    return figure


def _colour(n: int) -> str:
    return PALETTE[n % len(PALETTE)]


def _band(
    go: Any,
    x: Sequence,
    low: Sequence,
    high: Sequence,
    colour: str,
    group: str,
    meta: dict | None = None,
) -> Any:
    """The area between ``low`` and ``high`` (no markers: a band is not a data point)."""
    return go.Scatter(
        x=[*x, *reversed(list(x))],
        y=[*high, *reversed(list(low))],
        fill="toself",
        fillcolor=colour,
        opacity=0.18,
        line={"width": 0},
        mode="lines",
        hoverinfo="skip",
        showlegend=False,
        legendgroup=group,
        meta=meta,
    )


def learning_curves(records: Sequence[FitRecord], title: str) -> Chart:
    """Mean test accuracy per epoch over seeds, per model with a history, and its band."""
    go = _go()
    figure = go.Figure()
    points = 0
    models = list(dict.fromkeys(r.model for r in records if r.ok and r.history))
    for n, model in enumerate(models):
        fits = [r for r in records if r.model == model and r.ok and r.history]
        curves = pd.DataFrame(
            [
                {"seed": r.seed, "epoch": epoch, "accuracy": entry["test_accuracy"]}
                for r in fits
                for epoch, entry in enumerate(r.history, 1)
            ]
        )
        by_epoch = curves.groupby("epoch")["accuracy"].agg(["mean", "min", "max", "count"])
        colour = _colour(n)
        if len(fits) > 1:
            figure.add_trace(
                _band(go, by_epoch.index, by_epoch["min"], by_epoch["max"], colour, model)
            )
        figure.add_trace(
            go.Scatter(
                x=list(by_epoch.index),
                y=by_epoch["mean"],
                mode="lines+markers",
                name=model,
                legendgroup=model,
                marker={"color": colour, "size": 6},
                line={"color": colour},
                customdata=np.stack([by_epoch["min"], by_epoch["max"], by_epoch["count"]], 1),
                hovertemplate=f"{model}<br>epoch %{{x}}<br>mean test accuracy %{{y:.4f}}"
                "<br>seeds: %{customdata[2]}, from %{customdata[0]:.4f} to %{customdata[1]:.4f}"
                "<extra></extra>",
            )
        )
        points += len(by_epoch)
    _layout(figure, title, "epoch", "test accuracy (mean over seeds; band: smallest to largest)")
    return Chart("learning-curves", figure, points)


def accuracy_vs_fit_time(records: Sequence[FitRecord], title: str) -> Chart:
    """Every finished fit: test accuracy against fit time (log)."""
    go = _go()
    figure = go.Figure()
    points = 0
    for n, model in enumerate(dict.fromkeys(r.model for r in records)):
        fits = [r for r in records if r.model == model and r.ok and r.fit_seconds]
        if not fits:
            continue
        figure.add_trace(
            go.Scatter(
                x=[r.fit_seconds for r in fits],
                y=[r.test_accuracy for r in fits],
                mode="markers",
                name=model,
                marker={"color": _colour(n), "size": 9, "opacity": 0.85},
                customdata=[["-" if r.seed is None else r.seed] for r in fits],
                hovertemplate=f"{model}, seed %{{customdata[0]}}<br>test accuracy %{{y:.4f}}"
                "<br>fit %{x:.3g} s<extra></extra>",
            )
        )
        points += len(fits)
    _layout(figure, title, "fit seconds (log)", "test accuracy")
    figure.update_xaxes(type="log")
    return Chart("accuracy-vs-fit-time", figure, points)


def confusion(records: Sequence[FitRecord], model: str, number: int) -> Chart | None:
    """``model``'s median fit's confusion matrix; ``None`` when it has none."""
    fits = [r for r in records if r.model == model and r.ok and r.confusion_matrix]
    if not fits:
        return None
    go = _go()
    fit = median_fit(fits)
    matrix = np.asarray(fit.confusion_matrix)
    fraction = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    classes = [str(c) for c in range(len(matrix))]
    seed = "" if fit.seed is None else f", seed {fit.seed} (median)"
    figure = go.Figure(
        go.Heatmap(
            z=fraction,
            x=classes,
            y=classes,
            text=matrix,
            texttemplate="%{text}",
            textfont={"size": 9},
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="true %{y}, predicted %{x}: %{text} images "
            "(%{z:.1%} of the class)<extra></extra>",
        )
    )
    _layout(
        figure,
        f"{model}{seed}: test accuracy {fit.test_accuracy:.4f}",
        "predicted class",
        "true class",
        height=430,
        width=440,
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(type="category")
    return Chart(f"confusion-{number}", figure, matrix.size)


def sweep_axis(
    frame: pd.DataFrame,
    axis: str,
    axes: Sequence[str],
    number: int,
    exponents: pd.DataFrame | None = None,
) -> list[Chart]:
    """Test accuracy and fit time against ``axis``: per line its mean over seeds with the band,
    and every fit as a point (hover: its label, seed and figures); ``exponents``
    (``sweeps.exponents``) name each fit-time line with its fitted exponent."""
    fitted = {}
    if exponents is not None and axis == "n_train":
        rows = exponents[exponents["time"] == "fit"].itertuples()
        fitted = {row.model: f"{row.model}: b = {row.exponent:.2f}" for row in rows}
    go = _go()
    done = frame[frame["status"] == "ok"].assign(line=lambda f: sweeps.line_names(f, axis, axes))
    log_x = sweeps.log_spaced(done[axis].dropna())
    numeric = pd.api.types.is_numeric_dtype(done[axis])
    charts = []
    for column, what, log_y in (
        ("test_accuracy", "test accuracy", False),
        ("fit_seconds", "fit seconds", True),
    ):
        figure = go.Figure()
        points = 0
        summary = sweeps.over_seeds(frame, axis, axes, column)
        for n, (line, group) in enumerate(summary.groupby("line", sort=False)):
            fits = done[done["line"] == line].dropna(subset=[column])
            first = fits.iloc[0]
            meta = {"model": str(first["model"]), "dataset": str(first["dataset"])}
            colour = _colour(n)
            x = group[axis] if numeric else group[axis].astype(str)
            if (group["count"] > 1).any():
                figure.add_trace(_band(go, x, group["min"], group["max"], colour, line, meta))
            figure.add_trace(
                go.Scatter(
                    x=list(x),
                    y=group["mean"],
                    mode="lines+markers",
                    name=fitted.get(line, line) if column == "fit_seconds" else line,
                    legendgroup=line,
                    meta=meta,
                    marker={"color": colour, "size": 8, "symbol": "diamond"},
                    line={"color": colour},
                    hovertemplate=f"{line}<br>{axis} %{{x}}<br>mean {what} %{{y:.4g}}"
                    "<extra></extra>",
                )
            )
            seeds = fits["seed"].map(lambda s: "-" if pd.isna(s) else str(int(s)))
            figure.add_trace(
                go.Scatter(
                    x=list(fits[axis] if numeric else fits[axis].astype(str)),
                    y=fits[column],
                    mode="markers",
                    name=f"{line}: every fit",
                    legendgroup=line,
                    showlegend=False,
                    meta=meta,
                    marker={"color": colour, "size": 5, "opacity": 0.55},
                    customdata=np.stack(
                        [
                            fits["label"].astype(str),
                            seeds,
                            fits["test_accuracy"].map("{:.4f}".format),
                            fits["fit_seconds"].map("{:.3g}".format),
                            fits["predict_seconds"].map("{:.3g}".format),
                        ],
                        axis=1,
                    ),
                    hovertemplate="%{customdata[0]}, seed %{customdata[1]}<br>"
                    f"{axis} %{{x}}<br>test accuracy %{{customdata[2]}}<br>fit "
                    "%{customdata[3]} s, predict %{customdata[4]} s<extra></extra>",
                )
            )
            points += len(group) + len(fits)
        title = f"{what} against {axis}" + (" (time ∝ n_train^b)" if fitted and log_y else "")
        _layout(
            figure, title, axis + (" (log)" if log_x else ""), what + (" (log)" if log_y else "")
        )
        if log_x:
            figure.update_xaxes(type="log")
        elif not numeric:
            figure.update_xaxes(type="category")
        if log_y:
            figure.update_yaxes(type="log")
        charts.append(Chart(f"sweep-{number}-{column.replace('_', '-')}", figure, points))
    return charts


def speed_ratios(table: pd.DataFrame) -> Chart:
    """Each ratio a/b of ``speed.csv`` with its 95% interval, log axis, by verdict."""
    go = _go()
    labels = [f"{row.a} / {row.b}" for row in table.itertuples()]
    short = [label if len(label) <= 60 else label[:57] + "..." for label in labels]
    rows = [f"{n + 1}. {text}" for n, text in enumerate(short)]
    colours = [VERDICT_COLOURS.get(v, NO_CHANGE_COLOUR) for v in table["a is"]]
    ratio, low, high = table["ratio a/b"], table["95% CI low"], table["95% CI high"]
    figure = go.Figure(
        go.Scatter(
            x=ratio,
            y=rows,
            mode="markers",
            marker={"color": colours, "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": high - ratio,
                "arrayminus": ratio - low,
                "color": "#374151",
            },
            customdata=np.stack([low, high, table["a is"], table["measurement"]], axis=1),
            hovertemplate="%{y}<br>%{customdata[3]}<br>ratio a/b %{x:.3g} (95% CI "
            "%{customdata[0]:.3g}-%{customdata[1]:.3g}): a is %{customdata[2]}<extra></extra>",
        )
    )
    _layout(
        figure,
        "a's time over b's, with its 95% interval (log)",
        "ratio a/b (log)",
        "",
        height=140 + 36 * len(rows),
    )
    figure.update_xaxes(type="log")
    figure.update_yaxes(autorange="reversed")
    figure.add_vline(x=1, line_dash="dot", line_color="#9ca3af")
    return Chart("speed-ratios", figure, len(rows))
