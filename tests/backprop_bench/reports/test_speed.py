"""The speed report: each ratio the geometric mean of the repeats' own, with its 95% interval,
its half-width and a verdict, in the table and in the sentences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from backprop_bench.experiments.records import Header, SideBySide
from backprop_bench.reports.speed import speed_summary, speed_table


def test_a_ratio_is_the_geometric_mean_of_the_repeats_own_with_its_interval():
    pair = SideBySide("m", "a", (3.0, 1.0, 2.0), "b", (10.0, 4.0, 100.0))
    assert pair.ratios == (0.3, 0.25, 0.02)
    assert pair.ratio == pytest.approx((0.3 * 0.25 * 0.02) ** (1 / 3))
    logs = [math.log(r) for r in pair.ratios]
    mean, sem = sum(logs) / 3, stats.sem(logs)
    margin = stats.t.ppf(0.975, 2) * sem  # the textbook t-interval, in logs
    found = pair.interval
    assert (found.low, found.high) == pytest.approx(
        (math.exp(mean - margin), math.exp(mean + margin))
    )
    assert found.half_width == pytest.approx(math.exp(margin) - 1)
    assert (pair.a_seconds, pair.b_seconds) == (2.0, 10.0)
    table = speed_table([pair])
    row = table.iloc[0]
    assert (row["ratio min"], row["ratio max"], row["repeats"]) == (0.02, 0.3, 3)
    assert (row["95% CI low"], row["95% CI high"]) == (round(found.low, 3), round(found.high, 3))
    assert row["a is"] == "no detectable difference"  # the interval spans 1


def header() -> Header:
    return Header("2026-12-06 12:00", "repeated until ...", "mnist", "a machine", 0.03)


def test_each_sentence_says_the_interval_and_the_verdict():
    faster = SideBySide("train", "network", (5.5, 5.6, 5.4), "MLP", (10.0, 10.1, 9.9), "mlp")
    evaluated = SideBySide(
        "train", "network+", (9.5, 10.6, 11.0), "MLP", (10.0, 10.1, 9.9), "mlp, evaluated"
    )
    single = SideBySide("train", "f32", (4.0, 4.1, 4.0), "f64", (5.5, 5.6, 5.4), "float32")
    text = speed_summary([faster, evaluated, single], header())
    assert "the network took 0.55 (95% CI 0.54-0.56) of MLPClassifier's time" in text
    assert "training only): faster; " in text
    assert "after every epoch: no detectable difference." in text
    assert "float32 is faster." in text
    assert "2 of 3 intervals came within ±3%" in text


def test_the_interval_covers_the_true_ratio_95_times_in_100():
    """Paired repeats on a machine whose speed drifts by up to 1.8x between repeats (both
    contestants of a repeat see the same speed) with 3% noise of their own: the interval of 5
    repeats covers the true ratio about 95% of the time."""
    rng = np.random.default_rng(0)
    true, trials, covered = 0.55, 4000, 0
    for _ in range(trials):
        machine = rng.choice([1.0, 1.8], size=5)  # the machine's two modes
        a = true * machine * rng.lognormal(0, 0.03, size=5)
        b = machine * rng.lognormal(0, 0.03, size=5)
        found = SideBySide("m", "a", tuple(a), "b", tuple(b)).interval
        covered += found.low <= true <= found.high
    assert 0.94 <= covered / trials <= 0.96
