"""Mini-batch gradient descent: ``TrainingConfig`` says how, ``train`` does it, ``History`` records.

One step on a batch of m samples, with g = dC/dθ the gradient of the cost SUMMED over the
batch (from the routine named by ``config.gradient``), η the learning rate, λ the weight
decay and μ the momentum:

    s = 1 when reduction = "sum" (the source's semantics: article 000's BGD steps η·Σ)
    s = 1/m when reduction = "mean" (the usual convention: η times the batch average)
    v ← μ v − η (s g + λ W)        (v starts at 0; λ W only for weights, never biases)
    W ← W + v

With μ = 0 this is plain gradient descent, W ← W − η (s g + λ W): L2 weight decay λ is the
gradient of ½ λ ‖W‖² added once per step. "sum" with η equals "mean" with η·m, so the two
conventions differ by a factor of the batch size. ``batch_size="full"`` is full-batch
gradient descent, ``batch_size=1`` per-example SGD; the last batch of an epoch may be
smaller, as in article 000. ``train_step`` takes one step: the routine's gradient, then
``apply_step``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from numbers import Integral
from typing import Any, Literal

import numpy as np

from nets.checks import as_generator, check_choice, check_int, check_real
from nets.errors import ConfigError, DivergenceError
from nets.gradients import GRADIENTS
from nets.network import Network, labels_from_output

Array = np.ndarray
REDUCTIONS = ("sum", "mean")
_EVALUATION_CHUNK = 16384  # rows per forward pass when evaluating, to bound memory


@dataclass(frozen=True)
class TrainingConfig:
    """How to train; validated at construction (see the module docstring for the update rule).

    epochs >= 1; batch_size an int >= 1 or "full"; learning_rate finite > 0; reduction "sum"
    or "mean"; momentum in [0, 1); weight_decay finite >= 0; gradient a key of GRADIENTS.
    """

    epochs: int
    batch_size: int | Literal["full"]
    learning_rate: float
    reduction: str = "sum"
    momentum: float = 0.0
    weight_decay: float = 0.0
    gradient: str = "vectorised"

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise through the back door, once
        set_(self, "epochs", check_int("epochs", self.epochs, minimum=1))
        if self.batch_size != "full":
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, Integral):
                raise ConfigError(
                    f"batch_size must be an integer >= 1 or 'full'; got {self.batch_size!r}"
                )
            set_(self, "batch_size", check_int("batch_size", self.batch_size, minimum=1))
        set_(
            self,
            "learning_rate",
            check_real("learning_rate", self.learning_rate, low=0.0, low_open=True),
        )
        check_choice("reduction", self.reduction, REDUCTIONS)
        set_(self, "momentum", check_real("momentum", self.momentum, low=0.0, high=1.0))
        set_(self, "weight_decay", check_real("weight_decay", self.weight_decay, low=0.0))
        check_choice("gradient", self.gradient, GRADIENTS)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict; ``TrainingConfig(**to_dict())`` rebuilds it."""
        return asdict(self)


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did. Costs are per sample (summed cost / n); epochs count from 1.

    ``seconds`` is the time spent training in the epoch, evaluation excluded. The test
    fields are None when no test data was given.
    """

    epoch: int
    train_accuracy: float
    test_accuracy: float | None
    train_cost: float
    test_cost: float | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EPOCH_FIELDS = tuple(field.name for field in fields(EpochRecord))
"""An epoch record's fields, in order: the columns of every per-epoch table."""


