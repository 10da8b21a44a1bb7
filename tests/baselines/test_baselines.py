"""The baselines: names, the settings they mirror, the per-epoch MLP loop, divergence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import baselines
from backprop_bench.experiments.fitting import fitted_dtype, n_parameters
from baselines import BASELINES, Mirror, MissingDependency, fit_per_epoch, make_baseline, registry
from baselines import mlp as mlp_module
from nets.errors import DivergenceError


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X[:1000], y[:1000], X[1000:], y[1000:]


def test_the_baselines_are_registered_with_their_engines():
    engines = {name: baseline.engine for name, baseline in BASELINES.items()}
    assert engines == {
        "svc-000": "libsvm",
        "svc": "libsvm",
        "svc-000-onedal": "oneDAL",
        "svc-onedal": "oneDAL",
        "mlp": "scikit-learn",
        "mlp-defaults": "scikit-learn",
        "linear": "scikit-learn",
        "torch-mlp": "PyTorch",
        "jax-mlp": "JAX",
    }


@pytest.mark.parametrize("name", ["svc-000", "svc", "mlp", "mlp-defaults", "linear"])
def test_make_baseline_returns_an_unfitted_clonable_estimator(name):
    estimator = make_baseline(name, Mirror(), seed=3)
    assert not hasattr(estimator, "classes_")
    assert clone(estimator).get_params() == estimator.get_params()


def test_mlp_defaults_is_scikit_learns_mlp_at_its_defaults_seeded():
    made = make_baseline("mlp-defaults", Mirror(hidden_layer_sizes=(7,), epochs=3), seed=4)
    assert made.get_params() == MLPClassifier(random_state=4).get_params()
    assert not BASELINES["mlp-defaults"].deterministic  # runs over the seeds


def test_unknown_baseline_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown baseline 'svm'.*svc-000, svc, svc-000-onedal"):
        make_baseline("svm", Mirror(), 0)


def test_a_missing_optional_dependency_says_how_to_install_it(monkeypatch):
    torch = BASELINES["torch-mlp"]
    monkeypatch.setitem(
        registry.BASELINES, "torch-mlp", registry.Baseline(
            torch.name, torch.make, torch.description, torch.deterministic, torch.iterative,
            torch.engine, extra="torch", available=lambda: False,
        ),
    )  # fmt: skip
    with pytest.raises(MissingDependency, match=r'pip install "backprop-bench\[torch\]"'):
        make_baseline("torch-mlp", Mirror(), 0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hidden_layer_sizes", (), "hidden_layer_sizes"),
        ("hidden_layer_sizes", (30, 0), "hidden_layer_sizes"),
        ("batch_size", 0, "batch_size"),
        ("epochs", 2.5, "epochs"),
        ("learning_rate", -0.1, "learning_rate"),
        ("learning_rate", float("nan"), "learning_rate"),
        ("reduction", "max", "reduction"),
        ("dtype", "float16", "dtype"),
    ],
)
def test_mirror_rejects_bad_settings_naming_them(field, value, message):
    with pytest.raises(ValueError, match=message):
        Mirror(**{field: value})


def test_mean_learning_rate_converts_the_summed_step():
    # article 000: a step of 0.1 on the gradient summed over 50 samples = 5.0 on their mean
    assert Mirror(learning_rate=0.1, batch_size=50, reduction="sum").mean_learning_rate == 5.0
    assert Mirror(learning_rate=0.1, batch_size=50, reduction="mean").mean_learning_rate == 0.1


def test_svcs_are_article_000s_and_todays_defaults(digits):
    X, y, _, _ = digits
    seed, today = make_baseline("svc-000", Mirror(), 0), make_baseline("svc", Mirror(), 0)
    for svc in (seed, today):
        assert (svc.kernel, svc.C) == ("rbf", 1.0)
    assert (seed.gamma, today.gamma) == ("auto", "scale")
    seed.fit(X[:300], y[:300])
    assert seed._gamma == pytest.approx(1 / X.shape[1])  # 1 / n_features, as SVC() did in 2017


def test_mlp_mirrors_the_network_settings():
    mirror = Mirror(hidden_layer_sizes=(30, 20), batch_size=25, epochs=7, learning_rate=0.2)
    mlp = make_baseline("mlp", mirror, 5)
    assert mlp.hidden_layer_sizes == (30, 20)
    assert mlp.activation == "logistic"
    assert (mlp.solver, mlp.momentum, mlp.nesterovs_momentum, mlp.alpha) == ("sgd", 0, False, 0)
    assert (mlp.batch_size, mlp.max_iter, mlp.learning_rate) == (25, 7, "constant")
    assert mlp.learning_rate_init == pytest.approx(0.2 * 25 * mlp_module.STEP_SCALE)
    assert not mlp.early_stopping and mlp.n_iter_no_change > mirror.epochs
    assert mlp.random_state == 5


def test_fit_per_epoch_records_every_epoch_and_learns(digits):
    X, y, X_test, y_test = digits
    mlp = make_baseline("mlp", Mirror(epochs=20), 0)
    seen = []
    history = fit_per_epoch(mlp, X, y, X_test=X_test, y_test=y_test, on_epoch=seen.append)
    assert [r["epoch"] for r in history] == list(range(1, 21)) and seen == history
    assert all(r["seconds"] > 0 and 0 <= r["test_accuracy"] <= 1 for r in history)
    assert history[-1]["test_accuracy"] > 0.85
    assert history[-1]["test_accuracy"] == pytest.approx(mlp.score(X_test, y_test))
    assert mlp.random_state == 0  # the caller's setting is restored
    assert mlp.n_iter_ == 20


def test_fit_per_epoch_first_epoch_is_fits_own(digits):
    X, y, _, _ = digits
    stepped = make_baseline("mlp", Mirror(epochs=1), 4)
    fit_per_epoch(stepped, X, y)
    whole = make_baseline("mlp", Mirror(epochs=1), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole.fit(X, y)
    stepped_parameters = stepped.coefs_ + stepped.intercepts_
    for a, b in zip(stepped_parameters, whole.coefs_ + whole.intercepts_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_per_epoch_draws_a_new_order_every_epoch(digits):
    # partial_fit with an int random_state re-seeds every call: every epoch the same order.
    X, y, _, _ = digits
    naive = make_baseline("mlp", Mirror(epochs=3), 4)
    for _ in range(3):
        naive.partial_fit(X, y, classes=np.unique(y))
    ours = make_baseline("mlp", Mirror(epochs=3), 4)
    fit_per_epoch(ours, X, y)
    assert not np.allclose(naive.coefs_[0], ours.coefs_[0])


def test_fit_per_epoch_stops_on_divergence(digits):
    X, y, _, _ = digits
    mlp = make_baseline("mlp", Mirror(epochs=3), 0).set_params(learning_rate_init=1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(DivergenceError, match="diverged at epoch 1"):
            fit_per_epoch(mlp, X, y)


def test_linear_floor_converges_on_digits(digits):
    X, y, X_test, y_test = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        linear = make_baseline("linear", Mirror(), None).fit(X, y)
    assert linear.score(X_test, y_test) > 0.9


def test_torch_mlp_computes_the_networks_gradient(digits):
    torch = pytest.importorskip("torch")
    from baselines.torch_mlp import TorchNetworkClassifier, _costs
    from nets.gradients import GRADIENTS
    from nets.network import Network

    X, y, _, _ = digits
    X, Y = X[:50], np.eye(10)[y[:50]]
    network = Network([64, 30, 30, 10], seed=0)  # article 000's network: sigmoid, quadratic
    model = TorchNetworkClassifier()
    # torch-mlp keeps rows as samples (a @ W + b, W (in, out)); nets keeps columns (W a + b)
    model.parameters_ = [
        torch.tensor(array, requires_grad=True)
        for pair in zip(network.weights, network.biases, strict=True)
        for array in (pair[0].T.copy(), pair[1][:, 0].copy())
    ]
    cost = _costs(torch)["quadratic"](model._forward(torch, torch.tensor(X)), torch.tensor(Y))
    cost.sum().backward()
    assert cost.sum().item() == pytest.approx(network.cost(X, Y), rel=1e-12)
    expected = GRADIENTS["vectorised"](network, X, Y)
    arrays = [
        array
        for pair in zip(expected.weights, expected.biases, strict=True)
        for array in (pair[0].T, pair[1][:, 0])
    ]
    for parameter, gradient in zip(model.parameters_, arrays, strict=True):
        np.testing.assert_allclose(parameter.grad.numpy(), gradient, atol=1e-12)


def test_torch_mlp_trains_and_records_epochs(digits):
    pytest.importorskip("torch")
    X, y, X_test, y_test = digits
    model = make_baseline("torch-mlp", Mirror(epochs=20), 1)
    model.fit(X, y, validation_data=(X_test, y_test))
    assert [r["epoch"] for r in model.history_] == list(range(1, 21))
    assert model.history_[-1]["test_accuracy"] == pytest.approx(model.score(X_test, y_test))
    assert model.score(X_test, y_test) > 0.8
    assert n_parameters(model) == 64 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10


def test_torch_available_reflects_the_environment():
    try:
        import torch  # noqa: F401
    except ImportError:
        assert not baselines.torch_mlp.torch_available()
    else:
        assert baselines.torch_mlp.torch_available()


JAX_NOTE = 'jax-mlp needs the optional JAX extra: pip install "backprop-bench[jax]"'


def _rows(network):
    """A nets network's parameters (or gradient) as [(W.T, b), ...], samples as rows."""
    return [(W.T, b[:, 0]) for W, b in zip(network.weights, network.biases, strict=True)]


