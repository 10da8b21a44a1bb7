"""Activations: stable for extreme inputs, derivatives match the functions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nets.activations import ACTIVATIONS, DERIVATIVES, HIDDEN_ACTIVATIONS

ELEMENTWISE = [name for name in ACTIVATIONS if ACTIVATIONS[name].derivative is not None]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_stable_at_extremes(dtype):
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow, invalid) fails
        a = ACTIVATIONS["sigmoid"](z)
    assert a.dtype == dtype
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a[0], [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-20)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_is_stable_and_normalised(dtype):
    z = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -1001.0, -1002.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = ACTIVATIONS["softmax"](z)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(a[0], [0.5, 0.5, 0.0], atol=1e-6)
    e = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(a[1], e / e.sum(), rtol=1e-6)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_in_terms_of_output_matches_finite_differences(name):
    activation = ACTIVATIONS[name]
    z = np.linspace(-3.0, 3.0, 61) + 0.013  # steps over 0 for relu's kink
    h = 1e-6
    slope = (activation(z + h) - activation(z - h)) / (2 * h)
    np.testing.assert_allclose(activation.derivative(activation(z)), slope, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_backward_is_the_jacobian_vector_product(name):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3)) + 0.1
    grad_a = rng.standard_normal((4, 3))
    activation = ACTIVATIONS[name]
    h = 1e-6
    expected = np.empty_like(z)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            step = np.zeros_like(z)
            step[i, j] = h
            da = (activation(z + step) - activation(z - step)) / (2 * h)
            expected[i, j] = np.sum(grad_a * da)  # Σ_k dC/da_k ∂a_k/∂z_ij
    np.testing.assert_allclose(DERIVATIVES[name](activation(z), grad_a), expected, rtol=1e-6)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_out_argument_gives_the_same_result_and_inputs_are_kept(name):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 4))
    grad_a = rng.standard_normal((5, 4))
    activation = ACTIVATIONS[name]
    z_copy, grad_copy = z.copy(), grad_a.copy()
    a = activation(z)
    grad_z = activation.backward(a, grad_a)
    np.testing.assert_array_equal(z, z_copy)  # no out: inputs untouched
    np.testing.assert_array_equal(grad_a, grad_copy)
    in_place = z.copy()
    assert activation(in_place, out=in_place) is in_place
    np.testing.assert_allclose(in_place, a, rtol=1e-15)
    grad_in_place = grad_a.copy()
    activation.backward(a, grad_in_place, out=grad_in_place)
    np.testing.assert_allclose(grad_in_place, grad_z, rtol=1e-14, atol=1e-15)


def test_softmax_works_on_a_single_row_vector():
    z = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["softmax"](z), ACTIVATIONS["softmax"](z[None])[0])


def test_hidden_activations_exclude_softmax():
    assert "softmax" not in HIDDEN_ACTIVATIONS
    assert set(HIDDEN_ACTIVATIONS) < set(ACTIVATIONS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_with_bias_is_the_function_of_the_sum(name):
    rng = np.random.default_rng(2)
    z, biases = rng.standard_normal((6, 4)) * 3, rng.standard_normal(4)
    activation = ACTIVATIONS[name]
    expected = activation(z + biases)
    np.testing.assert_allclose(activation.with_bias(z, biases), expected, rtol=1e-14, atol=1e-16)
    in_place = z.copy()
    activation.with_bias(in_place, biases, out=in_place)
    np.testing.assert_allclose(in_place, expected, rtol=1e-14, atol=1e-16)
