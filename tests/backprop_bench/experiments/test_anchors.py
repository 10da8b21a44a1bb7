"""Anchors: the published figures load, every runnable one plans, the verdict rule's edges."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from backprop_bench.errors import BenchError
from backprop_bench.experiments import anchors, planning
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import RunOptions
from backprop_bench.reports.anchors import (
    anchor_verdict,
    anchors_markdown,
    anchors_table,
    best_of_distribution,
    best_of_percentile,
    best_of_quantile,
    ordinal,
    run_values,
)


def test_article_000s_figures_are_read_from_its_anchors():
    """The README quotes them beside the MNIST comparison; anchors.json is their one home."""
    assert anchors.reported_by() == {("mnist", "mnist-000"): 0.9451, ("mnist", "svc-000"): 0.9446}
    assert anchors.reported_by("no-such-article") == {}


def test_the_published_figures_load_and_every_runnable_one_plans():
    found = anchors.load_anchors()
    ids = [anchor.id for anchor in found]
    assert len(ids) == len(set(ids)) >= 10
    figures = {anchor.id: anchor.accuracy for anchor in found}
    assert figures["article-000-network"] == 0.9451 and figures["article-000-svc"] == 0.9446
    assert figures["nielsen-784-30-10"] == 0.9542 and figures["lecun-svm-gaussian"] == 0.986
    for anchor in found:
        assert anchor.source and anchor.published
        if anchor.run is None:
            assert anchor.not_run  # says why
            continue
        spec = anchor.spec()
        assert spec.name == anchor.id
        planning.plan(anchor.dataset, [spec], seeds=anchor.run.seeds, **anchor.run.data())
    by_id = {anchor.id: anchor for anchor in found}
    for nielsen in ("nielsen-784-30-10", "nielsen-784-100-10"):  # the book's own statistic, data
        anchor = by_id[nielsen]
        assert (anchor.statistic, anchor.best_of) == ("best_epoch", 3)
        assert len(anchor.run.seeds) >= 10 and anchor.run.data()["train_subset"] == "first"
    fan_in = by_id["lecun-2-layer-300-fan-in"].spec().build(0)
    assert fan_in.initialiser == "normal_fan_in" and fan_in.hidden_layer_sizes == (300,)
    assert by_id["lecun-2-layer-300"].spec().build(0).initialiser == "standard_normal"
    for mlp in ("fashion-paper-mlp-fashion", "fashion-paper-mlp-mnist"):
        assert by_id[mlp].run.model == "mlp-defaults" and by_id[mlp].run.standardise
    nielsen = next(a for a in found if a.id == "nielsen-784-30-10").spec().build(0, 50000)
    assert (nielsen.hidden_layer_sizes, nielsen.batch_size, nielsen.learning_rate) == (
        (30,),
        10,
        3.0,
    )
    assert (nielsen.reduction, nielsen.epochs, nielsen.cost) == ("mean", 30, "quadratic")


def test_a_malformed_anchors_file_is_one_line_naming_the_entry(tmp_path):
    path = tmp_path / "anchors.json"
    path.write_text(json.dumps([{"id": "x", "run": None}]))
    with pytest.raises(BenchError, match=r"anchors.json: anchor 1 is malformed"):
        anchors.load_anchors(path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"statistic": "median"}, r"statistic 'median' is not one of final, best_epoch"),
        ({"best_of": 0}, r"best_of 0 is not a number of runs"),
        ({"best_of": 3}, r"a best-of-3 figure needs at least 10 seeds .* it has 2"),
        ({"run": {"model": "linear", "seeds": [0], "train_subset": "x"}}, r"train_subset='x'"),
    ],
)
def test_an_anchor_that_cannot_be_held_against_our_runs_is_refused(tmp_path, change, problem):
    entry = {
        "id": "x", "source": "s", "dataset": "digits", "accuracy": 0.9, "published": "p",
        "run": {"model": "mnist-000", "seeds": [0, 1]},
    } | change  # fmt: skip
    path = tmp_path / "anchors.json"
    path.write_text(json.dumps([entry]))
    with pytest.raises(BenchError, match=r"anchors.json: anchor 1 is malformed \(" + problem):
        anchors.load_anchors(path)


PLANTED = [0.90, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99]


def test_the_best_of_three_of_a_planted_distribution_as_computed_by_hand():
    # the best of 3 of these 10 runs is at most the k-th smallest with probability (k/10)^3
    support, probability = best_of_distribution(PLANTED, 3)
    assert np.allclose(support, PLANTED)
    assert np.allclose(np.cumsum(probability), [(k / 10) ** 3 for k in range(1, 11)])
    assert best_of_quantile(PLANTED, 3, 0.5) == 0.97  # 0.7^3 = 0.343 < 0.5 <= 0.8^3 = 0.512
    assert best_of_quantile(PLANTED, 3, 0.025) == 0.92  # 0.2^3 = 0.008 < 0.025 <= 0.027
    assert best_of_quantile(PLANTED, 3, 0.975) == 0.99  # 0.9^3 = 0.729
    assert best_of_percentile(0.955, PLANTED, 3) == pytest.approx(100 * 0.6**3)
    # a figure equal to one of ours counts half its probability: 0.216 + (0.343 - 0.216) / 2
    assert best_of_percentile(0.96, PLANTED, 3) == pytest.approx(100 * (0.216 + 0.127 / 2))
    assert best_of_quantile(PLANTED, 1, 0.5) == 0.94  # the best of one run is one run
    assert best_of_quantile([0.9, 0.9, 0.8], 2, 0.5) == 0.9  # ties are one value


def test_the_exact_best_of_n_is_what_resampling_our_runs_estimates():
    rng = np.random.default_rng(0)
    values = rng.normal(0.95, 0.01, size=12)
    draws = rng.choice(values, size=(200_000, 3)).max(axis=1)
    for q in (0.025, 0.25, 0.5, 0.75, 0.975):
        exact = best_of_quantile(values, 3, q)
        assert abs(np.mean(draws <= exact) - np.searchsorted(np.sort(values), exact, "right") ** 3
                   / 12**3) < 0.01  # fmt: skip
    published = float(np.median(values))
    assert best_of_percentile(published, values, 3) == pytest.approx(
        100 * (np.mean(draws < published) + np.mean(draws == published) / 2), abs=0.5
    )


def test_ordinals():
    assert [ordinal(x) for x in (1, 2, 3, 4, 11, 12, 13, 21.6, 22, 100)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "22nd", "22nd", "100th",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("published", "low", "high", "verdict"),
    [
        (0.95, 0.94, 0.96, "matches"),
        (0.94, 0.94, 0.96, "matches"),  # on the lower edge
        (0.96, 0.94, 0.96, "matches"),  # on the upper edge
        (0.9399, 0.94, 0.96, "above"),  # just below our interval: we are above it
        (0.9601, 0.94, 0.96, "below"),
    ],
)
def test_the_anchor_verdict_rule_at_its_edges(published, low, high, verdict):
    assert anchor_verdict(published, low, high) == verdict


def test_anchors_run_through_the_comparison_and_get_a_verdict(tmp_path):
    digits = [
        {
            "id": "digits-linear", "source": "a test", "dataset": "digits", "accuracy": 0.5,
            "published": "a low figure", "differences": "none",
            "run": {"model": "linear", "params": {"C": 0.5}, "seeds": [0]},
        },
        {
            "id": "digits-net", "source": "a test", "dataset": "digits", "accuracy": 0.99999,
            "published": "an impossible figure", "differences": "fewer epochs",
            "run": {"model": "mnist-000", "params": {"epochs": 3}, "seeds": [0, 1, 2, 3, 4]},
        },
        {
            "id": "digits-best-of", "source": "a test", "dataset": "digits", "accuracy": 0.9,
            "published": "the best epoch of the best of 3", "differences": "fewer epochs",
            "statistic": "best_epoch", "best_of": 3,
            "run": {"model": "mnist-000", "params": {"epochs": 3, "hidden_layer_sizes": [8]},
                    "seeds": list(range(10)), "n_train": 1000, "train_subset": "first"},
        },
        {
            "id": "too-long", "source": "a test", "dataset": "digits", "accuracy": 0.9,
            "published": "a figure", "run": None, "not_run": "too long for 2 cores",
        },
    ]  # fmt: skip
    path = tmp_path / "anchors.json"
    path.write_text(json.dumps(digits))
    chosen = anchors.load_anchors(path)
    options = RunOptions(cache=FitCache(tmp_path / "runs"), isolate=False)
    with_records, _ = anchors.run_anchors(chosen, options)
    table = anchors_table(with_records).set_index("anchor")
    assert table.loc["digits-linear", "verdict"] == "above"
    assert table.loc["digits-net", "verdict"] == "below"
    assert table.loc["digits-net", "fits"] == 5 and table.loc["digits-net", "best_epoch"] > 0
    assert table.loc["too-long", "verdict"] == "not run"
    best_of = next(a for a in with_records if a.id == "digits-best-of")
    assert {r.train_subset for r in best_of.records} == {"first"}
    assert {r.n_train for r in best_of.records} == {1000}
    values = run_values(best_of.records, "best_epoch")
    assert values == [max(e["test_accuracy"] for e in r.history) for r in best_of.records]
    row = table.loc["digits-best-of"]
    assert row["statistic"] == "best epoch, best of 3 runs" and row["fits"] == 10
    assert row["ours"] == best_of_quantile(values, 3, 0.5)
    assert (row["ci_low"], row["ci_high"]) == (
        best_of_quantile(values, 3, 0.025), best_of_quantile(values, 3, 0.975)
    )  # fmt: skip
    assert row["percentile"] == best_of_percentile(0.9, values, 3)
    assert row["reached"] == sum(v >= 0.9 for v in values)
    assert row["verdict"] == anchor_verdict(0.9, row["ci_low"], row["ci_high"])
    assert pd.isna(table.loc["digits-linear", "percentile"])
    markdown = anchors_markdown(anchors_table(with_records), "Machine: a test.")
    assert "**matches** when the interval holds the published figure" in markdown
    assert "| too-long" in markdown and "too long for 2 cores" in markdown


def test_the_readme_summary_counts_the_verdicts_and_names_the_misses():
    from backprop_bench.reports.anchors import anchors_summary

    table = pd.DataFrame(
        {
            "anchor": ["a", "b", "c"], "verdict": ["matches", "below", "not run"],
            "published": [0.95, 0.96, 0.9], "ours": [0.95, 0.94, None],
            "ci_low": [0.94, 0.93, None], "ci_high": [0.96, 0.95, None],
        }
    )  # fmt: skip
    text = anchors_summary(table, "results/anchors/anchors.md")
    assert text.startswith("Against 3 published figures ([results/anchors/anchors.md]")
    assert "of the 2 the suite runs, 1 matches, 1 below; 1 not run (the table says why)" in text
    assert "Not matching: `b` 0.9600, ours 0.9400 (0.9300-0.9500): below." in text
    best_of = table.assign(
        statistic=["best epoch, best of 3 runs", "final epoch", None],
        percentile=[21.6, None, None], reached=[4, None, None], fits=[10, 3, None],
    )  # fmt: skip
    text = anchors_summary(best_of, "results/anchors/anchors.md")
    two_ways = pd.concat([table, table.iloc[[1]]]).assign(source="s", **{"what was published": "w"})
    assert anchors_summary(two_ways, "a.md").startswith(
        "Against 3 published figures in 4 rows (some run two ways) ([a.md](a.md)): of the 3 the "
        "suite runs, 1 matches, 2 below"
    )
    assert (
        "`a` is reported at its best epoch, best of 3 runs; ours, taken the same way, has median "
        "0.9500 (95% of it 0.9400-0.9600): 0.9500 falls at its 22nd percentile, and 4 of our 10 "
        "runs reach it." in text
    )
