"""What the network's peers share: the network of ``nets``, trained by another library.

``torch-mlp`` (PyTorch) and ``jax-mlp`` (JAX) train the very network of a preset: the same
layers, activations, cost, initialiser, batch size, epochs, summed (or mean) gradient and plain
SGD step. ``PeerNetworkClassifier`` holds what they have in common: their parameters (those of
a ``Mirror``), validated by the rules the network's own are (``NETWORK_PARAMETERS``), the
per-epoch record (``nets``' ``EpochRecord``) and prediction. Each subclass says how it trains
(``fit``), predicts (``predict_proba``) and counts its parameters, in its own library.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions

from baselines.mirror import Mirror
from nets.activations import HIDDEN_ACTIVATIONS
from nets.costs import COSTS
from nets.errors import DivergenceError
from nets.initialisers import INITIALISERS
from nets.network import DTYPES
from nets.training import REDUCTIONS, EpochRecord

#: Output activations that give non-negative scores a probability can be made of.
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")

NETWORK_PARAMETERS: dict[str, list[Any]] = {
    "hidden_layer_sizes": ["array-like"],  # and check_hidden_layer_sizes
    "hidden_activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
    "output_activation": [StrOptions(set(OUTPUT_ACTIVATIONS))],
    "cost": [StrOptions(set(COSTS))],
    "initialiser": [StrOptions(set(INITIALISERS))],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"full"})],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "reduction": [StrOptions(set(REDUCTIONS))],
    "dtype": [StrOptions(set(DTYPES))],
    "random_state": ["random_state"],
}
"""The parameters the network (``NetworkClassifier``) and its peers share, declared once as
scikit-learn's parameter validation (``_validate_params``) takes them."""


def check_hidden_layer_sizes(estimator: BaseEstimator) -> tuple[int, ...]:
    """``estimator.hidden_layer_sizes`` as a tuple of ints >= 1 (``()``: no hidden layer); else
    scikit-learn's ``InvalidParameterError`` naming the estimator."""
    sizes = np.atleast_1d(np.asarray(estimator.hidden_layer_sizes, dtype=object)).tolist()
    if any(isinstance(size, bool) or not isinstance(size, Integral) or size < 1 for size in sizes):
        raise InvalidParameterError(
            f"The 'hidden_layer_sizes' parameter of {type(estimator).__name__} must be a "
            "sequence of integers >= 1 (or () for no hidden layer). Got "
            f"{estimator.hidden_layer_sizes!r}."
        )
    return tuple(int(size) for size in sizes)


class PeerNetworkClassifier(ClassifierMixin, BaseEstimator):
    """The network of ``nets`` trained by another library: one output unit per class.

    ``fit(X, y, validation_data=(X_test, y_test))`` records per-epoch accuracy and cost in
    ``history_`` (the records of ``nets``' History; ``seconds`` is training time only).
    """

    def __init__(
        self,
        hidden_layer_sizes=(30, 30),
        hidden_activation="sigmoid",
        output_activation="sigmoid",
        cost="quadratic",
        initialiser="standard_normal",
        epochs=20,
        batch_size=50,
        learning_rate=0.1,
        reduction="sum",
        dtype="float64",
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.cost = cost
        self.initialiser = initialiser
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reduction = reduction
        self.dtype = dtype
        self.random_state = random_state

    @classmethod
    def from_mirror(cls, mirror: Mirror, seed: int | None = None):
        """The network of ``mirror``, unfitted, with ``seed`` as its random state."""
        return cls(
            hidden_layer_sizes=mirror.hidden_layer_sizes,
            hidden_activation=mirror.hidden_activation,
            output_activation=mirror.output_activation,
            cost=mirror.cost,
            initialiser=mirror.initialiser,
            epochs=mirror.epochs,
            batch_size=mirror.batch_size,
            learning_rate=mirror.learning_rate,
            reduction=mirror.reduction,
            dtype=mirror.dtype,
            random_state=seed,
        )

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_PARAMETERS,
        "batch_size": [Interval(Integral, 1, None, closed="left")],  # no "full" batch here
    }

    def _check_params(self) -> None:
        """``ValueError`` naming the first parameter that is not allowed, before any work: the
        network's own rules (``NETWORK_PARAMETERS``), and a cost its output activation suits."""
        self._validate_params()
        check_hidden_layer_sizes(self)
        if self.output_activation not in COSTS[self.cost].outputs:
            raise ValueError(
                f"cost={self.cost!r} needs output_activation in {COSTS[self.cost].outputs}"
            )

    def _mean_cost(self, proba: np.ndarray, y: np.ndarray) -> float:
        """The cost per sample of outputs ``proba`` (n, n_classes) for labels ``y``, as
        ``nets`` computes it (samples as columns)."""
        index = np.searchsorted(self.classes_, y).clip(max=len(self.classes_) - 1)
        targets = np.eye(len(self.classes_), dtype=proba.dtype)[index]
        return COSTS[self.cost](proba.T, targets.T) / len(y)

    def _epoch_record(self, epoch: int, seconds: float, X, y, validation_data) -> dict:
        """The epoch's record; ``DivergenceError`` when the cost is no longer finite."""
        proba = self.predict_proba(X)
        train_cost = self._mean_cost(proba, y)
        if not np.isfinite(train_cost):
            raise DivergenceError(
                f"training diverged at epoch {epoch}: the cost is {train_cost}; "
                f"learning_rate={self.learning_rate:g} is too large"
            )
        train_accuracy = float(np.mean(self.classes_[proba.argmax(1)] == y))
        test_accuracy = test_cost = None
        if validation_data is not None:
            X_test, y_test = validation_data
            proba = self.predict_proba(X_test)
            test_accuracy = float(np.mean(self.classes_[proba.argmax(1)] == y_test))
            test_cost = self._mean_cost(proba, np.asarray(y_test))
        return EpochRecord(
            epoch, train_accuracy, test_accuracy, train_cost, test_cost, seconds
        ).to_dict()

    def _end_epoch(self, epoch: int, seconds: float, X, y, validation_data, on_epoch) -> None:
        """Append the epoch's record to ``history_`` and hand it to ``on_epoch``, if given."""
        self.history_.append(self._epoch_record(epoch, seconds, X, y, validation_data))
        if on_epoch is not None:
            on_epoch(self.history_[-1])

    def predict_proba(self, X) -> np.ndarray:  # pragma: no cover - every peer overrides it
        raise NotImplementedError

    def predict(self, X) -> np.ndarray:
        """Class labels (n,): the output unit with the largest activation."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
