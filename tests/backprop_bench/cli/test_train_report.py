"""The gradient check `backprop-bench train` reports: one row per preset, layer and parameter."""

from __future__ import annotations

from backprop_bench.cli.train_report import GRADCHECK_TOLERANCE, gradcheck_rows
from nets.gradients import GRADIENTS, Gradient
from nets.presets import PRESETS


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
