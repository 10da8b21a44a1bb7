"""One fit, measured: ``fit_one(spec, prepared, seed)`` -> a JSON-able record.

The record holds what the comparison tables need from one model and seed: train and test
accuracy, fit and predict seconds, the parameter count, the confusion matrix, the predicted
class of every test image (so that two models, or two runs, can be compared image by image),
and for iterative models (the network, the MLP) the per-epoch history. Rules:

- ``fit_seconds`` is training time only. For iterative models it is the sum of the epochs'
  training times: the train and test accuracy computed between epochs is excluded (it is in
  ``fit_wall_seconds``, the whole ``fit`` call).
- ``predict_seconds`` is the time to predict the test set.
- ``train_accuracy`` is measured on a fixed stratified subset of at most
  ``TRAIN_SCORE_SIZE`` training samples (``train_accuracy_n`` says how many), for every model
  alike: predicting all 60,000 MNIST training images with an SVC would take six times its test
  prediction. The per-epoch history holds the accuracy on the whole training set.
- Warnings raised while fitting (e.g. a solver that did not converge) are kept in the record,
  and so is what the solver did (``fitted``: iterations, support vectors).

The caller (the runner) adds the identity of the fit and the peak memory of the process.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix

from backprop_bench.data.preprocessing import PreparedData, stratified_subset
from backprop_bench.experiments.labels import encode_labels
from backprop_bench.experiments.models import ModelSpec

TRAIN_SCORE_SIZE = 2000
TRAIN_SCORE_SEED = 0


def fit_one(
    spec: ModelSpec,
    prepared: PreparedData,
    seed: int | None,
    *,
    on_epoch: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fit ``spec`` with ``seed`` on ``prepared``'s training data; measure it on both splits.

    ``on_epoch(epoch, epochs)`` is called after each epoch of an iterative model (progress).
    Exceptions from the model propagate: the runner turns them into a failed record.
    """
    estimator = spec.build(seed, prepared.n_train)
    X, y = prepared.X_train, prepared.y_train
    X_test, y_test = prepared.X_test, prepared.y_test
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        history = _fit(spec, estimator, prepared, on_epoch)
        fit_wall_seconds = time.perf_counter() - start

        start = time.perf_counter()
        predicted = estimator.predict(X_test)
        predict_seconds = time.perf_counter() - start

        scored = stratified_subset(y, min(TRAIN_SCORE_SIZE, len(y)), TRAIN_SCORE_SEED)
        train_accuracy = float(np.mean(estimator.predict(X[scored]) == y[scored]))
    labels = np.arange(prepared.n_classes)
    return {
        "train_accuracy": train_accuracy,
        "train_accuracy_n": len(scored),
        "test_accuracy": float(np.mean(predicted == y_test)),
        "fit_seconds": sum(r["seconds"] for r in history) if history else fit_wall_seconds,
        "fit_wall_seconds": fit_wall_seconds,
        "predict_seconds": predict_seconds,
        **_parameters(estimator),
        "fitted": fitted_details(estimator),
        "confusion_matrix": confusion_matrix(y_test, predicted, labels=labels).tolist(),
        "test_predictions": encode_labels(predicted),
        "history": history,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }


def _fit(
    spec: ModelSpec,
    estimator: Any,
    prepared: PreparedData,
    on_epoch: Callable[[int, int], None] | None,
) -> list[dict[str, Any]] | None:
    """Train ``estimator``; return its per-epoch history (``None`` for one-shot models)."""
    X, y = prepared.X_train, prepared.y_train
    if not spec.iterative:
        estimator.fit(X, y)
        return None
    epochs = estimator.max_iter if spec.kind == "mlp" else estimator.epochs

    def progress(record: Any) -> None:
        if on_epoch is not None:
            epoch = record["epoch"] if isinstance(record, dict) else record.epoch
            on_epoch(epoch, epochs)

    validation = (prepared.X_test, prepared.y_test)
    if spec.kind == "mlp":
        from baselines import fit_per_epoch

        return fit_per_epoch(
            estimator, X, y, X_test=validation[0], y_test=validation[1], on_epoch=progress
        )
    estimator.fit(X, y, validation_data=validation, on_epoch=progress)
    return [dict(record) for record in estimator.history_]


def _parameters(estimator: Any) -> dict[str, Any]:
    """``n_parameters`` and ``dtype`` of the fitted model; both ``None`` for a plugin model
    that keeps no float array where ``parameter_arrays`` looks."""
    try:
        return {"n_parameters": n_parameters(estimator), "dtype": fitted_dtype(estimator)}
    except TypeError:
        return {"n_parameters": None, "dtype": None}


def fitted_details(estimator: Any) -> dict[str, int]:
    """What the solver did: iterations run (lbfgs, SGD epochs), support vectors (SVC)."""
    details = {}
    if hasattr(estimator, "n_iter_"):
        details["n_iter"] = int(np.max(estimator.n_iter_))
    if hasattr(estimator, "n_support_"):
        details["n_support_vectors"] = int(np.sum(estimator.n_support_))
    return details


def parameter_arrays(estimator: Any) -> list[Any]:
    """The numbers the fitted model keeps to predict, as arrays (NumPy, JAX or PyTorch).

    Networks: weights and biases. Logistic regression: coefficients and intercepts. SVC: the
    support vectors (n_SV x n_features), their dual coefficients and the intercepts.
    """
    if hasattr(estimator, "network_"):
        return [*estimator.network_.weights, *estimator.network_.biases]
    if hasattr(estimator, "params_"):  # jax-mlp: [(W, b), ...]
        return [array for pair in estimator.params_ for array in pair]
    if hasattr(estimator, "parameters_"):  # torch-mlp
        return list(estimator.parameters_)
    if hasattr(estimator, "coefs_"):  # MLPClassifier
        return [*estimator.coefs_, *estimator.intercepts_]
    if hasattr(estimator, "support_vectors_"):
        return [estimator.support_vectors_, estimator.dual_coef_, estimator.intercept_]
    if hasattr(estimator, "coef_"):
        return [estimator.coef_, np.atleast_1d(estimator.intercept_)]
    found = _fitted_float_arrays(estimator)
    if not found:
        raise TypeError(f"cannot find the parameters of {type(estimator).__name__}")
    return found


def _fitted_float_arrays(estimator: Any) -> list[np.ndarray]:
    """Any other model's (a plugin's): the float arrays among its fitted attributes (public,
    named with a trailing underscore, as scikit-learn's convention has it), alone or in lists,
    in the order of their names."""
    found = []
    for name in sorted(vars(estimator)):
        if name.startswith("_") or not name.endswith("_"):
            continue
        value = getattr(estimator, name)
        items = value if isinstance(value, (list, tuple)) else [value]
        found += [a for a in items if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return found


def n_parameters(estimator: Any) -> int:
    """How many numbers the fitted model keeps to predict (``parameter_arrays``)."""
    return sum(int(np.prod(array.shape)) for array in parameter_arrays(estimator))


def fitted_dtype(estimator: Any) -> str:
    """The float type of the numbers the fitted model keeps, so the one it computed with:
    float64 for libsvm's SVC whatever it is given, float32 where a model keeps float32 data."""
    return str(parameter_arrays(estimator)[0].dtype).removeprefix("torch.")
