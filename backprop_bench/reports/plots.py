"""Fit records -> PNG figures (matplotlib, Agg backend: no display needed).

- ``learning_curves``: test accuracy per epoch of the iterative models (the network, the MLP),
  every seed a thin line and the mean over seeds a thick one; models fitted in one shot (SVMs,
  logistic regression) as horizontal lines at their test accuracy.
- ``accuracy_vs_fit_time``: every fit's test accuracy against its fit time, log time axis.
- ``confusion_matrices``: the network's and the best other model's confusion matrices, each for
  its median seed, shaded by the fraction of each true class.

Each function takes records and a path and writes the figure atomically.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from backprop_bench.experiments.records import FitRecord
from backprop_bench.files import atomic_write_bytes

Record = FitRecord


def _ok(records: Sequence[Record]) -> list[Record]:
    return [r for r in records if r.ok]


def _colours(models: Sequence[str]) -> dict[str, Any]:
    palette = plt.get_cmap("tab10").colors
    return {model: palette[i % len(palette)] for i, model in enumerate(models)}


def _models(records: Sequence[Record]) -> list[str]:
    return list(dict.fromkeys(r.model for r in records))


def legend(axes: plt.Axes) -> None:
    """A legend, or a note that nothing finished (a figure of failed or skipped models only)."""
    if axes.get_legend_handles_labels()[0]:  # outside, on the right: never over the data
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        axes.text(0.5, 0.5, "no finished fits", ha="center", transform=axes.transAxes)


def save_png(figure: plt.Figure, path: str | os.PathLike, dpi: int = 120) -> None:
    """Write ``figure`` as a PNG atomically, and close it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())


def learning_curves(records: Sequence[Record], path: str | os.PathLike, title: str = "") -> None:
    """Test accuracy per epoch (iterative models) with one-shot models as horizontal lines."""
    done = _ok(records)
    colours = _colours(_models(records))
    figure, axes = plt.subplots(figsize=(8, 5))
    lowest, highest = [], []
    for model in _models(done):
        fits = [r for r in done if r.model == model]
        if fits[0].history:
            curves = [[e["test_accuracy"] for e in r.history] for r in fits]
            epochs = [e["epoch"] for e in fits[0].history]
            for curve in curves:
                axes.plot(epochs, curve, color=colours[model], linewidth=0.7, alpha=0.5)
            if len({len(c) for c in curves}) == 1:
                mean = np.mean(curves, axis=0)
                label = f"{model} (mean of {len(curves)} seeds; thin lines: each seed)"
                axes.plot(epochs, mean, color=colours[model], linewidth=2.2, label=label)
            lowest.append(min(min(c) for c in curves))
            highest.append(max(max(c) for c in curves))
        else:
            accuracy = float(np.mean([r.test_accuracy for r in fits]))
            label = f"{model} ({accuracy:.4f})"
            axes.axhline(accuracy, color=colours[model], linestyle="--", linewidth=1.4, label=label)
            lowest.append(accuracy)
            highest.append(accuracy)
    if lowest:  # the early epochs can sit far below the rest: keep the interesting band visible
        top = max(highest)
        axes.set_ylim(max(min(lowest), top - 0.15) - 0.005, min(1.0, top + 0.01))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel("test accuracy")
    axes.set_title(title or "Test accuracy per epoch")
    axes.grid(True, alpha=0.3)
    legend(axes)
    save_png(figure, path)


def accuracy_vs_fit_time(
    records: Sequence[Record], path: str | os.PathLike, title: str = ""
) -> None:
    """Each fit's test accuracy against its fit seconds (log scale), one colour per model."""
    done = _ok(records)
    colours = _colours(_models(records))
    figure, axes = plt.subplots(figsize=(8, 5))
    for model in _models(done):
        fits = [r for r in done if r.model == model]
        seconds = [r.fit_seconds for r in fits]
        accuracy = [r.test_accuracy for r in fits]
        axes.scatter(seconds, accuracy, color=colours[model], label=model, s=36, alpha=0.8)
        where = (float(np.median(seconds)), float(np.max(accuracy)))
        axes.annotate(model, where, textcoords="offset points", xytext=(4, 6), fontsize="small")
    axes.set_xscale("log")
    axes.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))  # label 1, 2, 5, 10, 20, ...
    for formatter in (axes.xaxis.set_major_formatter, axes.xaxis.set_minor_formatter):
        formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.set_xlabel("fit time (s, log scale; excludes per-epoch evaluation)")
    axes.set_ylabel("test accuracy")
    axes.set_title(title or "Test accuracy against fit time (each point one fit)")
    axes.grid(True, which="both", alpha=0.3)
    legend(axes)
    save_png(figure, path)


def median_fit(fits: Sequence[Record]) -> Record:
    """The fit whose test accuracy is the median of ``fits`` (the lower middle for even counts)."""
    ordered = sorted(fits, key=lambda r: (r.test_accuracy, r.seed or 0))
    return ordered[(len(ordered) - 1) // 2]


def confusion_matrices(
    records: Sequence[Record], network: str | None, path: str | os.PathLike
) -> list[str]:
    """The confusion matrices of ``network`` and of the best other model (mean test accuracy).

    Returns the models shown. Cells show counts, shaded by the fraction of the true class.
    """
    done = _ok(records)
    mean = {
        model: np.mean([r.test_accuracy for r in done if r.model == model])
        for model in _models(done)
    }
    shown = [network] if network in mean else []
    others = sorted((m for m in mean if m not in shown), key=lambda m: -mean[m])
    shown += others[: 2 - len(shown)]
    if not shown:
        return []
    figure, axes = plt.subplots(1, len(shown), figsize=(6.2 * len(shown), 5.6), squeeze=False)
    for axis, model in zip(axes[0], shown, strict=True):
        fit = median_fit([r for r in done if r.model == model])
        _confusion(axis, np.asarray(fit.confusion_matrix))
        seed = "" if fit.seed is None else f", seed {fit.seed} (median)"
        best = " (best mean)" if mean[model] == max(mean.values()) else ""
        title = f"{model}{seed}: test accuracy {fit.test_accuracy:.4f}{best}"
        axis.set_title(title, fontsize="medium")
    save_png(figure, path)
    return shown


def _confusion(axis: plt.Axes, matrix: np.ndarray) -> None:
    fraction = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    axis.imshow(fraction, cmap="Blues", vmin=0, vmax=1)
    n = len(matrix)
    for true in range(n):
        for predicted in range(n):
            count = matrix[true, predicted]
            if count:
                colour = "white" if fraction[true, predicted] > 0.5 else "black"
                axis.text(
                    predicted, true, count, ha="center", va="center", fontsize=7, color=colour
                )
    axis.set_xticks(range(n))
    axis.set_yticks(range(n))
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