@pytest.mark.parametrize(
    ("hidden", "output", "cost", "seed"),
    [
        ("sigmoid", "sigmoid", "quadratic", 0),
        ("tanh", "softmax", "cross_entropy", 1),
        ("relu", "sigmoid", "binary_cross_entropy", 2),
        ("identity", "softmax", "quadratic", 3),
        ("sigmoid", "softmax", "cross_entropy", 4),
    ],
)
def test_jax_mlp_gradient_agrees_with_nets_on_random_networks(hidden, output, cost, seed):
    pytest.importorskip("jax", reason=JAX_NOTE)
    import jax

    from baselines.jax_mlp import parameters_of, summed_cost
    from nets.gradients import GRADIENTS
    from nets.network import Network

    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(2, 12, size=int(rng.integers(3, 5)))]
    network = Network(
        sizes, hidden_activation=hidden, output_activation=output, cost=cost, seed=rng
    )
    X = rng.normal(size=(17, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=17)]
    expected = GRADIENTS["vectorised"](network, X, Y)
    options = {"hidden_activation": hidden, "output_activation": output, "cost": cost}
    value, gradient = jax.value_and_grad(summed_cost)(parameters_of(network), X, Y, **options)
    assert float(value) == pytest.approx(network.cost(X, Y), rel=1e-12)
    largest = max(float(np.max(np.abs(g))) for pair in _rows(expected) for g in pair)
    for (W, b), (W_jax, b_jax) in zip(_rows(expected), gradient, strict=True):
        assert np.max(np.abs(np.asarray(W_jax) - W)) <= 1e-10 * largest
        assert np.max(np.abs(np.asarray(b_jax) - b)) <= 1e-10 * largest


