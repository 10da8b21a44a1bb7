"""Verdicts with known answers: McNemar by hand, interval coverage, reproduction edges."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_bench.experiments.labels import encode_labels
from backprop_bench.reports import verdicts
from tests.backprop_bench.support import fit_record


def disagreeing(b: int, c: int, both: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Correctness arrays where the first alone is right on b images, the second alone on c."""
    first = np.array([True] * b + [False] * c + [True] * both + [False] * 7)
    second = np.array([False] * b + [True] * c + [True] * both + [False] * 7)
    return first, second


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        # two-sided exact binomial on the b + c discordant images, p = 1/2:
        (8, 2, 112 / 1024),  # 2 (C(10,0) + C(10,1) + C(10,2)) / 2^10 = 2 (1 + 10 + 45) / 1024
        (1, 9, 22 / 1024),  # 2 (C(10,0) + C(10,1)) / 2^10
        (0, 5, 2 / 32),  # 2 / 2^5
        (3, 3, 1.0),  # as balanced as can be
        (0, 0, 1.0),  # no disagreement at all
    ],
)
def test_mcnemar_matches_the_values_computed_by_hand(b, c, p):
    test = verdicts.mcnemar(*disagreeing(b, c))
    assert (test.only_first, test.only_second) == (b, c)
    assert test.p_value == pytest.approx(p, rel=1e-12)


def test_the_t_interval_covers_the_true_difference_95_times_in_100():
    rng = np.random.default_rng(0)
    true, draws = 0.004, 4000
    hits = 0
    for _ in range(draws):
        low, high = verdicts.t_interval(rng.normal(true, 0.003, size=5))
        hits += low <= true <= high
    assert hits / draws == pytest.approx(0.95, abs=0.012)


def test_the_t_interval_is_the_textbook_one_at_a_known_point():
    # mean 0.913333, s = 0.015275, t(0.975, 2) = 4.302653: half-width 4.302653 s / √3 = 0.037946
    low, high = verdicts.t_interval([0.90, 0.91, 0.93])
    assert (round(low, 5), round(high, 5)) == (0.87539, 0.95128)
    assert verdicts.t_interval([0.95, 0.95, 0.95]) == (0.95, 0.95)  # no spread: the point


@pytest.mark.parametrize("correct, n", [(9446, 10000), (0, 10), (10, 10), (3, 7), (511, 1000)])
def test_the_wilson_interval_is_its_formula(correct, n):
    z = 1.959963984540054
    p = correct / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert verdicts.wilson_interval(correct, n) == pytest.approx((centre - half, centre + half))


def test_the_paired_proportion_interval_covers_the_true_difference():
    # each image: only the first right with probability 0.03, only the second 0.02
    rng = np.random.default_rng(1)
    n, draws, hits = 10_000, 2000, 0
    for _ in range(draws):
        outcome = rng.choice(3, size=n, p=[0.03, 0.02, 0.95])
        test = verdicts.McNemar(int(np.sum(outcome == 0)), int(np.sum(outcome == 1)), 1.0)
        low, high = verdicts.paired_proportion_interval(test, n)
        hits += low <= 0.01 <= high
    assert hits / draws == pytest.approx(0.95, abs=0.015)


def test_the_wilson_interval_matches_its_formula_at_a_known_point():
    # p = 0.9446, n = 10,000, z = 1.95996: centre (p + z²/2n) / (1 + z²/n) = 0.944429;
    # half-width z √(p (1 − p)/n + z²/4n²) / (1 + z²/n) = 0.004486
    low, high = verdicts.wilson_interval(9446, 10000)
    assert (round(low, 4), round(high, 4)) == (0.9399, 0.9489)


LABELS = np.arange(1000) % 10


def predicting(right: int, seed: int = 0) -> str:
    """Predictions that get the first ``right`` test images right and the rest wrong."""
    predicted = LABELS.copy()
    predicted[right:] = (LABELS[right:] + 1 + seed % 3) % 10
    return encode_labels(predicted)


