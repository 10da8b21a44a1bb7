"""The speed report: each ratio the median of the repeats' own, with its spread."""

from __future__ import annotations

import pytest

from backprop_bench.experiments.records import SideBySide
from backprop_bench.reports.speed import speed_table


def test_a_ratio_is_the_median_of_the_repeats_own_ratios_with_its_spread():
    pair = SideBySide("m", "a", (3.0, 1.0, 2.0), "b", (10.0, 4.0, 100.0))
    assert pair.ratios == (0.3, 0.25, 0.02)
    assert pair.ratio == pytest.approx(0.25)
    assert (pair.a_seconds, pair.b_seconds) == (2.0, 10.0)
    table = speed_table([pair])
    assert (table["ratio min"][0], table["ratio a/b"][0], table["ratio max"][0]) == (
        0.02,
        0.25,
        0.3,
    )
