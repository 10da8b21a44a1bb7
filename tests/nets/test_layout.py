"""Layout tricks change speed, never results: blocks cover every row, products are exact."""

from __future__ import annotations

import numpy as np
import pytest

from nets import GRADIENTS, Network
from nets.gradcheck import relative_error
from nets.layout import BLOCK_BYTES, matmul, row_blocks


@pytest.mark.parametrize("shape", [(1, 3), (50, 30), (1000, 1000), (3, 200_000), (777, 1024)])
def test_row_blocks_cover_every_row_once(shape):
    array = np.zeros(shape)
    blocks = row_blocks(array)
    covered = np.concatenate([np.arange(shape[0])[rows] for rows in blocks])
    np.testing.assert_array_equal(covered, np.arange(shape[0]))
    if array.nbytes > BLOCK_BYTES:
        assert len(blocks) > 1
        largest = max(BLOCK_BYTES, array[:1].nbytes)  # a block holds at least one row
        assert all(array[rows].nbytes <= largest for rows in blocks)


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "transposed"),
    [
        ((2048, 300), (300, 10), True),  # long inner dimension
        ((784, 50), (50, 30), True),  # a transposed operand: a weight gradient
        ((50, 784), (784, 30), False),  # not tall
        ((1024, 64), (64, 8), False),  # short inner dimension
        ((300, 50), (50, 100), False),  # not thin
    ],
)
def test_matmul_equals_numpy_on_both_branches(a_shape, b_shape, transposed):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    if a_shape == (784, 50):
        a = np.ascontiguousarray(a.T).T  # as a_prev.T is in a weight gradient
    product = matmul(a, b)
    assert product.flags.f_contiguous == transposed and product.shape == (a_shape[0], b_shape[1])
    np.testing.assert_allclose(product, a @ b, rtol=1e-12, atol=1e-12)


def test_big_batches_take_the_blocked_and_transposed_paths_and_still_agree():
    # 1100 rows x 600 units is several row blocks; the (1100, 600)ᵀ @ (1100, 4) weight
    # gradient is tall and thin. per_sample has none of these tricks.
    rng = np.random.default_rng(1)
    network = Network(
        [30, 600, 4],
        hidden_activation="tanh",
        output_activation="softmax",
        cost="cross_entropy",
        initialiser="normal_fan_in",
        seed=rng,
    )
    X = rng.standard_normal((1100, 30))
    Y = np.eye(4)[rng.integers(0, 4, 1100)]
    fast, slow = GRADIENTS["vectorised"](network, X, Y), GRADIENTS["per_sample"](network, X, Y)
    for a, b in zip(fast.weights + fast.biases, slow.weights + slow.biases, strict=True):
        assert relative_error(a, b) <= 1e-12
    np.testing.assert_allclose(network.predict_proba(X), network.forward(X)[1][-1], rtol=1e-12)


def test_scratch_buffers_never_leak_into_results():
    rng = np.random.default_rng(2)
    network = Network([5, 7, 3], output_activation="softmax", cost="cross_entropy", seed=rng)
    batches = [(rng.standard_normal((n, 5)), np.eye(3)[rng.integers(0, 3, n)]) for n in (8, 5, 8)]
    results = [GRADIENTS["vectorised"](network, X, Y) for X, Y in batches]
    for (X, Y), result in zip(batches, results, strict=True):  # earlier results untouched
        expected = GRADIENTS["per_sample"](network, X, Y)
        for a, b in zip(
            result.weights + result.biases, expected.weights + expected.biases, strict=True
        ):
            assert relative_error(a, b) <= 1e-13
