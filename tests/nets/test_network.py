"""Network construction, validation and the forward pass."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nets import INITIALISERS, ConfigError, Network


def test_parameter_shapes_follow_samples_are_columns():
    network = Network([4, 3, 2], seed=0)
    assert [w.shape for w in network.weights] == [(3, 4), (2, 3)]  # (out, in): z = W a + b
    assert [b.shape for b in network.biases] == [(3, 1), (2, 1)]
    assert network.n_parameters == 4 * 3 + 3 + 3 * 2 + 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [3]}, "sizes must be a list of at least 2 positive integers"),
        ({"sizes": [3, 0]}, "sizes must be a list"),
        ({"sizes": [3, 2.5]}, "sizes must be a list"),
        ({"sizes": "32"}, "sizes must be a list"),
        ({"sizes": [3, True]}, "sizes must be a list"),
        ({"hidden_activation": "softmax"}, "hidden_activation must be one of 'sigmoid'"),
        ({"hidden_activation": "swish"}, "hidden_activation must be one of .*'relu'.*got 'swish'"),
        ({"output_activation": "gelu"}, "output_activation must be one of .*'softmax'"),
        ({"cost": "hinge"}, "cost must be one of 'quadratic', 'binary_cross_entropy'"),
        ({"initialiser": "zeros"}, "initialiser must be one of 'standard_normal'"),
        ({"dtype": "float16"}, "dtype must be one of 'float64', 'float32'; got 'float16'"),
        ({"dtype": "nonsense"}, "dtype must be one of"),
        ({"seed": -1}, "seed must be a non-negative int, None or a numpy.random.Generator"),
        ({"seed": 1.5}, "seed must be"),
        ({"cost": "cross_entropy"}, "cost='cross_entropy' needs output_activation in 'softmax'"),
        (
            {"cost": "binary_cross_entropy", "output_activation": "softmax"},
            "needs output_activation in 'sigmoid'",
        ),
        ({"sizes": [3, 1], "output_activation": "softmax"}, "softmax' needs at least 2 output"),
    ],
)
def test_invalid_settings_name_the_setting(kwargs, message):
    settings = {"sizes": [3, 2], **kwargs}
    with pytest.raises(ConfigError, match=message):
        Network(settings.pop("sizes"), **settings)


def test_forward_keeps_zs_and_activations():
    network = Network([3, 4, 2], hidden_activation="tanh", output_activation="softmax", seed=1)
    X = np.random.default_rng(0).standard_normal((5, 3))
    zs, activations = network.feedforward_rows(X)  # rows in, columns inside
    np.testing.assert_array_equal(activations[0], X.T)
    assert [z.shape for z in zs] == [(4, 5), (2, 5)]
    np.testing.assert_allclose(zs[0], network.weights[0] @ X.T + network.biases[0])
    np.testing.assert_allclose(activations[1], np.tanh(zs[0]))
    np.testing.assert_allclose(activations[2].sum(axis=0), 1.0)
    np.testing.assert_array_equal(network.predict_proba(X), activations[-1].T)
    assert network.feedforward(X.T)[1][-1].shape == (2, 5)


def test_predict_is_argmax_or_threshold():
    X = np.zeros((3, 2))
    many = Network([2, 3], output_activation="identity", seed=0)
    many.weights[0][:] = 0.0
    many.biases[0][:] = [[0.1], [0.7], [0.3]]
    np.testing.assert_array_equal(many.predict(X), [1, 1, 1])
    one = Network([2, 1], seed=0)
    one.weights[0][:] = [[1.0, 0.0]]
    one.biases[0][:] = [[0.0]]
    # σ(−1) < 0.5 → 0; σ(0) = 0.5 is not above 0.5 → 0; σ(2) > 0.5 → 1.
    labels = one.predict(np.array([[-1.0, 0.0], [0.0, 0.0], [2.0, 5.0]]))
    np.testing.assert_array_equal(labels, [0, 0, 1])
    assert labels.dtype.kind == "i"


def test_cost_is_summed_over_samples():
    network = Network([2, 3, 2], output_activation="softmax", cost="cross_entropy", seed=4)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 2))
    Y = np.eye(2)[rng.integers(0, 2, 6)]
    total = network.cost(X, Y)
    assert total == pytest.approx(sum(network.cost(X[i : i + 1], Y[i : i + 1]) for i in range(6)))
    probabilities = network.predict_proba(X)
    assert total == pytest.approx(-np.sum(np.log(probabilities[Y == 1])))


def test_config_is_json_and_rebuilds_the_architecture():
    network = Network(
        [3, 5, 2],
        hidden_activation="relu",
        output_activation="softmax",
        cost="cross_entropy",
        initialiser="glorot_uniform",
        dtype="float32",
        seed=0,
    )
    config = json.loads(json.dumps(network.config()))
    rebuilt = Network(**config, seed=0)
    assert rebuilt.config() == network.config()
    for a, b in zip(rebuilt.weights, network.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_copy_is_independent():
    network = Network([2, 3, 1], seed=0)
    twin = network.copy()
    twin.weights[0][0, 0] += 1.0
    twin.biases[1][0] += 1.0
    assert twin.weights[0][0, 0] != network.weights[0][0, 0]
    assert twin.biases[1][0] != network.biases[1][0]
    assert twin.config() == network.config()


def test_seed_kinds_and_reproducibility():
    a = Network([3, 4, 2], seed=5)
    b = Network([3, 4, 2], seed=np.random.default_rng(5))
    c = Network([3, 4, 2], seed=6)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[0], c.weights[0])
    assert Network([3, 4, 2], seed=None).weights[0].shape == (4, 3)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dtype_reaches_parameters_and_outputs(dtype):
    network = Network([3, 4, 2], dtype=dtype, seed=0)
    assert all(p.dtype == dtype for p in network.weights + network.biases)
    assert network.predict_proba(np.ones((2, 3))).dtype == dtype


def test_initialisers_scale_as_documented():
    rng = np.random.default_rng(0)
    W, b = INITIALISERS["glorot_uniform"](40, 60, rng, np.dtype("float64"))
    limit = math.sqrt(6) / math.sqrt(100)
    assert np.abs(W).max() <= limit and np.abs(b).max() <= limit
    assert np.abs(W).max() > 0.9 * limit  # actually spread over the range
    W, b = INITIALISERS["normal_fan_in"](400, 300, rng, np.dtype("float64"))
    assert W.std() == pytest.approx(1 / math.sqrt(400), rel=0.02)
    assert b.std() == pytest.approx(1.0, rel=0.15)
    W, b = INITIALISERS["standard_normal"](400, 300, rng, np.dtype("float32"))
    assert W.dtype == b.dtype == np.float32
    assert W.std() == pytest.approx(1.0, rel=0.02)


def test_float32_network_matches_float64_from_the_same_seed():
    wide = Network([3, 4, 2], seed=9)
    narrow = Network([3, 4, 2], seed=9, dtype="float32")
    np.testing.assert_allclose(narrow.weights[0], wide.weights[0], rtol=1e-7)


def test_inputs_with_wrong_feature_count_are_rejected():
    network = Network([3, 2], seed=0)
    with pytest.raises(ConfigError, match=r"sizes\[0\]=3"):
        network.predict(np.ones((2, 4)))
    with pytest.raises(ConfigError, match="got shape \\(3,\\)"):
        network.predict(np.ones(3))
