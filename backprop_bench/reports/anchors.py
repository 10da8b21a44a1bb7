"""Anchors against the suite's runs: our interval, the published figure, a verdict.

The rule (stated in the table's caption too): our 95% interval of the mean test accuracy -- a
t-interval over seeds, or for a single fit a Wilson interval over the test images -- either
holds the published figure (**matches**), lies wholly above it (**above**) or wholly below it
(**below**). A figure on the interval's edge matches. Each run counts at the statistic its
source reported: its final epoch, or its best.

A figure its source reports as the best of N runs is held against the distribution of the best
of N of ours (``best_of_distribution``): the maximum of N of our runs drawn with replacement,
every draw counted (the limit of resampling them, computed exactly). Ours is then that
distribution's median with its central 95% range, the verdict the same rule on that range, and
the table adds where the published figure falls in it (a percentile) and how many of our runs
reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from backprop_bench.errors import BenchError
from backprop_bench.experiments.intervals import t_interval
from backprop_bench.experiments.records import BEST_EPOCH, FINAL, FitRecord
from backprop_bench.reports.verdicts import wilson_interval

CAPTION = (
    "Each published figure against the suite's own run of the nearest experiment it can run. "
    "Ours is the mean test accuracy over the seeds, each run taken as 'ours at' says (a "
    "network's final epoch unless its source reported another), with its 95% interval: a "
    "t-interval over seeds, or for a single fit a Wilson interval over the test images. "
    "Verdict: **matches** when the interval holds the published figure (its edges included), "
    "**above** or **below** when the whole interval lies above or below it. "
    "'best epoch' is the mean over seeds of each run's best test accuracy over its epochs, the "
    "statistic some sources report; where the source reported it, each run counts at its best "
    "epoch. A figure reported as the best of N runs is held against the best of N of ours: the "
    "best of N of our runs drawn with replacement, every draw counted (resampling, computed "
    "exactly); ours is that distribution's median and its central 95% range, with the same "
    "verdict rule on that range, the percentile at which the published figure falls in it, and "
    "how many of our runs reach the figure."
)


FIGURE = ("source", "what was published", "published")  # one published figure, however run


def anchor_verdict(published: float, low: float, high: float) -> str:
    """matches / above / below: where our interval [low, high] lies against ``published``."""
    if low > published:
        return "above"
    if high < published:
        return "below"
    return "matches"


def interval(fits: Sequence[FitRecord], statistic: str = FINAL) -> tuple[float, float, float]:
    """(mean, low, high) of ``fits``' test accuracy at ``statistic`` (``run_values``): a
    t-interval over seeds, or a Wilson interval over the test images of a single fit."""
    accuracies = run_values(fits, statistic)
    if len(fits) > 1:
        low, high = t_interval(accuracies)
    else:
        n = fits[0].n_test
        low, high = wilson_interval(round(accuracies[0] * n), n)
    return float(np.mean(accuracies)), low, high


def run_values(fits: Sequence[FitRecord], statistic: str) -> list[float]:
    """Each fit's test accuracy at ``statistic`` (``FitRecord.accuracy_at``)."""
    return [fit.accuracy_at(statistic) for fit in fits]


def best_epoch(fits: Sequence[FitRecord]) -> float | None:
    """The mean over ``fits`` of each one's best per-epoch test accuracy (None: no history)."""
    if not fits or not all(fit.history for fit in fits):
        return None
    return float(np.mean(run_values(fits, BEST_EPOCH)))


