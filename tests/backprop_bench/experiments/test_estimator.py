"""NetworkClassifier: scikit-learn's estimator checks, validation, presets, and a Pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import Preprocessor, prepare
from backprop_bench.experiments.estimator import NetworkClassifier
from nets.errors import ConfigError
from nets.presets import PRESETS

#: Checks NetworkClassifier is expected to fail, each with its reason. Empty: it passes all.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@pytest.mark.filterwarnings("ignore:batch_size=50 is larger than:UserWarning")
@parametrize_with_checks(
    [
        NetworkClassifier(),
        NetworkClassifier(
            hidden_layer_sizes=(8,), output_activation="softmax", cost="cross_entropy"
        ),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _three_blobs(seed: int = 0, n: int = 90) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, -2.0], [2.0, 2.0], [-2.0, 2.0]])
    y = np.arange(n) % 3
    return centres[y] + 0.5 * rng.standard_normal((n, 2)), y


def test_learns_digits_in_a_pipeline_with_the_shared_preprocessor():
    digits = load("digits")
    model = Pipeline(
        [
            ("prepare", Preprocessor(pixel_max=digits.pixel_max)),
            ("network", NetworkClassifier(random_state=0)),
        ]
    )
    model.fit(digits.x_train, digits.y_train)
    # 10 classes: chance is about 0.1; the source's network on 8x8 digits does far better.
    assert model.score(digits.x_test, digits.y_test) > 0.85


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"epochs": 0}, "'epochs'"),
        ({"batch_size": 0}, "'batch_size'"),
        ({"batch_size": "half"}, "'batch_size'"),
        ({"learning_rate": -0.1}, "'learning_rate'"),
        ({"learning_rate": float("inf")}, "'learning_rate'"),
        ({"reduction": "max"}, "'reduction'"),
        ({"momentum": 1.0}, "'momentum'"),
        ({"weight_decay": -1.0}, "'weight_decay'"),
        ({"gradient": "fast"}, "'gradient'"),
        ({"hidden_activation": "softmax"}, "'hidden_activation'"),
        ({"output_activation": "identity"}, "'output_activation'"),
        ({"cost": "hinge"}, "'cost'"),
        ({"initialiser": "zeros"}, "'initialiser'"),
        ({"dtype": "float16"}, "'dtype'"),
        ({"random_state": "seven"}, "'random_state'"),
        ({"hidden_layer_sizes": (30, 0)}, "'hidden_layer_sizes'"),
        ({"hidden_layer_sizes": (2.5,)}, "'hidden_layer_sizes'"),
    ],
)
def test_bad_hyperparameters_fail_at_fit_naming_the_parameter(params, named):
    X, y = _three_blobs()
    model = NetworkClassifier(**params)  # construction never validates (scikit-learn's rule)
    with pytest.raises((InvalidParameterError, ValueError), match=named):
        model.fit(X, y)


def test_cost_that_does_not_suit_the_output_is_a_config_error():
    X, y = _three_blobs()
    with pytest.raises(ConfigError, match="cross_entropy"):
        NetworkClassifier(cost="cross_entropy", output_activation="sigmoid").fit(X, y)


def test_layer_sizes_come_from_the_data():
    X, y = _three_blobs()
    model = NetworkClassifier(hidden_layer_sizes=(4, 3), epochs=1, random_state=0).fit(X, y)
    assert model.network_.sizes == (2, 4, 3, 3)
    assert model.n_features_in_ == 2
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    # Two classes with a sigmoid output: one unit giving P(classes_[1]); softmax: one per class.
    binary = y < 2
    one_unit = NetworkClassifier(hidden_layer_sizes=(), epochs=1).fit(X[binary], y[binary])
    assert one_unit.network_.sizes == (2, 1)
    softmax = NetworkClassifier(
        hidden_layer_sizes=(), epochs=1, output_activation="softmax", cost="cross_entropy"
    ).fit(X[binary], y[binary])
    assert softmax.network_.sizes == (2, 2)


def test_probabilities_agree_with_the_network():
    X, y = _three_blobs()
    model = NetworkClassifier(hidden_layer_sizes=(5,), random_state=1).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Rescaling the independent sigmoid outputs keeps the network's own prediction.
    np.testing.assert_array_equal(model.predict(X), model.classes_[model.network_.predict(X)])

    binary = y < 2
    labels = np.where(y[binary] == 0, "no", "yes")
    two = NetworkClassifier(hidden_layer_sizes=(5,), random_state=1).fit(X[binary], labels)
    output = two.network_.predict_proba(X[binary])[:, 0]
    np.testing.assert_allclose(two.predict_proba(X[binary])[:, 1], output)
    np.testing.assert_array_equal(two.predict(X[binary]), np.where(output > 0.5, "yes", "no"))


def test_history_has_test_accuracy_only_with_validation_data():
    X, y = _three_blobs()
    model = NetworkClassifier(epochs=3, random_state=0)
    assert all(record["test_accuracy"] is None for record in model.fit(X, y).history_)
    seen = []
    model.fit(X, y, validation_data=(X[:30], y[:30]), on_epoch=seen.append)
    assert [record["epoch"] for record in model.history_] == [r["epoch"] for r in seen]
    assert len(model.history_) == 3
    last = model.history_[-1]["test_accuracy"]
    assert last == pytest.approx(model.score(X[:30], y[:30]))


def test_validation_labels_must_be_known_classes():
    X, y = _three_blobs()
    with pytest.raises(ValueError, match="validation_data"):
        NetworkClassifier(epochs=1).fit(X, y, validation_data=(X, y + 1))


def test_one_class_is_refused():
    X, _ = _three_blobs()
    with pytest.raises(ValueError, match="at least 2 classes"):
        NetworkClassifier().fit(X, np.zeros(len(X)))


def test_batch_larger_than_the_data_warns_and_uses_full_batches():
    X, y = _three_blobs(n=30)
    with pytest.warns(UserWarning, match="batch_size=50 is larger than the 30"):
        NetworkClassifier(epochs=2).fit(X, y)


def test_random_state_makes_fits_repeatable():
    X, y = _three_blobs()

    def weights(seed):
        model = NetworkClassifier(epochs=2, random_state=seed).fit(X, y)
        return np.concatenate([w.ravel() for w in model.network_.weights])

    np.testing.assert_array_equal(weights(3), weights(3))
    assert not np.array_equal(weights(3), weights(4))
    rng_weights = NetworkClassifier(epochs=2, random_state=np.random.RandomState(3)).fit(X, y)
    assert np.isfinite(rng_weights.network_.weights[0]).all()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_from_preset_rebuilds_the_presets_network_and_training(name):
    preset = PRESETS[name]
    model = NetworkClassifier.from_preset(name)
    assert model.random_state == preset.default_seed
    assert NetworkClassifier.from_preset(name, random_state=7).random_state == 7
    for key in ("epochs", "batch_size", "learning_rate", "reduction", "momentum", "gradient"):
        assert getattr(model, key) == getattr(preset.training, key)
    # Fitted on the preset's own data (shrunk for speed), the network has the preset's sizes.
    data = prepare(load(preset.dataset)) if preset.dataset != "mnist" else None
    if data is None:
        rng = np.random.default_rng(0)
        X, y = rng.random((60, 784)), np.arange(60) % 10
    else:
        X, y = data.X_train, data.y_train
    model.set_params(epochs=1).fit(X, y)
    expected = {k: v for k, v in preset.network.items()}
    config = model.network_.config()
    assert {k: config[k] for k in expected} == {
        k: (list(v) if k == "sizes" else v) for k, v in expected.items()
    }


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="mnist-000") as error:
        NetworkClassifier.from_preset("mnist")
    assert all(name in str(error.value) for name in PRESETS)


@pytest.mark.slow
def test_mnist_000_reaches_0_940_on_the_full_test_set_with_the_default_seed():
    """The preset trained the way `backprop-bench train` trains it: data through
    ``datasets.load`` and the shared ``preprocessing.prepare``."""
    model = NetworkClassifier.from_preset("mnist-000")
    data = prepare(load("mnist"), dtype=model.dtype)
    model.fit(data.X_train, data.y_train, validation_data=(data.X_test, data.y_test))
    assert (data.n_train, data.n_test) == (60_000, 10_000)
    accuracy = model.score(data.X_test, data.y_test)
    assert accuracy >= 0.940, (
        f"mnist-000 with default seed {PRESETS['mnist-000'].default_seed}: {accuracy:.4f}"
    )
