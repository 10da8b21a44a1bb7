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
def test_softmax_is_stable_and_normalised_over_the_units(dtype):
    # two samples, as columns
    z = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -1001.0, -1002.0]], dtype=dtype).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = ACTIVATIONS["softmax"](z)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a.sum(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(a[:, 0], [0.5, 0.5, 0.0], atol=1e-6)
    e = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(a[:, 1], e / e.sum(), rtol=1e-6)


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
    np.testing.assert_allclose(activation.backward(activation(z), grad_a), expected, rtol=1e-6)
    if name in DERIVATIVES:  # the elementwise ones: backward is grad_a ⊙ f'
        np.testing.assert_array_equal(
            activation.backward(activation(z), grad_a), grad_a * DERIVATIVES[name](activation(z))
        )


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_functions_are_pure(name):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 4))
    grad_a = rng.standard_normal((5, 4))
    activation = ACTIVATIONS[name]
    z_copy, grad_copy = z.copy(), grad_a.copy()
    a = activation(z)
    a_copy = a.copy()
    activation.backward(a, grad_a)
    np.testing.assert_array_equal(z, z_copy)
    np.testing.assert_array_equal(grad_a, grad_copy)
    np.testing.assert_array_equal(a, a_copy)
    assert a is not z


def test_softmax_works_on_a_single_sample_vector():
    z = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["softmax"](z), ACTIVATIONS["softmax"](z[:, None])[:, 0])


def test_hidden_activations_exclude_softmax():
    assert "softmax" not in HIDDEN_ACTIVATIONS
    assert set(HIDDEN_ACTIVATIONS) < set(ACTIVATIONS)
