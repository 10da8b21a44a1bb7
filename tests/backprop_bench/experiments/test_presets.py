"""The source's experiments as presets, trained the way `backprop-bench train` trains them.

Data always comes through ``datasets.load`` and the shared ``preprocessing.prepare``.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_bench.cli.train_report import GRADCHECK_TOLERANCE, gradcheck_rows
from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import prepare
from backprop_bench.experiments.estimator import NetworkClassifier
from nets.gradients import GRADIENTS, Gradient
from nets.presets import PRESETS


def _fit_preset(name: str, **prepare_options):
    model = NetworkClassifier.from_preset(name)
    data = prepare(load(PRESETS[name].dataset), dtype=model.dtype, **prepare_options)
    model.fit(data.X_train, data.y_train, validation_data=(data.X_test, data.y_test))
    return model, data


def test_blobs_classification_rate_at_least_0_9():
    model, data = _fit_preset("blobs")
    assert model.score(data.X_test, data.y_test) >= 0.9
    assert model.history_[-1]["test_accuracy"] >= 0.9


def test_xor_puts_all_four_outputs_on_the_right_side_of_one_half():
    model, data = _fit_preset("xor")
    output = model.network_.predict_proba(data.X_test)[:, 0]  # the single sigmoid unit
    assert output.shape == (4,)
    np.testing.assert_array_equal(data.y_test, [0, 1, 1, 0])
    np.testing.assert_array_equal(output > 0.5, data.y_test == 1)


def test_gradcheck_rows_are_small_for_every_preset_layer_and_parameter():
    rows = gradcheck_rows(seed=0)
    for name, preset in PRESETS.items():
        n_layers = len(preset.network["sizes"]) - 1
        assert sorted((r.layer, r.parameter) for r in rows if r.preset == name) == sorted(
            (layer, parameter) for layer in range(n_layers) for parameter in ("weights", "biases")
        )
    assert max(row.relative_error for row in rows) < GRADCHECK_TOLERANCE


def test_gradcheck_rows_expose_a_broken_gradient(monkeypatch):
    vectorised = GRADIENTS["vectorised"]

    def off_by_one_percent_in_the_first_weights(network, X, Y):
        gradient = vectorised(network, X, Y)
        return Gradient([gradient.weights[0] * 1.01, *gradient.weights[1:]], gradient.biases)

    monkeypatch.setitem(GRADIENTS, "broken", off_by_one_percent_in_the_first_weights)
    rows = gradcheck_rows(seed=0, routine="broken")
    bad = {(r.preset, r.layer, r.parameter) for r in rows if r.relative_error > 1e-3}
    assert bad == {(name, 0, "weights") for name in PRESETS}


@pytest.mark.slow
def test_mnist_000_reaches_0_940_on_the_full_test_set_with_the_default_seed():
    model, data = _fit_preset("mnist-000")
    assert (data.n_train, data.n_test) == (60_000, 10_000)
    accuracy = model.score(data.X_test, data.y_test)
    assert accuracy >= 0.940, (
        f"mnist-000 with default seed {PRESETS['mnist-000'].default_seed}: {accuracy:.4f}"
    )
