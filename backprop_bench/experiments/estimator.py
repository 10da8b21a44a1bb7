"""The from-scratch network as a scikit-learn classifier.

``NetworkClassifier`` wraps ``nets.network.Network`` and ``nets.training.train`` so the network
goes through the same ``Pipeline``, the same shared preprocessing and the same model-selection
tools as the scikit-learn baselines. It adds nothing to the mathematics: fit builds a
``Network`` sized from the data and calls ``train``; predict is the network's forward pass.

Output layer (the one choice the wrapper makes):

- two classes with a sigmoid output: ONE sigmoid unit whose activation is P(classes_[1]) —
  what scikit-learn's MLPClassifier does, and what article 003's XOR network [2, 2, 2, 1] has;
- otherwise one unit per class (softmax needs at least two units; MNIST has ten).

``predict_proba`` must give rows that sum to one. Softmax outputs already do; independent
sigmoid units (the source's MNIST network) do not, so their activations are divided by their
row sum. This rescaling never changes the arg-max, so ``predict`` is the network's own
prediction (the unit with the largest activation).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from baselines.peer import NETWORK_PARAMETERS, check_hidden_layer_sizes
from nets.errors import ConfigError
from nets.gradients import GRADIENTS
from nets.network import Network
from nets.presets import PRESETS
from nets.training import TrainingConfig, train

_TRAINING_PARAMS = (
    "epochs",
    "batch_size",
    "learning_rate",
    "reduction",
    "momentum",
    "weight_decay",
    "gradient",
)


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """The from-scratch backprop network (``nets``) as a scikit-learn classifier.

    Layer sizes come from the data: ``[n_features_in_, *hidden_layer_sizes, n_outputs]`` with
    ``n_outputs`` = 1 for two classes and a sigmoid output, else the number of classes (see
    the module docstring). Training is ``nets.training.train``: mini-batch gradient descent,
    with the gradient summed over the batch (``reduction="sum"``, the source's convention) or
    averaged (``"mean"``). The defaults are article 000's MNIST experiment.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int >= 1, default (30, 30)
        Units in each hidden layer; ``()`` for none.
    hidden_activation, output_activation : str, default "sigmoid"
        Names in ``nets.activations.ACTIVATIONS``; the output must be "sigmoid" or "softmax".
    cost : str, default "quadratic"
        A name in ``nets.costs.COSTS``; ``nets`` rejects pairings that make no sense.
    initialiser : str, default "standard_normal"
        A name in ``nets.initialisers.INITIALISERS``.
    epochs : int >= 1, default 20
    batch_size : int >= 1 or "full", default 50
        Larger than the training set means full batch (with a warning, as MLPClassifier does).
    learning_rate : float > 0, default 0.1
    reduction : {"sum", "mean"}, default "sum"
    momentum : float in [0, 1), default 0.0
    weight_decay : float >= 0, default 0.0
    gradient : str, default "vectorised"
        The gradient routine, a name in ``nets.gradients.GRADIENTS``.
    dtype : {"float64", "float32"}, default "float64"
        Inputs are cast to this; the network's parameters have this dtype.
    random_state : int, RandomState instance or None, default None
        Seeds the initial weights and the per-epoch shuffles (the int is given to both, as
        ``nets.presets.Preset.fit`` does; a RandomState instance draws that int).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    network_ : nets.network.Network, the trained network
    history_ : list of dict, one per epoch (``nets.training.History.to_records()``)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_PARAMETERS,  # those its peers share, declared once
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "gradient": [StrOptions(set(GRADIENTS))],
    }

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (30, 30),
        hidden_activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        cost: str = "quadratic",
        initialiser: str = "standard_normal",
        epochs: int = 20,
        batch_size: int | str = 50,
        learning_rate: float = 0.1,
        reduction: str = "sum",
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        gradient: str = "vectorised",
        dtype: str = "float64",
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.cost = cost
        self.initialiser = initialiser
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reduction = reduction
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.gradient = gradient
        self.dtype = dtype
        self.random_state = random_state

    @classmethod
    def from_preset(cls, name: str, random_state: int | None = None) -> NetworkClassifier:
        """The classifier for one of ``nets.presets.PRESETS`` (network and training settings).

        ``random_state=None`` means the preset's ``default_seed`` (not fresh entropy), so
        ``from_preset(name)`` is the preset's experiment exactly.
        """
        if name not in PRESETS:
            raise ConfigError(f"preset must be one of {', '.join(sorted(PRESETS))}; got {name!r}")
        preset = PRESETS[name]
        network = dict(preset.network)
        sizes = network.pop("sizes")
        training = dataclasses.asdict(preset.training)
        params = {key: training[key] for key in _TRAINING_PARAMS}
        return cls(
            hidden_layer_sizes=tuple(sizes[1:-1]),
            **network,
            **params,
            random_state=preset.default_seed if random_state is None else random_state,
        )

    def _n_outputs(self, n_classes: int) -> int:
        return 1 if n_classes == 2 and self.output_activation == "sigmoid" else n_classes

    def _batch_size(self, n_samples: int) -> int | str:
        if self.batch_size == "full" or self.batch_size <= n_samples:
            return self.batch_size
        warnings.warn(
            f"batch_size={self.batch_size} is larger than the {n_samples} training samples: "
            "using full-batch steps instead",
            UserWarning,
            stacklevel=4,  # the caller of fit (through scikit-learn's _fit_context)
        )
        return "full"

    def _encode(self, y: np.ndarray, name: str) -> np.ndarray:
        """Labels -> indices into ``classes_``; an unknown label is an error naming ``name``."""
        index = np.searchsorted(self.classes_, y)
        index[index == len(self.classes_)] = 0
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(
                f"{name} holds labels the training data did not: {np.unique(y[unknown])[:5]!r}; "
                f"the classes are {self.classes_!r}"
            )
        return index

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any,
        validation_data: tuple[Any, Any] | None = None,
        on_epoch: Callable[[dict], None] | None = None,
    ) -> NetworkClassifier:
        """Build a network sized from ``X`` (n, n_features) and ``y`` (n,) and train it.

        ``validation_data=(X_test, y_test)`` adds the test accuracy and cost to each epoch's
        record in ``history_``. ``on_epoch(record)`` is called after every epoch with that
        epoch's record as a dict (the command line uses it to print the table as it goes).
        """
        hidden = check_hidden_layer_sizes(self)
        X, y = validate_data(self, X, y, dtype=self.dtype)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"NetworkClassifier needs at least 2 classes in y to learn from; got {n_classes} "
                f"class ({self.classes_!r})"
            )
        fit_kwargs: dict[str, Any] = {}
        if validation_data is not None:
            X_test, y_test = validation_data
            fit_kwargs["X_test"] = validate_data(self, X_test, reset=False, dtype=self.dtype)
            fit_kwargs["y_test"] = self._encode(np.asarray(y_test).ravel(), "validation_data")

        network = Network(
            [self.n_features_in_, *hidden, self._n_outputs(n_classes)],
            hidden_activation=self.hidden_activation,
            output_activation=self.output_activation,
            cost=self.cost,
            initialiser=self.initialiser,
            dtype=self.dtype,
            seed=(seed := _seed(self.random_state)),
        )
        config = TrainingConfig(
            epochs=self.epochs,
            batch_size=self._batch_size(len(X)),
            learning_rate=self.learning_rate,
            reduction=self.reduction,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            gradient=self.gradient,
        )
        if on_epoch is not None:
            fit_kwargs["on_epoch"] = lambda record: on_epoch(record.to_dict())
        history = train(network, X, y_index, config, seed=seed, **fit_kwargs)
        self.network_ = network
        self.history_ = history.to_records()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, (n, n_classes), columns in the order of ``classes_``."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=self.dtype)
        a = self.network_.predict_proba(X)
        if a.shape[1] == 1:  # one sigmoid unit: P(classes_[1])
            return np.hstack([1 - a, a])
        total = a.sum(axis=1, keepdims=True)
        empty = total[:, 0] == 0  # every sigmoid unit saturated at exactly 0
        a[empty] = 1
        total[empty] = a.shape[1]
        return a / total

    def predict(self, X: Any) -> np.ndarray:
        """The class of largest probability for each row of ``X``, shape (n,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _seed(random_state: int | np.random.RandomState | None) -> int | None:
    """scikit-learn's random_state as the int seed ``nets`` takes (None: fresh entropy).

    As in ``nets.presets.Preset.fit``, one int seeds both the initial weights and the
    shuffles, so ``from_preset(name).fit(X, y)`` trains exactly the network ``Preset.fit`` does.
    """
    if random_state is None or isinstance(random_state, Integral):
        return random_state
    return int(check_random_state(random_state).randint(2**31 - 1))
