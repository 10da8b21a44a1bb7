"""`backprop-bench speed` runs end to end on tiny settings (no timing assertions: shared CPU)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backprop_bench.cli import main
from backprop_bench.data import datasets
from backprop_bench.experiments.estimator import NetworkClassifier
from backprop_bench.experiments.speed import SideBySide, comparison_mlp, speed_table


@pytest.fixture
def small_mnist_shaped(monkeypatch):
    """A stand-in for MNIST with its shapes and dtype (random pixels), so no download."""
    rng = np.random.default_rng(0)

    def fake_load(name, **kwargs):
        assert name == "mnist"
        return datasets.Dataset(
            name="mnist",
            x_train=rng.integers(0, 256, size=(120, 28, 28), dtype=np.uint8),
            y_train=(np.arange(120) % 10).astype(np.uint8),
            x_test=rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8),
            y_test=(np.arange(40) % 10).astype(np.uint8),
            source="test stand-in",
            fingerprint="0" * 64,
            pixel_max=255.0,
        )

    monkeypatch.setattr(datasets, "load", fake_load)


def test_speed_prints_and_writes_the_table(small_mnist_shaped, capsys, tmp_path):
    status = main(["speed", "--repeats", "1", "--epochs", "2", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "includes its per-epoch evaluation" in out
    table = pd.read_csv(tmp_path / "speed.csv")
    assert len(table) == 6  # network/MLP twice, each rung against the next, then all the way
    assert table["measurement"].str.contains("train 2 epochs, 120 x 784 float64").sum() == 2
    assert table["measurement"].str.contains(r"batch 50, \[784, 30, 30, 10\]").sum() == 4
    assert list(table["a"][2:]) == ["loop", "per_unit", "per_sample", "loop"]
    assert list(table["b"][2:]) == ["per_unit", "per_sample", "vectorised", "vectorised"]
    assert (table["ratio min"] <= table["ratio a/b"]).all()
    assert (table["ratio a/b"] <= table["ratio max"]).all()
    assert (table[["a median (s)", "b median (s)"]] > 0).all().all()
    markdown = (tmp_path / "speed.md").read_text()
    assert "| measurement" in markdown and "MLPClassifier" in markdown


def test_the_mlp_mirrors_the_network_and_runs_every_epoch():
    network = NetworkClassifier.from_preset("mnist-000")
    mlp = comparison_mlp("mnist-000", epochs=3, seed=0)
    assert mlp.hidden_layer_sizes == tuple(network.hidden_layer_sizes) == (30, 30)
    assert (mlp.activation, mlp.solver, mlp.batch_size, mlp.max_iter) == ("logistic", "sgd", 50, 3)
    assert (mlp.momentum, mlp.alpha, mlp.early_stopping, mlp.tol) == (0.0, 0.0, False, 0.0)
    assert mlp.learning_rate == "constant"
    assert mlp.n_iter_no_change > mlp.max_iter


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
