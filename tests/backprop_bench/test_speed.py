"""`backprop-bench speed` runs end to end on tiny settings (no timing assertions: shared CPU)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backprop_bench import datasets
from backprop_bench.cli import main
from backprop_bench.estimator import NetworkClassifier
from backprop_bench.speed import Comparison, comparison_mlp, speed_table


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
    assert len(table) == 3
    assert table["measurement"].str.contains("train 2 epochs, 120 x 784 float64").sum() == 2
    assert table["measurement"].str.contains(r"batch 50, \[784, 30, 30, 10\]").sum() == 1
    np.testing.assert_allclose(
        table["ratio a/b"], table["a median (s)"] / table["b median (s)"], rtol=1e-2
    )
    assert (table[["a median (s)", "b median (s)"]] > 0).all().all()
    markdown = (tmp_path / "speed.md").read_text()
    assert "| measurement" in markdown and "MLPClassifier" in markdown


def test_the_mlp_mirrors_the_network_and_runs_every_epoch():
    network = NetworkClassifier.from_preset("mnist-seed")
    mlp = comparison_mlp("mnist-seed", epochs=3, seed=0)
    assert mlp.hidden_layer_sizes == tuple(network.hidden_layer_sizes) == (30, 30)
    assert (mlp.activation, mlp.solver, mlp.batch_size, mlp.max_iter) == ("logistic", "sgd", 50, 3)
    assert (mlp.momentum, mlp.alpha, mlp.early_stopping, mlp.tol) == (0.0, 0.0, False, 0.0)
    assert mlp.learning_rate == "constant"
    assert mlp.n_iter_no_change > mlp.max_iter


def test_comparison_ratio_is_of_medians_and_checks_its_target():
    slow = Comparison("m", "a", (3.0, 1.0, 2.0), "b", (10.0, 4.0, 100.0), "<= 0.40")
    assert slow.ratio == pytest.approx(2.0 / 10.0)
    assert slow.met is True
    fast = Comparison("m", "a", (30.0,), "b", (2.0,), ">= 20")
    assert (fast.ratio, fast.met) == (15.0, False)
    assert Comparison("m", "a", (1.0,), "b", (1.0,), "-").met is None
    table = speed_table([slow, fast])
    assert list(table["a min (s)"]) == [1.0, 30.0]
    assert list(table["met"]) == ["yes", "no"]