@pytest.mark.parametrize(("reduction", "learning_rate"), [("sum", 0.1), ("mean", 3.0)])
def test_jax_mlp_trains_the_very_network_nets_trains(digits, reduction, learning_rate):
    """Same initial weights, same batch order (a last batch of 40), same step: the same
    weights after two epochs, up to rounding."""
    pytest.importorskip("jax", reason=JAX_NOTE)
    from nets.network import Network
    from nets.training import TrainingConfig, train

    X, y, X_test, y_test = digits
    mirror = Mirror(batch_size=64, epochs=2, learning_rate=learning_rate, reduction=reduction)
    model = make_baseline("jax-mlp", mirror, 7).fit(X, y, validation_data=(X_test, y_test))
    network = Network([64, 30, 30, 10], seed=7)
    config = TrainingConfig(
        epochs=2, batch_size=64, learning_rate=learning_rate, reduction=reduction
    )
    history = train(network, X, y, config, X_test=X_test, y_test=y_test, seed=7)
    for (W, b), (W_jax, b_jax) in zip(_rows(network), model.params_, strict=True):
        np.testing.assert_allclose(np.asarray(W_jax), W, rtol=0, atol=1e-9)
        np.testing.assert_allclose(np.asarray(b_jax), b, rtol=0, atol=1e-9)
    for record, ours in zip(history, model.history_, strict=True):
        assert ours["test_accuracy"] == record.test_accuracy
        assert ours["train_cost"] == pytest.approx(record.train_cost, rel=1e-9)
    assert n_parameters(model) == 64 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10


