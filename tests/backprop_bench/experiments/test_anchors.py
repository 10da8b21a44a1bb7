"""Anchors: the published figures load, every runnable one plans, the verdict rule's edges."""

from __future__ import annotations

import dataclasses
import json

import pytest

from backprop_bench.errors import BenchError
from backprop_bench.experiments import anchors, runner
from backprop_bench.experiments.records import FitCache
from backprop_bench.reports.anchors import anchor_verdict, anchors_markdown, anchors_table


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
        runner.plan(
            anchor.dataset, [spec], n_train=anchor.run.n_train, seeds=anchor.run.seeds,
            standardise=anchor.run.standardise,
        )  # fmt: skip
    nielsen = next(a for a in found if a.id == "nielsen-784-30-10").spec().build(0, 50000)
    assert (nielsen.hidden_layer_sizes, nielsen.batch_size, nielsen.learning_rate) == (
        [30],
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
            "id": "too-long", "source": "a test", "dataset": "digits", "accuracy": 0.9,
            "published": "a figure", "run": None, "not_run": "too long for 2 cores",
        },
    ]  # fmt: skip
    path = tmp_path / "anchors.json"
    path.write_text(json.dumps(digits))
    chosen = anchors.load_anchors(path)
    found = anchors.run_anchors(chosen, cache=FitCache(tmp_path / "runs"), isolate=False)
    with_records = [
        dataclasses.replace(a, records=tuple(r for r in c.records if r.model == a.id) if c else ())
        for a, c in found
    ]
    table = anchors_table(with_records).set_index("anchor")
    assert table.loc["digits-linear", "verdict"] == "above"
    assert table.loc["digits-net", "verdict"] == "below"
    assert table.loc["digits-net", "fits"] == 5 and table.loc["digits-net", "best_epoch"] > 0
    assert table.loc["too-long", "verdict"] == "not run"
    markdown = anchors_markdown(anchors_table(with_records), "Machine: a test.")
    assert "**matches** when the interval holds the published figure" in markdown
    assert "| too-long" in markdown and "too long for 2 cores" in markdown


def test_the_readme_summary_counts_the_verdicts_and_names_the_misses():
    import pandas as pd

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
