"""Anchors against the suite's runs: our interval, the published figure, a verdict.

The rule (stated in the table's caption too): our 95% interval of the mean test accuracy -- a
t-interval over seeds, or for a single fit a Wilson interval over the test images -- either
holds the published figure (**matches**), lies wholly above it (**above**) or wholly below it
(**below**). A figure on the interval's edge matches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from backprop_bench.experiments.records import FitRecord
from backprop_bench.reports.verdicts import t_interval, wilson_interval

CAPTION = (
    "Each published figure against the suite's own run of the nearest experiment it can run. "
    "Ours is the mean test accuracy over the seeds (the final epoch for networks) with its 95% "
    "interval: a t-interval over seeds, or for a single fit a Wilson interval over the test "
    "images. Verdict: **matches** when the interval holds the published figure (its edges "
    "included), **above** or **below** when the whole interval lies above or below it. "
    "'best epoch' is the mean over seeds of each run's best test accuracy over its epochs, the "
    "statistic some sources report."
)


def anchor_verdict(published: float, low: float, high: float) -> str:
    """matches / above / below: where our interval [low, high] lies against ``published``."""
    if low > published:
        return "above"
    if high < published:
        return "below"
    return "matches"


def interval(fits: Sequence[FitRecord]) -> tuple[float, float, float]:
    """(mean, low, high) of the test accuracy of ``fits``: over seeds, or over test images."""
    accuracies = [fit.test_accuracy for fit in fits]
    if len(fits) > 1:
        low, high = t_interval(accuracies)
    else:
        n = fits[0].n_test
        low, high = wilson_interval(round(accuracies[0] * n), n)
    return float(np.mean(accuracies)), low, high


def best_epoch(fits: Sequence[FitRecord]) -> float | None:
    """The mean over ``fits`` of each one's best per-epoch test accuracy (None: no history)."""
    best = [max(e["test_accuracy"] for e in fit.history) for fit in fits if fit.history]
    return float(np.mean(best)) if best and len(best) == len(fits) else None


def anchors_table(anchors: Sequence) -> pd.DataFrame:
    """One row per anchor (``experiments.anchors.Anchor`` with their ``records``)."""
    rows = []
    for anchor in anchors:
        row = {
            "anchor": anchor.id,
            "dataset": anchor.dataset,
            "published": anchor.accuracy,
            "source": anchor.source,
            "what was published": anchor.published,
        }
        fits = [r for r in anchor.records if r.ok]
        if anchor.run is None:
            row.update(verdict="not run", conditions=anchor.not_run)
        elif not fits:
            reasons = sorted({r.reason or r.status for r in anchor.records}) or ["no fit"]
            row.update(verdict="did not finish", conditions="; ".join(reasons))
        else:
            mean, low, high = interval(fits)
            row.update(
                ours=mean,
                ci_low=low,
                ci_high=high,
                fits=len(fits),
                best_epoch=best_epoch(fits),
                verdict=anchor_verdict(anchor.accuracy, low, high),
                conditions=anchor.differences,
            )
        rows.append(row)
    columns = [
        "anchor", "dataset", "published", "ours", "ci_low", "ci_high", "fits", "best_epoch",
        "verdict", "source", "what was published", "conditions",
    ]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=columns)


def anchors_markdown(table: pd.DataFrame, machine: str) -> str:
    """The table as Markdown under its caption (the rule) and the machine that ran it."""

    def number(value) -> str:
        return "" if value is None or pd.isna(value) else f"{value:.4f}"

    shown = pd.DataFrame(
        {
            "anchor": table["anchor"],
            "dataset": table["dataset"],
            "published": table["published"].map(number),
            "ours (95% CI)": [
                ""
                if pd.isna(mean)
                else f"{mean:.4f} ({low:.4f}-{high:.4f}), {int(fits)} fit{'s' * (fits > 1)}"
                for mean, low, high, fits in zip(
                    table["ours"], table["ci_low"], table["ci_high"], table["fits"], strict=True
                )
            ],
            "best epoch": table["best_epoch"].map(number),
            "verdict": table["verdict"],
            "conditions that differ": table["conditions"],
        }
    )
    body = shown.to_markdown(index=False)
    sources = "\n".join(
        f"- `{row['anchor']}`: {row['source']}: {row['what was published']}."
        for _, row in table.iterrows()
    )
    return f"{CAPTION} {machine}\n\n{body}\n\nSources:\n\n{sources}\n"


def anchors_summary(table: pd.DataFrame, link: str) -> str:
    """A few sentences for the README: how many published figures our runs match, and which
    do not."""
    counts = table["verdict"].value_counts()
    run = table[table["verdict"].isin(["matches", "above", "below"])]
    parts = [f"{counts.get(v, 0)} {v}" for v in ("matches", "above", "below") if counts.get(v)]
    text = (
        f"Against {len(table)} published figures ([{link}]({link})): of the {len(run)} the "
        f"suite runs, {', '.join(parts) or 'none finished'}"
    )
    if counts.get("not run"):
        text += f"; {counts['not run']} not run (the table says why)"
    text += "."
    off = run[run["verdict"] != "matches"]
    if not off.empty:
        text += (
            " Not matching: "
            + "; ".join(
                f"`{row['anchor']}` {row['published']:.4f}, ours {row['ours']:.4f} "
                f"({row['ci_low']:.4f}-{row['ci_high']:.4f}): {row['verdict']}"
                for _, row in off.iterrows()
            )
            + "."
        )
    return text + "\n"