def record(model: str, seed, right: int, kind: str = "mlp", shift: int = 0):
    return fit_record(
        model=model, kind=kind, seed=seed, n_test=1000, test_accuracy=right / 1000,
        test_predictions=predicting(right, shift),
    )  # fmt: skip


def test_a_network_clearly_better_over_seeds_is_called_more_accurate():
    records = [record("net", s, 950 + s, kind="network") for s in range(5)]
    records += [record("mlp", s, 900, shift=s) for s in range(5)]
    (verdict,) = verdicts.verdicts(records, LABELS)
    assert (verdict.first, verdict.second, verdict.seeds) == ("net", "mlp", (0, 1, 2, 3, 4))
    assert verdict.difference == pytest.approx(0.052)
    assert verdict.significant and verdict.significant_seeds == 5
    assert verdict.sentence().startswith("`net` vs `mlp`: +5.20 points (95% CI +5.")
    assert verdict.sentence().endswith("in 5 of 5 paired fit(s): `net` is more accurate.")


def test_a_deterministic_model_is_paired_with_every_seed_and_a_tie_is_no_difference():
    records = [record("net", s, 900 + (s % 2) * 2 - 1, kind="network") for s in range(4)]
    records.append(record("svc", None, 900, kind="svc"))
    (verdict,) = verdicts.verdicts(records, LABELS)
    assert verdict.seeds == (0, 1, 2, 3) and not verdict.significant
    assert verdict.sentence().endswith("no significant difference.")


def test_one_fit_each_uses_the_test_images():
    records = [record("svc", None, 960, kind="svc"), record("linear", None, 900, kind="linear")]
    (verdict,) = verdicts.verdicts(records, LABELS, pairs=[("svc", "linear")])
    assert verdict.method == "paired proportions over the test images"
    assert verdict.significant and verdict.difference == pytest.approx(0.06)


def test_reproduction_identical_within_sampling_and_different():
    committed = [record("net", 0, 950, kind="network"), record("svc", None, 900, kind="svc")]
    same = [record("net", 0, 950, kind="network"), record("svc", None, 900, kind="svc")]
    found = verdicts.reproduction(same, committed, LABELS)
    assert [(r.model, r.verdict) for r in found] == [("net", "identical"), ("svc", "identical")]

    few = [record("net", 0, 947, kind="network"), record("svc", None, 400, kind="svc")]
    found = {r.model: r for r in verdicts.reproduction(few, committed, LABELS)}
    assert found["net"].verdict == "reproduced within sampling"
    assert found["net"].detail.startswith("3 of 1,000 predictions differ; accuracy change -0.0030")
    assert found["svc"].verdict == "differs"

    other = [fit_record(**{**record("net", 0, 950, kind="network").to_dict(), "n_train": 5})]
    (result,) = verdicts.reproduction(other, committed, LABELS)
    assert (result.verdict, result.detail) == ("not comparable", "the settings differ")
    (result,) = verdicts.reproduction([record("net", 7, 950, kind="network")], committed, LABELS)
    assert result.verdict == "not comparable" and "no committed fit for [7]" in result.detail


def test_environment_differences_name_cpu_blas_kernel_threads_and_versions():
    def session(cpu, kernel, threads, numpy):
        blas = [{"user_api": "blas", "internal_api": "openblas", "version": "0.3.30",
                 "architecture": kernel, "num_threads": 2}]  # fmt: skip
        return {
            "jobs": 2, "blas_threads_per_job": threads,
            "environment": {"cpu": cpu, "blas": blas, "versions": {"numpy": numpy}},
        }  # fmt: skip

    old, new = session("Intel Xeon", "SkylakeX", 1, "2.3"), session("AMD EPYC", "Haswell", 2, "2.4")
    assert verdicts.environment_differences(old, new) == [
        "CPU: Intel Xeon -> AMD EPYC",
        "BLAS: BLAS openblas 0.3.30 (SkylakeX kernel) -> BLAS openblas 0.3.30 (Haswell kernel)",
        "BLAS threads per fit: 1 -> 2",
        "numpy: 2.3 -> 2.4",
    ]
    assert verdicts.environment_differences(old, old) == []