def best_of_distribution(values: Sequence[float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The distribution of the best of ``n`` of ``values`` drawn with replacement: its support
    (the distinct values, ascending) and each one's probability.

    Every one of the ``len(values) ** n`` equally likely draws counted, so this is what
    resampling ``n`` of our runs estimates, without its noise: the best of ``n`` is at most
    ``v`` with probability ``F(v) ** n``, ``F`` the share of values at most ``v``.
    """
    support, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
    cdf = (np.cumsum(counts) / counts.sum()) ** n
    return support, np.diff(cdf, prepend=0.0)


def best_of_quantile(values: Sequence[float], n: int, q: float) -> float:
    """The ``q`` quantile (0..1) of the best of ``n`` of ``values``: the smallest value whose
    cumulative probability reaches ``q``."""
    support, probability = best_of_distribution(values, n)
    cdf = np.cumsum(probability)
    return float(support[np.searchsorted(cdf, q - 1e-12)])


def best_of_percentile(published: float, values: Sequence[float], n: int) -> float:
    """Where ``published`` falls in the best of ``n`` of ``values``, in percent: the chance that
    the best of ``n`` lies below it, plus half the chance that it equals it."""
    support, probability = best_of_distribution(values, n)
    below = probability[support < published].sum()
    equal = probability[support == published].sum()
    return float(100 * (below + equal / 2))


def statistic_name(anchor) -> str:
    """How ours is taken, in the table's words: "final epoch", "best epoch, best of 3 runs"."""
    name = "best epoch" if anchor.statistic == BEST_EPOCH else "final epoch"
    return f"{name}, best of {anchor.best_of} runs" if anchor.best_of > 1 else name


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
            if anchor.best_of > 1:
                values = run_values(fits, anchor.statistic)
                ours = best_of_quantile(values, anchor.best_of, 0.5)
                low = best_of_quantile(values, anchor.best_of, 0.025)
                high = best_of_quantile(values, anchor.best_of, 0.975)
                row.update(
                    percentile=best_of_percentile(anchor.accuracy, values, anchor.best_of),
                    reached=sum(value >= anchor.accuracy for value in values),
                )
            else:
                ours, low, high = interval(fits, anchor.statistic)
            row.update(
                statistic=statistic_name(anchor),
                ours=ours,
                ci_low=low,
                ci_high=high,
                fits=len(fits),
                best_epoch=best_epoch(fits),
                verdict=anchor_verdict(anchor.accuracy, low, high),
                conditions=anchor.differences,
            )
        rows.append(row)
    columns = [
        "anchor", "dataset", "published", "statistic", "ours", "ci_low", "ci_high", "fits",
        "best_epoch", "percentile", "reached", "verdict", "source", "what was published",
        "conditions",
    ]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=columns)


def anchors_markdown(table: pd.DataFrame, machine: str) -> str:
    """The table as Markdown under its caption (the rule) and the machine that ran it."""

    def number(value) -> str:
        return "" if value is None or pd.isna(value) else f"{value:.4f}"

    def count(value, fits) -> str:
        return "" if pd.isna(value) else f"{int(value)} of {int(fits)}"

    shown = pd.DataFrame(
        {
            "anchor": table["anchor"],
            "dataset": table["dataset"],
            "published": table["published"].map(number),
            "ours at": table["statistic"].fillna(""),
            "ours (95% interval)": [
                ""
                if pd.isna(mean)
                else f"{mean:.4f} ({low:.4f}-{high:.4f}), {int(fits)} fit{'s' * (fits > 1)}"
                for mean, low, high, fits in zip(
                    table["ours"], table["ci_low"], table["ci_high"], table["fits"], strict=True
                )
            ],
            "best epoch": table["best_epoch"].map(number),
            "published at percentile": table["percentile"].map(
                lambda value: "" if pd.isna(value) else f"{value:.0f}"
            ),
            "runs reaching it": [
                count(value, fits)
                for value, fits in zip(table["reached"], table["fits"], strict=True)
            ],
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
    figures = len(table.drop_duplicates([c for c in FIGURE if c in table]))
    rows = "" if figures == len(table) else f" in {len(table)} rows (some run two ways)"
    text = (
        f"Against {figures} published figures{rows} ([{link}]({link})): of the {len(run)} "
        f"the suite runs, {', '.join(parts) or 'none finished'}"
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
    best_of = run[run["percentile"].notna()] if "percentile" in run else run.iloc[:0]
    for _, row in best_of.iterrows():
        text += (
            f" `{row['anchor']}` is reported at its {row['statistic']}; ours, taken the same "
            f"way, has median {row['ours']:.4f} (95% of it {row['ci_low']:.4f}-"
            f"{row['ci_high']:.4f}): {row['published']:.4f} falls at its "
            f"{ordinal(row['percentile'])} percentile, and {int(row['reached'])} of our "
            f"{int(row['fits'])} runs reach it."
        )
    return text + "\n"


def ordinal(percent: float) -> str:
    """47.6 -> "48th", 1 -> "1st", 12 -> "12th", 22 -> "22nd"."""
    n = round(percent)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


ANCHORS_CSV = "anchors.csv"


def read_anchors(folder: Path) -> pd.DataFrame:
    """``folder``'s anchors.csv, checked: readable, with the columns its summary reads; a
    ``BenchError`` names the file and what is wrong."""
    path = folder / ANCHORS_CSV
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: not a readable table ({error})") from None
    needed = ("anchor", "dataset", "published", "ours", "ci_low", "ci_high", "verdict")
    missing = [column for column in needed if column not in table]
    if missing:
        raise BenchError(f"{path}: no column {missing[0]!r}")
    return table


def readme_block(folder: Path) -> str | None:
    """The README's anchors block: the summary of ``folder``'s anchors.csv (links relative to
    ``folder``); ``None`` when it has none."""
    if not (folder / ANCHORS_CSV).is_file():
        return None
    return anchors_summary(read_anchors(folder), "anchors.md")
