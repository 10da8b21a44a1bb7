"""Training: the update rule as documented, records, divergence and validation."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nets import GRADIENTS, ConfigError, DivergenceError, Network, TrainingConfig, train
from nets.gradcheck import relative_error
from nets.training import apply_step, one_hot, train_step
from tests.nets.support import HIDDEN, PAIRINGS, problem


def small_problem(n: int = 12, seed: int = 0) -> tuple[Network, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    network = Network([3, 4, 3], output_activation="softmax", cost="cross_entropy", seed=rng)
    return network, rng.standard_normal((n, 3)), rng.integers(0, 3, n)


def parameters(network: Network) -> list[np.ndarray]:
    return [p.copy() for p in network.weights + network.biases]


def assert_same(a: list[np.ndarray], b: list[np.ndarray], rtol: float = 0.0) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=0)


def test_sum_and_mean_differ_by_a_factor_of_the_batch_size():
    network, X, y = small_problem()
    summed, averaged = network.copy(), network.copy()
    train(summed, X, y, TrainingConfig(3, 4, 0.05, reduction="sum"), seed=1)
    train(averaged, X, y, TrainingConfig(3, 4, 0.05 * 4, reduction="mean"), seed=1)
    assert_same(parameters(summed), parameters(averaged), rtol=1e-12)
    assert not np.allclose(summed.weights[0], network.weights[0])


def test_minibatch_steps_follow_the_seeded_order_and_the_last_batch_is_smaller():
    # 10 samples in batches of 4: sizes 4, 4, 2; "mean" divides each by its own size.
    network, X, y = small_problem(n=10)
    expected = network.copy()
    train(network, X, y, TrainingConfig(2, 4, 0.3, reduction="mean"), seed=42)
    Y = one_hot(expected, y)
    rng = np.random.default_rng(42)
    for _ in range(2):
        order = rng.permutation(10)
        for first in range(0, 10, 4):
            rows = order[first : first + 4]
            gradient = GRADIENTS["vectorised"](expected, X[rows], Y[rows])
            for p, g in zip(
                expected.weights + expected.biases,
                gradient.weights + gradient.biases,
                strict=True,
            ):
                p -= 0.3 / rows.size * g
    assert_same(parameters(network), parameters(expected), rtol=1e-12)


def test_full_batch_is_one_step_on_the_summed_gradient():
    network, X, y = small_problem()
    start = network.copy()
    train(network, X, y, TrainingConfig(1, "full", 0.1))
    gradient = GRADIENTS["vectorised"](start, X, one_hot(start, y))
    expected = [
        p - 0.1 * g
        for p, g in zip(parameters(start), gradient.weights + gradient.biases, strict=True)
    ]
    assert_same(parameters(network), expected, rtol=1e-13)


def test_weight_decay_shrinks_weights_but_not_biases():
    network, X, y = small_problem()
    start = network.copy()
    train(network, X, y, TrainingConfig(1, "full", 0.1, weight_decay=0.5))
    g = GRADIENTS["vectorised"](start, X, one_hot(start, y))
    # W ← W − η (g + λ W); b ← b − η g
    for W, W0, gW in zip(network.weights, start.weights, g.weights, strict=True):
        np.testing.assert_allclose(W, W0 - 0.1 * (gW + 0.5 * W0), rtol=1e-13)
    for b, b0, gb in zip(network.biases, start.biases, g.biases, strict=True):
        np.testing.assert_allclose(b, b0 - 0.1 * gb, rtol=1e-13)


def test_momentum_keeps_a_velocity():
    network, X, y = small_problem()
    W = network.copy()
    train(network, X, y, TrainingConfig(2, "full", 0.1, momentum=0.9, reduction="mean"))
    Y = one_hot(W, y)
    n = X.shape[0]
    # v1 = −η g(θ0)/n; θ1 = θ0 + v1; v2 = μ v1 − η g(θ1)/n; θ2 = θ1 + v2
    g0 = GRADIENTS["vectorised"](W, X, Y)
    v1 = [-0.1 * g / n for g in g0.weights + g0.biases]
    for p, v in zip(W.weights + W.biases, v1, strict=True):
        p += v
    g1 = GRADIENTS["vectorised"](W, X, Y)
    v2 = [0.9 * v - 0.1 * g / n for v, g in zip(v1, g1.weights + g1.biases, strict=True)]
    for p, v in zip(W.weights + W.biases, v2, strict=True):
        p += v
    assert_same(parameters(network), parameters(W), rtol=1e-12)


@pytest.mark.parametrize("gradient", ["loop", "per_sample"])
def test_any_registered_routine_trains_the_same_way(gradient):
    network, X, y = small_problem()
    reference = network.copy()
    train(network, X, y, TrainingConfig(2, 5, 0.1, gradient=gradient), seed=3)
    train(reference, X, y, TrainingConfig(2, 5, 0.1), seed=3)
    assert_same(parameters(network), parameters(reference), rtol=1e-10)


def test_history_records_each_epoch():
    network, X, y = small_problem(n=30)
    X_test, y_test = X[:7] + 0.1, y[:7]
    seen = []
    start = time.perf_counter()
    history = train(
        network,
        X,
        y,
        TrainingConfig(4, 8, 0.2),
        X_test=X_test,
        y_test=y_test,
        seed=0,
        on_epoch=seen.append,
    )
    wall = time.perf_counter() - start
    assert len(history) == 4 and list(history) == seen
    assert [record.epoch for record in history] == [1, 2, 3, 4]
    last = history[-1]
    Y = one_hot(network, y)
    assert last.train_cost == pytest.approx(network.cost(X, Y) / 30)
    assert last.train_accuracy == pytest.approx(np.mean(network.predict(X) == y))
    assert last.test_accuracy == pytest.approx(np.mean(network.predict(X_test) == y_test))
    assert last.test_cost == pytest.approx(network.cost(X_test, one_hot(network, y_test)) / 7)
    # each epoch's training time is measured, and it excludes the scoring between epochs
    assert all(record.seconds > 0 for record in history)
    assert sum(record.seconds for record in history) < wall
    records = history.to_records()
    assert records[0].keys() == {
        "epoch",
        "train_accuracy",
        "test_accuracy",
        "train_cost",
        "test_cost",
        "seconds",
    }
    no_test = train(network, X, y, TrainingConfig(1, 8, 0.2), seed=0)
    assert no_test[0].test_accuracy is None and no_test[0].test_cost is None


def test_single_output_unit_trains_on_zero_one_labels():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(int)
    network = Network([2, 1], cost="binary_cross_entropy", seed=0)
    history = train(network, X, y, TrainingConfig(100, "full", 0.5, reduction="mean"))
    assert history[-1].train_accuracy >= 0.95
    np.testing.assert_array_equal(one_hot(network, np.array([1, 0])), [[1.0], [0.0]])


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_divergence_raises_with_the_epoch(activation):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3)) * 10
    y = rng.integers(0, 2, 20)
    network = Network([3, 8, 2], hidden_activation=activation, output_activation="identity", seed=0)
    with pytest.raises(
        DivergenceError, match=r"diverged at epoch \d+ of 50.*smaller learning rate"
    ):
        train(network, X, y, TrainingConfig(50, 5, 1e3), seed=0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_network_blown_up_by_a_huge_step_is_a_divergence(dtype):
    # A sigmoid network stepped by 1e300 (1e30 in float32) ends with finite weights near the
    # step's size: every unit saturates, the gradient vanishes, and the cost stays finite at
    # chance. That is a blow-up, not a result.
    rng = np.random.default_rng(0)
    X = rng.random((60, 8))
    y = rng.integers(0, 3, 60)
    network = Network([8, 6, 3], dtype=dtype, seed=0)
    step = 1e300 if dtype == "float64" else 1e30
    with pytest.raises(DivergenceError, match=r"diverged at epoch 1 of 3: the weights blew up"):
        train(network, X, y, TrainingConfig(3, 10, step), seed=0)
    assert all(np.isfinite(w).all() for w in network.weights)  # finite, yet blown up


def test_large_but_sane_weights_are_not_a_divergence():
    rng = np.random.default_rng(1)
    X = rng.random((30, 4))
    y = rng.integers(0, 2, 30)
    network = Network([4, 5, 2], seed=0)
    network.weights[0][:] *= 1e6  # saturating, unusual, but still ordinary arithmetic
    history = train(network, X, y, TrainingConfig(2, 10, 0.1), seed=0)  # no DivergenceError
    assert [record.epoch for record in history] == [1, 2]
    assert all(np.isfinite(record.train_cost) for record in history)
    assert all(np.isfinite(w).all() for w in network.weights)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"epochs": 2.0}, "epochs must be an integer"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"batch_size": "all"}, "batch_size must be an integer >= 1 or 'full'"),
        ({"batch_size": 2.5}, "batch_size must be"),
        ({"learning_rate": 0.0}, r"learning_rate must be a finite number in \(0, inf\)"),
        ({"learning_rate": -0.1}, "learning_rate must be"),
        ({"learning_rate": float("nan")}, "learning_rate must be"),
        ({"learning_rate": float("inf")}, "learning_rate must be"),
        ({"learning_rate": "0.1"}, "learning_rate must be"),
        ({"reduction": "avg"}, "reduction must be one of 'sum', 'mean'"),
        ({"momentum": 1.0}, r"momentum must be a finite number in \[0, 1\)"),
        ({"momentum": -0.1}, "momentum must be"),
        ({"weight_decay": -1e-4}, "weight_decay must be"),
        (
            {"gradient": "fastest"},
            "gradient must be one of 'loop', 'per_unit', 'per_sample', 'vectorised'",
        ),
    ],
)
def test_invalid_training_settings_fail_at_construction(settings, message):
    arguments = {"epochs": 1, "batch_size": 2, "learning_rate": 0.1, **settings}
    with pytest.raises(ConfigError, match=message):
        TrainingConfig(**arguments)


def _bad_inputs():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 3)), rng.integers(0, 3, 10)
    good = {"X": X, "y": y}
    return [
        ({**good, "config": TrainingConfig(1, 11, 0.1)}, "batch_size must be at most .* \\(10\\)"),
        ({**good, "X": X[:, :2]}, r"X must be a 2-D array of shape \(n_samples, 3\)"),
        ({**good, "X": X[0]}, "X must be a 2-D array"),
        ({**good, "y": np.append(y[:-1], 3)}, r"y must hold integer class labels in 0\.\.2"),
        ({**good, "y": np.append(y[:-1], -1)}, "y must hold integer class labels"),
        ({**good, "y": y[:-1]}, "y must be a 1-D array of 10"),
        ({**good, "y": y + 0.5}, "y must hold integer class labels"),
        ({**good, "X": np.where(np.eye(10, 3) > 0, np.nan, X)}, "X must be finite"),
        ({**good, "X_test": X}, "X_test and y_test must be given together"),
        ({**good, "X_test": X[:, :2], "y_test": y}, "X_test must be a 2-D array"),
        ({**good, "X_test": X, "y_test": y + 5}, "y_test must hold"),
        ({**good, "seed": -3}, "seed must be"),
        ({**good, "on_epoch": 5}, "on_epoch must be callable"),
        ({**good, "config": {"epochs": 1}}, "config must be a TrainingConfig"),
    ]


@pytest.mark.parametrize(("arguments", "message"), _bad_inputs())
def test_invalid_inputs_fail_before_any_work(arguments, message):
    network = Network([3, 4, 3], output_activation="softmax", cost="cross_entropy", seed=0)
    before = parameters(network)
    calls = []
    settings = {"config": TrainingConfig(1, 2, 0.1), "on_epoch": calls.append, **arguments}
    X, y, config = settings.pop("X"), settings.pop("y"), settings.pop("config")
    with pytest.raises(ConfigError, match=message):
        train(network, X, y, config, **settings)
    assert_same(parameters(network), before)
    assert calls == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_callers_arrays_are_not_mutated(dtype):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 3, 20)
    X_test, y_test = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    copies = [a.copy() for a in (X, y, X_test, y_test)]
    network = Network([3, 4, 3], output_activation="softmax", cost="cross_entropy", dtype=dtype)
    train(network, X, y, TrainingConfig(2, 3, 0.1), X_test=X_test, y_test=y_test, seed=0)
    for original, copy in zip((X, y, X_test, y_test), copies, strict=True):
        np.testing.assert_array_equal(original, copy)
    assert all(p.dtype == dtype for p in network.weights + network.biases)


def test_same_seed_gives_identical_weights():
    results = []
    for seed in (7, 7, 8):
        network, X, y = small_problem(n=30)
        train(network, X, y, TrainingConfig(3, 4, 0.1), seed=seed)
        results.append(parameters(network))
    assert_same(results[0], results[1])
    assert not np.array_equal(results[0][0], results[2][0])


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "cost"), PAIRINGS)
@pytest.mark.parametrize(
    "settings",
    [
        {"reduction": "sum"},
        {"reduction": "mean", "weight_decay": 0.3},
        {"reduction": "mean", "momentum": 0.9},
        {"reduction": "sum", "momentum": 0.5, "weight_decay": 0.1},
    ],
)
def test_train_step_is_the_routine_then_apply_step(hidden, output, cost, settings):
    """train_step is apply_step after GRADIENTS["vectorised"]: nothing is folded into it."""
    network, X, Y = problem([4, 5, 3, 2], hidden, output, cost, n=6, seed=7)
    stepped = network.copy()
    config = TrainingConfig(1, 6, 0.05, **settings)
    velocities = [
        [np.zeros_like(p) for p in net.weights + net.biases] if config.momentum else None
        for net in (stepped, network)
    ]
    for _ in range(3):  # three steps, so that momentum's velocity is used, not only set
        train_step(stepped, X, Y, config, velocities[0])
        gradient = GRADIENTS["vectorised"](network, X, Y)
        apply_step(network, gradient, velocities[1], config, X.shape[0])
    for mine, theirs in zip(parameters(stepped), parameters(network), strict=True):
        assert relative_error(mine, theirs) <= 1e-12
        assert mine.flags.f_contiguous == theirs.flags.f_contiguous


def test_training_steps_leave_returned_gradients_alone():
    """A training step never writes into gradients a routine returned earlier."""
    network, X, Y = problem([4, 6, 3], "sigmoid", "softmax", "cross_entropy", n=5, seed=1)
    gradient = GRADIENTS["vectorised"](network, X, Y)
    kept = [g.copy() for g in gradient.weights + gradient.biases]
    train_step(network, X, Y, TrainingConfig(1, 5, 0.1), None)
    assert_same(gradient.weights + gradient.biases, kept)


def test_a_full_batch_epoch_is_one_train_step():
    """A full-batch epoch of ``train`` is one ``train_step`` (the step the roofline times)."""
    rng = np.random.default_rng(1)
    X, y = rng.random((16, 12)), rng.integers(0, 4, 16)
    config = TrainingConfig(epochs=1, batch_size=16, learning_rate=0.5)
    trained, stepped = Network([12, 7, 4], seed=3), Network([12, 7, 4], seed=3)
    train(trained, X, y, config, seed=0)
    train_step(stepped, X, np.eye(4)[y], config, None)
    for a, b in zip(
        trained.weights + trained.biases, stepped.weights + stepped.biases, strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(stepped.weights[0], Network([12, 7, 4], seed=3).weights[0])
