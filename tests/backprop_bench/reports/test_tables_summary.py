"""The README summary: the network's spread over seeds, the best model, failures, reference."""

from __future__ import annotations

from backprop_bench.reports import publish
from tests.backprop_bench.support import fit_record


def fit(model, seed, accuracy, *, kind=None, status="ok", reason=None, dataset="mnist"):
    return fit_record(**{
        "model": model, "kind": kind or model, "seed": seed, "status": status, "reason": reason,
        "dataset": dataset, "n_train": 60000, "n_test": 10000, "test_accuracy": accuracy,
        "train_accuracy": accuracy, "train_accuracy_n": 2000, "fit_seconds": 10.0,
        "predict_seconds": 1.0, "n_parameters": 10, "peak_rss_mb": 1.0,
    })  # fmt: skip


def summary(records):
    reported = {("mnist", "mnist-000"): 0.9451, ("mnist", "svc-000"): 0.9446}
    return publish.comparison_summary(
        records, [], image="plot.png", table_path="table.md", reported=reported
    )


def test_summary_states_the_networks_spread_over_seeds_and_the_best_model():
    records = [
        fit("mnist-000", 0, 0.9495, kind="network"),
        fit("mnist-000", 1, 0.9012, kind="network"),
        fit("mnist-000", 2, 0.9440, kind="network"),
        fit("svc-000", None, 0.9446),
        fit("svc", None, 0.9792),
    ]
    text = summary(records)
    assert "mean test accuracy of 0.9316 over 3 seeds, and its seed matters" in text
    assert "from 0.9012 (seed 1) to 0.9495 (seed 0), 4.8 points apart" in text
    assert "The most accurate model is `svc` (0.9792)" in text
    assert "article 000 reported `mnist-000` 0.9451 and `svc-000` 0.9446" in text
    assert "![mnist: test accuracy per epoch](plot.png)" in text and "(table.md)" in text


def test_summary_says_when_the_seed_barely_matters_and_names_failures():
    records = [
        fit("net", 0, 0.950, kind="network", dataset="digits"),
        fit("net", 1, 0.952, kind="network", dataset="digits"),
        fit(
            "mlp", 0, None, status="diverged", reason="DivergenceError: diverged", dataset="digits"
        ),
    ]
    text = summary(records)
    assert "its seed barely matters" in text and "0.2 points apart" in text
    assert "`mlp` diverged: DivergenceError: diverged." in text
    assert "article 000 reported" not in text  # not MNIST
