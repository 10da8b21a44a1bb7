"""The four gradient routines agree, and the cost they differentiate is the documented one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nets import GRADIENTS, ConfigError, Network
from nets.costs import OUTPUT_LOSSES
from nets.gradcheck import relative_error
from nets.gradients.base import output_delta
from nets.gradients.loop import _output_delta
from tests.nets.support import HIDDEN, PAIRINGS, min_abs_z_at_relu, problem, xor_data

OUTPUT_PAIRS = sorted(OUTPUT_LOSSES)

EXACT = [name for name in GRADIENTS if name != "numerical"]


def flat(gradient) -> np.ndarray:
    return np.concatenate([array.ravel() for array in gradient.weights + gradient.biases])


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "cost"), PAIRINGS)
@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    hidden_sizes=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    n_inputs=st.integers(1, 4),
    n_outputs=st.integers(1, 3),
    n_samples=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_all_routines_agree(
    hidden, output, cost, hidden_sizes, n_inputs, n_outputs, n_samples, seed
):
    if output == "softmax":
        n_outputs = max(n_outputs, 2)
    sizes = [n_inputs, *hidden_sizes, n_outputs]
    network, X, Y = problem(sizes, hidden, output, cost, n=n_samples, seed=seed)
    assume(min_abs_z_at_relu(network, X) > 1e-4)  # finite differences must not cross a kink

    gradients = {name: routine(network, X, Y) for name, routine in GRADIENTS.items()}
    reference = gradients["vectorised"]
    for name, gradient in gradients.items():
        assert len(gradient.weights) == len(gradient.biases) == len(network.weights)
        for mine, theirs, parameter in zip(
            gradient.weights + gradient.biases,
            reference.weights + reference.biases,
            network.weights + network.biases,
            strict=True,
        ):
            assert mine.shape == parameter.shape
            assert mine.dtype == parameter.dtype
            if name in EXACT:
                assert relative_error(mine, theirs) <= 1e-10, name
        if name == "numerical":
            assert relative_error(flat(gradient), flat(reference)) <= 1e-6


def test_relu_routines_agree_with_biases_shifted_off_the_kink():
    # Positive biases keep every relu unit active, so no z is near 0 by construction.
    network, X, Y = problem([3, 4, 4, 2], "relu", "softmax", "cross_entropy", n=6, seed=3)
    X = np.abs(X)
    for weights, biases in zip(network.weights[:-1], network.biases[:-1], strict=True):
        weights[:] = np.abs(weights)
        biases[:] = 0.5
    assert min_abs_z_at_relu(network, X) > 0.1
    reference = GRADIENTS["numerical"](network, X, Y)
    for name in EXACT:
        assert relative_error(flat(GRADIENTS[name](network, X, Y)), flat(reference)) <= 1e-6


@pytest.mark.parametrize(("output", "cost"), PAIRINGS)
def test_float32_vectorised_matches_float64(output, cost):
    wide, X, Y = problem([5, 7, 6, 3], "tanh", output, cost, n=20, seed=11)
    narrow, _, _ = problem([5, 7, 6, 3], "tanh", output, cost, n=20, seed=11, dtype="float32")
    g64 = GRADIENTS["vectorised"](wide, X, Y)
    g32 = GRADIENTS["vectorised"](narrow, X, Y)
    assert all(g.dtype == np.float32 for g in g32.weights + g32.biases)
    assert relative_error(flat(g32), flat(g64)) <= 1e-4


def test_hand_worked_example_pins_cost_and_gradients():
    # A [2, 2, 1] sigmoid network with quadratic cost, weights chosen so every sigmoid is of
    # 0 or ln 3: σ(0) = 1/2, σ(ln 3) = 1/(1 + 1/3) = 3/4, so all the arithmetic is exact.
    network = Network([2, 2, 1], cost="quadratic", seed=0)
    network.weights[0][:] = [[1.0, -0.5], [math.log(3.0), 1.0]]  # (out, in)
    network.biases[0][:] = [[0.0], [-2.0]]
    network.weights[1][:] = [[2.0, -2.0]]
    network.biases[1][:] = [[0.5]]
    # Two identical samples x = (1, 2), target 1, so every figure below is doubled by the sum.
    X = np.array([[1.0, 2.0], [1.0, 2.0]])
    Y = np.array([[1.0], [1.0]])
    # Hidden: z1 = W1 x + b1 = (1·1 − 0.5·2 + 0, ln3·1 + 1·2 − 2) = (0, ln 3), a1 = (1/2, 3/4).
    # Output: z2 = 2·(1/2) − 2·(3/4) + 0.5 = 0, a2 = 1/2.
    # Cost per sample ½ (1/2 − 1)² = 1/8; summed over the two samples: 1/4.
    assert network.cost(X, Y) == pytest.approx(0.25, abs=1e-15)
    # BP1: δ2 = (a2 − y) σ'(z2) = (−1/2)(1/4) = −1/8.
    # BP4, BP3: dC/dW2 = δ2 a1ᵀ = (−1/8 · 1/2, −1/8 · 3/4) = (−1/16, −3/32); dC/db2 = −1/8.
    # BP2: δ1 = (W2ᵀ δ2) ⊙ a1 (1 − a1) = (−1/4, 1/4) ⊙ (1/4, 3/16) = (−1/16, 3/64).
    # BP4, BP3: dC/dW1 = δ1 xᵀ = [[−1/16, −1/8], [3/64, 3/32]]; dC/db1 = (−1/16, 3/64).
    # Two samples: all doubled.
    expected_w = [
        2 * np.array([[-1 / 16, -1 / 8], [3 / 64, 3 / 32]]),
        2 * np.array([[-1 / 16, -3 / 32]]),
    ]
    expected_b = [2 * np.array([[-1 / 16], [3 / 64]]), 2 * np.array([[-1 / 8]])]
    for name, routine in GRADIENTS.items():
        gradient = routine(network, X, Y)
        tolerance = 1e-9 if name == "numerical" else 1e-15
        for got, want in zip(
            gradient.weights + gradient.biases, expected_w + expected_b, strict=True
        ):
            np.testing.assert_allclose(got, want, rtol=0, atol=tolerance, err_msg=name)


def test_article_003_factor_of_two_is_mean_versus_half_sum():
    # Article 003 measures J = mean over its N = 4 samples of (a − y)², whose gradient carries
    # 2/N, but its update used the plain sum of δ aᵀ: the gradient of C = ½ Σ (a − y)².
    # dJ/dθ = (2/N) dC/dθ = ½ dC/dθ for N = 4: the numerical gradient of J is half backprop's.
    X, labels = xor_data()
    Y = labels[:, np.newaxis].astype(float)
    network = Network([2, 2, 2, 1], seed=7)

    def J() -> float:  # article 003's cost, computed independently of nets.costs
        return float(np.mean((network.predict_proba(X) - Y) ** 2))

    backprop = GRADIENTS["vectorised"](network, X, Y)
    eps = 1e-6
    for parameter, grad in zip(
        network.weights + network.biases, backprop.weights + backprop.biases, strict=True
    ):
        numerical_J = np.empty(parameter.shape)
        for i in np.ndindex(parameter.shape):  # parameter[i] = ... perturbs the network
            original = parameter[i]
            parameter[i] = original + eps
            plus = J()
            parameter[i] = original - eps
            minus = J()
            parameter[i] = original
            numerical_J[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(numerical_J, 0.5 * grad, rtol=1e-6, atol=1e-10)
    # ... while our own numerical routine, on our cost, agrees with backprop with no factor.
    assert relative_error(flat(GRADIENTS["numerical"](network, X, Y)), flat(backprop)) < 1e-8


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_routines_sum_over_samples(name):
    network, X, Y = problem([3, 4, 2], "sigmoid", "softmax", "cross_entropy", n=4, seed=5)
    routine = GRADIENTS[name]
    whole = flat(routine(network, X, Y))
    parts = sum(flat(routine(network, X[i : i + 1], Y[i : i + 1])) for i in range(4))
    assert relative_error(whole, parts) <= (1e-8 if name == "numerical" else 1e-13)


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_routines_leave_network_and_data_alone(name):
    network, X, Y = problem([3, 4, 2], "tanh", "sigmoid", "quadratic", n=3, seed=2)
    before = [p.copy() for p in network.weights + network.biases]
    X_before, Y_before = X.copy(), Y.copy()
    gradient = GRADIENTS[name](network, X, Y)
    for old, new in zip(before, network.weights + network.biases, strict=True):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)
    for array, parameter in zip(
        gradient.weights + gradient.biases, network.weights + network.biases, strict=True
    ):
        assert not np.shares_memory(array, parameter)


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_routines_reject_mismatched_shapes(name):
    network = Network([3, 2, 2], seed=0)
    with pytest.raises(ConfigError, match=r"X must be a 2-D array of shape \(n_samples, 3\)"):
        GRADIENTS[name](network, np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ConfigError, match=r"Y must have shape \(4, 2\)"):
        GRADIENTS[name](network, np.zeros((4, 3)), np.zeros((4, 3)))


@pytest.mark.parametrize(("output", "cost"), PAIRINGS)
def test_loop_scalar_output_error_matches_the_vectorised_one(output, cost):
    # Targets that are not probability rows too: softmax + cross-entropy must then give
    # (Σ y) a − y, never a − y.
    network, X, _ = problem([3, 4], "sigmoid", output, cost, n=6, seed=5)
    Y = np.random.default_rng(5).random((6, 4)) * 2
    a = network.predict_proba(X)
    vectorised = output_delta(network, a.T, Y.T).T  # samples as columns inside nets
    rows = zip(a.tolist(), Y.tolist(), strict=True)
    scalar = [_output_delta(output, cost, a_i, y_i) for a_i, y_i in rows]
    np.testing.assert_allclose(scalar, vectorised, rtol=1e-12, atol=1e-15)


def saturated(output: str, cost: str, scale: float, seed: int = 1):
    """A small network whose output weighted inputs z_L reach tens (|z_L| of about 15-60)."""
    network, X, Y = problem([3, 4, 3], "tanh", output, cost, n=5, seed=seed)
    network.weights[-1][:] *= scale
    network.biases[-1][:] *= scale
    return network, X, Y


@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
@pytest.mark.parametrize("scale", [1.0, 20.0, 60.0])
def test_routines_agree_with_central_differences_on_saturated_outputs(output, cost, scale):
    # The cross-entropies: their gradient stays large where the outputs saturate. (With the
    # quadratic cost it vanishes there, about 1e-26, below what differences can resolve.)
    network, X, Y = saturated(output, cost, scale)
    z_out = network.feedforward_rows(X)[0][-1]
    if scale > 1:
        assert np.abs(z_out).max() > 15  # the case that broke a clipped cost
    reference = flat(GRADIENTS["vectorised"](network, X, Y))
    numerical = flat(GRADIENTS["numerical"](network, X, Y))
    assert relative_error(numerical, reference) <= 1e-6
    for name in EXACT:
        assert relative_error(flat(GRADIENTS[name](network, X, Y)), reference) <= 1e-10, name


@pytest.mark.parametrize(("output", "cost"), OUTPUT_PAIRS)
def test_cross_entropy_cost_is_exact_at_any_output_weighted_input(output, cost):
    # From z, the cost is finite and matches the closed form even where a = f(z) rounds to 0 or 1.
    network, X, Y = saturated(output, cost, 1.0)
    network.weights[-1][:] = 0.0
    network.biases[-1][:] = [[800.0], [-800.0], [0.0]]
    Y = (
        np.tile([1.0, 0.0, 0.0], (len(X), 1))
        if output == "softmax"
        else np.tile([0.0, 1.0, 1.0], (len(X), 1))
    )
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = network.cost(X, Y)
    expected = 0.0 if output == "softmax" else 800.0 + 800.0 + np.log(2)
    assert value == pytest.approx(len(X) * expected, rel=1e-12)


def test_softmax_cross_entropy_with_targets_that_do_not_sum_to_one():
    network, X, _ = problem([3, 4, 3], "sigmoid", "softmax", "cross_entropy", n=5, seed=2)
    Y = np.random.default_rng(2).random((5, 3)) * 3  # rows sum to anything
    reference = flat(GRADIENTS["numerical"](network, X, Y))
    for name in EXACT:
        assert relative_error(flat(GRADIENTS[name](network, X, Y)), reference) <= 1e-6, name
