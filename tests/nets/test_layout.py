"""Layout tricks change speed, never results: blocks cover every row, products are exact."""

from __future__ import annotations

import numpy as np
import pytest

from nets import GRADIENTS, Network
from nets.gradcheck import relative_error
from nets.layout import BLOCK_BYTES, blocks, column_sums, matmul


@pytest.mark.parametrize("shape", [(1, 3), (50, 30), (1000, 1000), (3, 200_000), (777, 1024)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_blocks_cover_every_element_once_each_contiguous(shape, order):
    array = np.zeros(shape, order=order)
    pieces = blocks(array)
    count = np.zeros(shape, dtype=int)
    for block in pieces:
        count[block] += 1
        if len(pieces) > 1:  # each piece is one run of memory
            assert array[block].flags.c_contiguous or array[block].flags.f_contiguous
    np.testing.assert_array_equal(count, 1)
    if array.nbytes > BLOCK_BYTES:
        assert len(pieces) > 1
        smallest = array[:1].nbytes if order == "C" else array[:, :1].nbytes
        assert all(array[block].nbytes <= max(BLOCK_BYTES, smallest) for block in pieces)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((50, 784), (784, 30)),
        ((2048, 300), (300, 10)),
        ((784, 50), (50, 30)),
        ((1, 3), (3, 1)),
        ((784, 1), (1, 30)),  # an outer product (a weight gradient at batch 1)
    ],
)
@pytest.mark.parametrize("a_order", ["C", "F"])
@pytest.mark.parametrize("into_buffer", [False, True])
def test_matmul_is_a_at_b_written_column_major(a_shape, b_shape, a_order, into_buffer):
    rng = np.random.default_rng(0)
    a = np.asarray(rng.standard_normal(a_shape), order=a_order)
    b = np.asfortranarray(rng.standard_normal(b_shape))  # as the network stores weights
    out = np.empty((b_shape[1], a_shape[0])).T if into_buffer else None  # column-major
    product = matmul(a, b, out=out)
    assert product.flags.f_contiguous and product.shape == (a_shape[0], b_shape[1])
    if into_buffer:
        assert product is out
    np.testing.assert_allclose(product, a @ b, rtol=1e-12, atol=1e-12)


def test_network_weights_are_column_major_however_they_arrive():
    network = Network([4, 3, 2], seed=0)
    assert all(w.flags.f_contiguous for w in network.weights)
    rebuilt = Network.from_parameters(
        network.config(), [np.ascontiguousarray(w) for w in network.weights], network.biases
    )
    assert all(w.flags.f_contiguous for w in rebuilt.weights)
    for w, v in zip(network.weights, rebuilt.weights, strict=True):
        np.testing.assert_array_equal(w, v)


def test_big_batches_take_the_blocked_and_transposed_paths_and_still_agree():
    # 1100 rows x 600 units is several blocks of a column-major array; the softmax output
    # is applied whole. per_sample has none of these tricks.
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


@pytest.mark.parametrize("shape", [(50, 30), (1024, 1024), (1, 5)])
def test_column_sums_on_both_branches(shape):
    array = np.asfortranarray(np.random.default_rng(3).standard_normal(shape))
    np.testing.assert_allclose(column_sums(array), array.sum(axis=0), rtol=1e-12, atol=1e-12)