def test_jax_mlp_trains_in_float32(digits):
    pytest.importorskip("jax", reason=JAX_NOTE)
    X, y, X_test, y_test = digits
    model = make_baseline("jax-mlp", Mirror(epochs=20, dtype="float32"), 0).fit(X, y)
    assert all(W.dtype == np.float32 for pair in model.params_ for W in pair)
    assert fitted_dtype(model) == "float32"
    assert model.predict_proba(X_test).dtype == np.float32
    float64 = make_baseline("jax-mlp", Mirror(epochs=20), 0).fit(X, y)
    assert model.score(X_test, y_test) > 0.8
    assert model.score(X_test, y_test) == pytest.approx(float64.score(X_test, y_test), abs=0.02)


def test_jax_mlp_refuses_a_cost_its_output_cannot_take():
    from baselines.jax_mlp import JaxNetworkClassifier

    # checked before JAX is imported: the same error with or without the extra
    model = JaxNetworkClassifier.from_mirror(Mirror(cost="cross_entropy"), 0)  # sigmoid output
    with pytest.raises(ValueError, match=r"cost='cross_entropy' needs output_activation"):
        model.fit(np.zeros((20, 3)), np.arange(20) % 2)


def test_mlp_is_an_mlpclassifier():
    assert isinstance(make_baseline("mlp", Mirror(), 0), MLPClassifier)


@pytest.mark.parametrize(
    ("libsvm", "onedal"), [("svc-000", "svc-000-onedal"), ("svc", "svc-onedal")]
)
def test_onedal_fits_the_same_svm_as_libsvm(digits, libsvm, onedal):
    """oneDAL's SVC is the same SVM: same parameters, test accuracy within 0.001 of libsvm's
    (on digits: 1,000 training images, 797 test images)."""
    pytest.importorskip("sklearnex", reason='oneDAL is an optional extra: "backprop-bench[onedal]"')
    X, y, X_test, y_test = digits
    ours, theirs = make_baseline(libsvm, Mirror(), None), make_baseline(onedal, Mirror(), None)
    assert type(theirs).__module__.startswith("sklearnex")
    assert {k: theirs.get_params()[k] for k in ("kernel", "C", "gamma", "tol")} == {
        k: ours.get_params()[k] for k in ("kernel", "C", "gamma", "tol")
    }
    accuracy = [model.fit(X, y).score(X_test, y_test) for model in (ours, theirs)]
    assert abs(accuracy[0] - accuracy[1]) <= 0.001, accuracy
