"""Costs: summed over samples, gradients right, fused deltas where documented, never inf/NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nets.activations import ACTIVATIONS
from nets.costs import COSTS, OUTPUT_LOSSES


def sample(cost: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if cost == "cross_entropy":  # 3 units, 4 samples as columns
        a = ACTIVATIONS["softmax"](rng.standard_normal((3, 4)))
        return a, np.eye(3)[[0, 2, 1, 2]].T
    return rng.uniform(0.05, 0.95, (3, 4)), rng.random((3, 4))


@pytest.mark.parametrize("name", list(COSTS))
def test_value_is_summed_over_samples(name):
    a, y = sample(name, np.random.default_rng(0))
    cost = COSTS[name]
    assert cost.value(a, y) == pytest.approx(sum(cost.value(a[:, i], y[:, i]) for i in range(4)))


def test_values_match_their_formulas():
    a = np.array([[0.2, 0.8]])
    y = np.array([[0.0, 1.0]])
    assert COSTS["quadratic"].value(a, y) == pytest.approx(0.5 * (0.04 + 0.04))
    assert COSTS["binary_cross_entropy"].value(a, y) == pytest.approx(-2 * np.log(0.8))
    assert COSTS["cross_entropy"].value(a, y) == pytest.approx(-np.log(0.8))


@pytest.mark.parametrize("name", list(COSTS))
def test_gradient_matches_finite_differences(name):
    a, y = sample(name, np.random.default_rng(1))
    cost = COSTS[name]
    h = 1e-7
    expected = np.empty_like(a)
    for index in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[index] = h
        expected[index] = (cost.value(a + step, y) - cost.value(a - step, y)) / (2 * h)
    np.testing.assert_allclose(cost.derivative(a, y), expected, rtol=1e-6)


@pytest.mark.parametrize(("output", "cost"), sorted(OUTPUT_LOSSES))
def test_output_loss_is_the_cost_of_the_activation(output, cost):
    # the z-form of each pair equals the a-form where no clip bites, and its delta equals the
    # chain rule backward(a, dC/da)
    rng = np.random.default_rng(2)
    z = rng.standard_normal((3, 5))  # 3 units, 5 samples as columns
    a = ACTIVATIONS[output](z)
    y = np.eye(3)[rng.integers(0, 3, 5)].T
    loss = OUTPUT_LOSSES[(output, cost)]
    assert loss.value(z, y) == pytest.approx(COSTS[cost].value(a, y), rel=1e-12)
    chain = ACTIVATIONS[output].backward(a, COSTS[cost].derivative(a, y))
    np.testing.assert_allclose(loss.delta(a, y), chain, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loss.delta(a, y), a - y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("output", "cost"), sorted(OUTPUT_LOSSES))
def test_output_loss_delta_is_the_derivative_of_its_value_at_any_z(output, cost):
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 4)) * np.array([1.0, 20.0, 40.0, 60.0])  # samples as columns
    y = rng.random((3, 4))  # not one-hot: the general gradient must hold
    loss = OUTPUT_LOSSES[(output, cost)]
    h = 1e-5
    expected = np.empty_like(z)
    for index in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[index] = h
        expected[index] = (loss.value(z + step, y) - loss.value(z - step, y)) / (2 * h)
    np.testing.assert_allclose(loss.delta(ACTIVATIONS[output](z), y), expected, atol=1e-8)


def test_softmax_delta_is_not_a_minus_y_for_targets_that_do_not_sum_to_one():
    a = ACTIVATIONS["softmax"](np.array([[0.3], [-0.2], [1.0]]))
    y = np.array([[1.0], [1.0], [0.0]])  # sums to 2: a − y is not the gradient any more
    chain = ACTIVATIONS["softmax"].backward(a, COSTS["cross_entropy"].derivative(a, y))
    assert not np.allclose(chain, a - y)
    delta = OUTPUT_LOSSES[("softmax", "cross_entropy")].delta(a, y)
    np.testing.assert_allclose(delta, chain, rtol=1e-12)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "cross_entropy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropies_stay_finite_for_saturated_outputs(name, dtype):
    a = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = COSTS[name].value(a, y)
        gradient = COSTS[name].derivative(a, y)
    assert np.isfinite(value) and value > 10
    assert np.isfinite(gradient).all()


def test_every_cost_names_its_outputs():
    assert COSTS["cross_entropy"].outputs == ("softmax",)
    assert COSTS["binary_cross_entropy"].outputs == ("sigmoid",)
    assert set(COSTS["quadratic"].outputs) == set(ACTIVATIONS)
