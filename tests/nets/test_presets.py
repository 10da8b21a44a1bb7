"""Presets: the source articles' settings, and xor/blobs meeting their figures."""

from __future__ import annotations

import numpy as np

from nets import PRESETS, Network, TrainingConfig
from tests.nets.support import blobs_data, xor_data


def test_mnist_000_is_article_000s_experiment():
    preset = PRESETS["mnist-000"]
    assert preset.dataset == "mnist"
    assert preset.network == {
        "sizes": [784, 30, 30, 10],
        "hidden_activation": "sigmoid",
        "output_activation": "sigmoid",
        "cost": "quadratic",
        "initialiser": "standard_normal",
    }
    assert preset.training == TrainingConfig(
        epochs=20, batch_size=50, learning_rate=0.1, reduction="sum"
    )
    assert isinstance(preset.default_seed, int)
    network = preset.build_network()
    assert (
        isinstance(network, Network)
        and network.n_parameters == 784 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10
    )


def test_every_preset_builds_and_describes_itself():
    for name, preset in PRESETS.items():
        assert preset.name == name and preset.description
        record = preset.to_dict()
        assert record["training"]["epochs"] == preset.training.epochs
        first = preset.build_network()
        again = preset.build_network(preset.default_seed)
        np.testing.assert_array_equal(first.weights[0], again.weights[0])


def test_blobs_description_names_article_004s_bugs():
    description = PRESETS["blobs"].description
    assert "b1" in description and "b2" in description and "10e-7" in description


def test_xor_preset_learns_xor_from_its_default_seed():
    X, y = xor_data()
    network, history = PRESETS["xor"].fit(X, y)
    outputs = network.predict_proba(X)[:, 0]
    assert np.all((outputs > 0.5) == (y == 1)), outputs
    assert history[-1].train_accuracy == 1.0


def test_blobs_preset_classifies_at_least_ninety_percent():
    X, y = blobs_data(500, np.random.default_rng(2024))
    X_test, y_test = blobs_data(200, np.random.default_rng(2025))
    preset = PRESETS["blobs"]
    assert preset.training.batch_size == "full"
    _, history = preset.fit(X, y, X_test=X_test, y_test=y_test)
    assert history[-1].train_accuracy >= 0.9
    assert history[-1].test_accuracy >= 0.9
    assert history[-1].train_cost < history[0].train_cost
