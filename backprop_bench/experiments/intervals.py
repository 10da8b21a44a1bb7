"""The suite's 95% intervals: of a mean (accuracies over seeds), and of a speed ratio from paired
repeats.

A **speed ratio** compares two things timed in alternation, a then b, once per repeat. Each
repeat gives the ratio a_i / b_i of two timings taken seconds apart, so a slow stretch of a
shared machine that lasts longer than a repeat hits both and cancels in the ratio. The log of
those ratios is averaged: the ratio reported is their geometric mean, and its interval is the
t-interval of the mean log ratio, mapped back by exp. Logs, because timings are positive and
their noise multiplicative (a machine twice as slow doubles both), which makes a log ratio
close to symmetric; t, because a run has few repeats (3 to 30). The interval's coverage is
checked by simulation in the tests, with noise like this machine's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95

FASTER, SLOWER, NO_DIFFERENCE = "faster", "slower", "no detectable difference"

EXACT_UNITS = ("accuracy", "relative difference")
"""Units of the asv suite's tracked values that timing cannot move (asv's ``unit`` of the
benchmark): a change of theirs is the code's, so two commits' values are compared exactly."""


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The t-interval of the mean of ``values`` (at least two): scipy's one-sample t-test's.
    Values all alike have no spread to estimate: the interval is their value."""
    values = np.asarray(values, dtype=float)
    if np.ptp(values) == 0:  # scipy would warn of cancellation and give the same point
        return float(values[0]), float(values[0])
    interval = stats.ttest_1samp(values, 0.0).confidence_interval(confidence_level=confidence)
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class RatioInterval:
    """a / b from ``n`` paired repeats: the geometric mean ``ratio`` and its 95% interval."""

    ratio: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width, relative: exp(half its width in logs) - 1 (0.03: the
        interval is the ratio times or divided by 1.03)."""
        return math.sqrt(self.high / self.low) - 1

    @property
    def verdict(self) -> str:
        """a is ``faster`` (the whole interval below 1), ``slower`` (above 1), or neither."""
        if self.high < 1:
            return FASTER
        return SLOWER if self.low > 1 else NO_DIFFERENCE


def ratio_interval(
    a_times: Sequence[float],
    b_times: Sequence[float],
    confidence: float = CONFIDENCE,
    groups: Sequence[int] | None = None,
) -> RatioInterval:
    """The ratio a / b of paired timings (one pair per repeat, at least two) with its
    interval (see the module).

    ``groups`` names the group of each repeat where repeats come in groups that may each carry
    a bias of their own (``regressions`` measures each commit in several processes, and a
    process's memory layout can make it faster or slower throughout): the log ratios are
    averaged within each group first, and the interval is the t-interval of the groups' means
    (at least two groups, equally many repeats in each), so that it covers the spread between
    groups as well as within them. ``n`` is then the number of groups."""
    logs = np.log(np.asarray(a_times, dtype=float)) - np.log(np.asarray(b_times, dtype=float))
    if groups is not None:
        names = np.asarray(groups)
        keys, sizes = np.unique(names, return_counts=True)
        if len(names) != len(logs) or len(set(sizes.tolist())) > 1:
            raise ValueError(
                "grouped repeats need equally many repeats per group, not "
                f"{dict(zip(keys.tolist(), sizes.tolist(), strict=True))}"
            )
        logs = np.array([logs[names == key].mean() for key in keys])
    if len(logs) < 2:
        raise ValueError(f"a ratio's interval needs at least two paired repeats, not {len(logs)}")
    low, high = t_interval(logs, confidence)
    return RatioInterval(math.exp(float(np.mean(logs))), math.exp(low), math.exp(high), len(logs))
