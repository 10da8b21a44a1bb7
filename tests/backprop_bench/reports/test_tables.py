"""Tables from fit records: statistics, failed and skipped rows, Markdown, learning curves."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

from backprop_bench.reports import tables
from tests.backprop_bench.support import fit_record


def fit(model, seed, accuracy, *, status="ok", reason=None, fit_seconds=1.0, history=None):
    return fit_record(**{
        "model": model, "kind": "network" if model == "net" else model, "seed": seed,
        "status": status, "reason": reason, "dataset": "digits", "n_train": 300, "n_test": 100,
        "preprocessing": "flatten -> float64 -> /16", "test_accuracy": accuracy,
        "train_accuracy": None if accuracy is None else min(1.0, accuracy + 0.02),
        "train_accuracy_n": 300, "fit_seconds": fit_seconds, "fit_wall_seconds": fit_seconds,
        "predict_seconds": 0.01, "n_parameters": 3190, "peak_rss_mb": 100.0 + (seed or 0),
        "data_rss_mb": 90.0, "blas_threads": 1, "history": history,
        "confusion_matrix": [[50, 0], [0, 50]],
    })  # fmt: skip


RECORDS = [
    fit("net", 0, 0.91, fit_seconds=2.0),
    fit("net", 1, 0.95, fit_seconds=4.0),
    fit("net", 2, 0.93, fit_seconds=9.0),
    fit("svc", None, 0.97, fit_seconds=0.5),
    fit("mlp", 0, None, status="diverged", reason="DivergenceError: training diverged at epoch 1"),
    fit("mlp", 1, 0.90),
    fit("broken", 0, None, status="diverged", reason="DivergenceError: diverged at epoch 3"),
    fit("torch-mlp", 0, None, status="skipped", reason="torch-mlp needs the optional 'torch'"),
]


def test_comparison_has_one_row_per_model_in_order():
    table = tables.comparison(RECORDS)
    assert list(table.columns) == tables.COMPARISON_COLUMNS
    assert list(table["model"]) == ["net", "svc", "mlp", "broken", "torch-mlp"]


def test_comparison_statistics_over_seeds():
    row = tables.comparison(RECORDS).set_index("model").loc["net"]
    accuracies = [0.91, 0.95, 0.93]
    assert row["n_seeds"] == 3
    assert row["test_accuracy_mean"] == pytest.approx(statistics.mean(accuracies))
    assert row["test_accuracy_std"] == pytest.approx(statistics.stdev(accuracies))  # ddof=1
    assert (row["test_accuracy_min"], row["test_accuracy_max"]) == (0.91, 0.95)
    assert row["fit_seconds_median"] == 4.0
    assert row["train_accuracy_mean"] == pytest.approx(statistics.mean(accuracies) + 0.02)
    assert row["n_parameters"] == 3190
    assert row["peak_memory_mb"] == 102.0  # the largest over seeds
    assert row["status"] == "ok" and row["note"] == ""


def test_one_seed_has_no_standard_deviation():
    row = tables.comparison(RECORDS).set_index("model").loc["svc"]
    assert row["n_seeds"] == 1 and pd.isna(row["test_accuracy_std"])


def test_failed_and_skipped_models_keep_their_rows_with_the_reason():
    table = tables.comparison(RECORDS).set_index("model")
    broken = table.loc["broken"]
    assert broken["status"] == "diverged" and broken["n_seeds"] == 0
    assert broken["note"] == "DivergenceError: diverged at epoch 3"
    assert pd.isna(broken["test_accuracy_mean"])
    assert table.loc["torch-mlp", "status"] == "skipped"
    # a model that failed on some seeds only: the others count, and the note says so
    mlp = table.loc["mlp"]
    assert mlp["status"] == "ok" and mlp["n_seeds"] == 1 and mlp["test_accuracy_mean"] == 0.90
    assert mlp["note"] == "1 of 2 fits diverged: DivergenceError: training diverged at epoch 1"


def test_markdown_reads_as_a_github_table_under_its_header():
    table = tables.comparison(RECORDS)
    text = tables.to_markdown(table, "Test accuracy on digits.")
    lines = text.splitlines()
    assert lines[0] == "Test accuracy on digits." and lines[1] == ""
    assert lines[2].startswith("| model") and "test acc. mean" in lines[2]
    assert set(lines[3]) <= set("|:- ")
    net = next(line for line in lines if line.startswith("| net "))
    assert "0.9300" in net and "0.9100" in net and "0.9500" in net and "3,190" in net
    assert "DivergenceError: diverged at epoch 3" in text
    assert len(lines) == 4 + len(table)


def test_markdown_drops_an_empty_note_column():
    text = tables.to_markdown(tables.comparison(RECORDS[:4]), "header")
    assert "note" not in text.splitlines()[2]


def test_header_names_the_data_seeds_and_machine():
    session = {
        "jobs": 2, "blas_threads_per_job": 1,
        "environment": {
            "cpu": "Some CPU", "cores": 2, "date": "2026-01-02T03:04:05+00:00",
            "blas": [
                {"user_api": "blas", "internal_api": "openblas", "version": "0.3.30",
                 "architecture": "Zen", "num_threads": 2},
            ],
            "git": {"commit": "0123456789abcdef", "dirty": True},
        },
    }  # fmt: skip
    text = tables.header(RECORDS, [session])
    assert "**digits** (300 training / 100 test images, flatten -> float64 -> /16)" in text
    assert "seeds 0-2" in text
    assert "Some CPU, 2 cores, BLAS openblas 0.3.30 (Zen kernel); 2 parallel fits x 1 BLAS" in text
    assert "code 0123456789 (uncommitted code changes); 2026-01-02" in text


@pytest.mark.parametrize(
    ("seeds", "text"),
    [([0, 1, 2, 3, 4], "0-4"), ([0, 2, 3, 7], "0, 2-3, 7"), ([5], "5"), ([], "(none)")],
)
def test_seed_ranges(seeds, text):
    assert tables._ranges(seeds) == text


def test_learning_curves_has_a_row_per_epoch_of_finished_fits():
    history = [
        {"epoch": e, "train_accuracy": 0.5, "test_accuracy": 0.4, "train_cost": 1.0,
         "test_cost": 1.1, "seconds": 0.1}
        for e in (1, 2, 3)
    ]  # fmt: skip
    records = [fit("net", 0, 0.4, history=history), fit("svc", None, 0.9)]
    records.append(fit("net", 1, None, status="diverged", reason="x", history=history))
    curves = tables.learning_curves(records)
    assert list(curves.columns) == tables.CURVE_COLUMNS
    assert list(curves["epoch"]) == [1, 2, 3] and set(curves["seed"]) == {0}


def test_runs_table_has_one_row_per_fit():
    frame = tables.runs(RECORDS)
    assert len(frame) == len(RECORDS) and list(frame.columns) == tables.RUN_COLUMNS