class History:
    """The epoch records of one training run, in order."""

    def __init__(self, records: list[EpochRecord] | None = None) -> None:
        self.records: list[EpochRecord] = list(records or [])

    def append(self, record: EpochRecord) -> None:
        self.records.append(record)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per epoch (ready for ``pandas.DataFrame``)."""
        return [record.to_dict() for record in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[EpochRecord]:
        return iter(self.records)

    def __getitem__(self, index: int) -> EpochRecord:
        return self.records[index]

    def __repr__(self) -> str:
        return f"History({len(self.records)} epochs)"


def _check_labels(network: Network, y: object, n_samples: int, name: str) -> Array:
    """y as (n,) int labels in range for the output layer."""
    n_classes = 2 if network.sizes[-1] == 1 else network.sizes[-1]
    allowed = f"integer class labels in 0..{n_classes - 1}"
    labels = np.asarray(y)
    if labels.shape != (n_samples,):
        raise ConfigError(
            f"{name} must be a 1-D array of {n_samples} {allowed}; got shape {labels.shape}"
        )
    if labels.dtype == bool:
        labels = labels.astype(np.intp)
    elif not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.floating) or not np.all(labels == np.round(labels)):
            raise ConfigError(f"{name} must hold {allowed}; got dtype {labels.dtype}")
        labels = labels.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ConfigError(
            f"{name} must hold {allowed} (the network has {network.sizes[-1]} output "
            f"unit(s)); got values from {labels.min()} to {labels.max()}"
        )
    return labels.astype(np.intp, copy=False)


def _check_data(network: Network, X: object, y: object, name: str) -> tuple[Array, Array]:
    X = np.ascontiguousarray(network.check_inputs(X, name=f"X{name}"))
    if X.shape[0] == 0:
        raise ConfigError(f"X{name} must hold at least one sample; got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ConfigError(f"X{name} must be finite; it holds NaN or inf")
    return X, _check_labels(network, y, X.shape[0], name=f"y{name}")


def one_hot(network: Network, labels: Array) -> Array:
    """Targets (n, sizes[-1]) for integer labels: one-hot rows, or the 0/1 column for 1 unit."""
    if network.sizes[-1] == 1:
        return labels.astype(network.dtype)[:, np.newaxis]
    targets = np.zeros((labels.size, network.sizes[-1]), dtype=network.dtype)
    targets[np.arange(labels.size), labels] = 1.0
    return targets


def _evaluate(network: Network, X: Array, labels: Array, Y: Array) -> tuple[float, float]:
    """(accuracy, cost per sample) from one forward pass, in chunks of rows."""
    correct, cost = 0, 0.0
    for start in range(0, X.shape[0], _EVALUATION_CHUNK):
        rows = slice(start, start + _EVALUATION_CHUNK)
        zs, activations = network.feedforward(X[rows].T)
        output = activations[-1]
        correct += int(np.count_nonzero(labels_from_output(output.T) == labels[rows]))
        cost += network.summed_cost(zs[-1], output, Y[rows].T)
    return correct / X.shape[0], cost / X.shape[0]


def _step(config: TrainingConfig, m: int) -> float:
    """η s: the factor of the summed gradient of a batch of m samples in the update."""
    return config.learning_rate / m if config.reduction == "mean" else config.learning_rate


def _update(
    parameter: Array, scaled: Array, velocity: Array | None, momentum: float, decay: float
) -> None:
    """θ ← θ − η s g − η λ θ, or with momentum v ← μ v − η s g − η λ θ, θ ← θ + v, in place.

    ``scaled`` is η s g (it may be overwritten); ``decay`` is η λ, 0 for biases.
    """
    if velocity is None:
        if decay:
            parameter *= 1.0 - decay
        parameter -= scaled
    else:
        velocity *= momentum
        velocity -= scaled
        if decay:
            velocity -= decay * parameter
        parameter += velocity


def apply_step(
    network: Network, gradient: Any, velocity: list[Array] | None, config: TrainingConfig, m: int
) -> None:
    """One update of the parameters in place (the module docstring's formula).

    ``gradient`` is a routine's Gradient of the cost summed over the ``m`` samples of the
    batch (its arrays are scaled in place); ``velocity`` is None without momentum, else one
    array per parameter (weights, then biases).
    """
    step = _step(config, m)
    decay = config.learning_rate * config.weight_decay
    n_weights = len(network.weights)
    for index, (parameter, grad) in enumerate(
        zip(network.weights + network.biases, gradient.weights + gradient.biases, strict=True)
    ):
        grad *= step  # η s g, in the routine's fresh array
        v = None if velocity is None else velocity[index]
        _update(parameter, grad, v, config.momentum, decay if index < n_weights else 0.0)


def train_step(
    network: Network, X: Array, Y: Array, config: TrainingConfig, velocity: list[Array] | None
) -> None:
    """One step of ``train`` on the batch X (m, sizes[0]), Y (m, sizes[-1]) targets: the
    gradient from ``config.gradient``'s routine, then ``apply_step``."""
    gradient = GRADIENTS[config.gradient](network, X, Y)
    apply_step(network, gradient, velocity, config, X.shape[0])


def _divergence(network: Network, cost: float) -> str | None:
    """What shows that training has diverged, or None.

    A non-finite cost or parameter; or a parameter beyond the square root of the dtype's
    largest number (about 1e154 in float64, 2e19 in float32), where its square overflows. A
    step that large has blown the network up even when every number is still finite: its
    units saturate, their gradients vanish and the cost stays finite at chance accuracy.
    """
    if not math.isfinite(cost):
        return "the cost became NaN or infinite"
    largest = max(float(np.max(np.abs(p))) for p in network.weights + network.biases)
    if not math.isfinite(largest):
        return "the weights became NaN or infinite"
    if largest > math.sqrt(np.finfo(network.dtype).max):
        return f"the weights blew up (largest |w| {largest:.2g}, past where w² overflows)"
    return None


def train(
    network: Network,
    X: Array,
    y: Array,
    config: TrainingConfig,
    *,
    X_test: Array | None = None,
    y_test: Array | None = None,
    seed: int | np.random.Generator | None = None,
    on_epoch: Callable[[EpochRecord], Any] | None = None,
) -> History:
    """Train ``network`` in place by mini-batch gradient descent and return its History.

    X: (n, sizes[0]) features (cast once to the network's dtype; never modified); y: (n,)
    integer class labels (0/1 for a single output unit), one-hot encoded once here. Each
    epoch visits the samples in an order drawn from a Generator derived from ``seed``, then
    evaluates accuracy and per-sample cost on the training data (and the test data if
    given) with one forward pass each, appends an EpochRecord and calls ``on_epoch(record)``.

    Every setting and input is checked before any work (ConfigError). A non-finite cost, or
    weights that are not finite or have blown up past where their squares overflow, after an
    epoch raise DivergenceError naming the epoch.
    """
    if not isinstance(network, Network):
        raise ConfigError(f"network must be a nets Network; got {type(network).__name__}")
    if not isinstance(config, TrainingConfig):
        raise ConfigError(f"config must be a TrainingConfig; got {type(config).__name__}")
    X, labels = _check_data(network, X, y, name="")
    n = X.shape[0]
    if (X_test is None) != (y_test is None):
        raise ConfigError("X_test and y_test must be given together (or neither)")
    test = None if X_test is None else _check_data(network, X_test, y_test, name="_test")
    batch_size = n if config.batch_size == "full" else config.batch_size
    if batch_size > n:
        raise ConfigError(
            f"batch_size must be at most the number of training samples ({n}) or 'full'; "
            f"got {batch_size}"
        )
    if on_epoch is not None and not callable(on_epoch):
        raise ConfigError(f"on_epoch must be callable or None; got {on_epoch!r}")
    rng = as_generator(seed)

    Y = one_hot(network, labels)
    test_targets = None if test is None else one_hot(network, test[1])
    velocity = None
    if config.momentum > 0:
        velocity = [np.zeros_like(p) for p in network.weights + network.biases]
    history = History()
    full_batch = batch_size == n

    for epoch in range(1, config.epochs + 1):
        # Overflow and NaN are not warned about here: divergence is detected below, by value.
        with np.errstate(all="ignore"):
            start = time.perf_counter()
            if full_batch:  # the order cannot matter for one summed gradient: skip the copy
                train_step(network, X, Y, config, velocity)
            else:
                order = rng.permutation(n)
                for first in range(0, n, batch_size):
                    rows = order[first : first + batch_size]
                    train_step(
                        network, X.take(rows, axis=0), Y.take(rows, axis=0), config, velocity
                    )
            seconds = time.perf_counter() - start
            train_accuracy, train_cost = _evaluate(network, X, labels, Y)
            test_accuracy = test_cost = None
            if test is not None:
                test_accuracy, test_cost = _evaluate(network, test[0], test[1], test_targets)
        problem = _divergence(network, train_cost)
        if problem:
            raise DivergenceError(
                f"training diverged at epoch {epoch} of {config.epochs}: {problem} with "
                f"learning_rate={config.learning_rate:g}; try a smaller learning rate"
            )
        record = EpochRecord(epoch, train_accuracy, test_accuracy, train_cost, test_cost, seconds)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history
