"""The network: layer sizes, activations, a cost, and its weights and biases.

Samples are columns inside ``nets`` (article 000's and Nielsen's form, which trained faster here
than rows): layer l computes ``z = W a + b`` and ``a = f(z)``, with ``weights[l]`` of shape
(sizes[l+1], sizes[l]), ``biases[l]`` of shape (sizes[l+1], 1) and ``a`` of shape (units,
n_samples). The public methods that take data take rows (n_samples, features), as scikit-learn
does, and transpose at the boundary. Every hidden layer uses ``hidden_activation``; the last
uses ``output_activation``. How the gradient is computed lives in :mod:`nets.gradients`, how
it is used in :mod:`nets.training`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from numbers import Integral
from typing import Any

import numpy as np

from nets.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, Activation
from nets.checks import as_generator, check_choice
from nets.costs import COSTS, OUTPUT_LOSSES, Cost, OutputLoss
from nets.errors import ConfigError
from nets.initialisers import INITIALISERS

Array = np.ndarray
DTYPES = ("float64", "float32")
_CONFIG_KEYS = ("sizes", "hidden_activation", "output_activation", "cost", "initialiser", "dtype")


def _check_sizes(sizes: object) -> tuple[int, ...]:
    message = f"sizes must be a list of at least 2 positive integers; got {sizes!r}"
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise ConfigError(message)
    if len(sizes) < 2:
        raise ConfigError(message)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
            raise ConfigError(message)
    return tuple(int(size) for size in sizes)


def _check_dtype(dtype: object) -> np.dtype:
    try:
        resolved = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(map(repr, DTYPES))}; got {dtype!r}")
    return resolved


def labels_from_output(a: Array) -> Array:
    """(n,) int labels from output activations (n, k): argmax, or a > 0.5 when k == 1."""
    if a.shape[1] == 1:
        return (a[:, 0] > 0.5).astype(np.intp)
    return a.argmax(axis=1)


class Network:
    """A fully connected feed-forward network trained by backpropagation.

    Parameters are validated here, once: unknown names list the allowed ones, ``sizes`` must
    hold at least two positive ints, ``dtype`` is float64 or float32, and the cost must suit
    the output activation (cross_entropy needs softmax, binary_cross_entropy needs sigmoid;
    softmax needs at least two output units). ``seed`` is an int, None or a Generator.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        hidden_activation: str = "sigmoid",
        output_activation: str = "sigmoid",
        cost: str = "quadratic",
        initialiser: str = "standard_normal",
        dtype: str | np.dtype = "float64",
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self._configure(sizes, hidden_activation, output_activation, cost, initialiser, dtype)
        rng = as_generator(seed)
        initialise = INITIALISERS[self.initialiser]
        layers = [initialise(n_in, n_out, rng, self.dtype) for n_in, n_out in pairwise(self.sizes)]
        self.weights: list[Array] = [weights for weights, _ in layers]
        self.biases: list[Array] = [biases for _, biases in layers]

    def _configure(
        self,
        sizes: object,
        hidden_activation: object,
        output_activation: object,
        cost: object,
        initialiser: object,
        dtype: object,
    ) -> None:
        self.sizes: tuple[int, ...] = _check_sizes(sizes)
        self.hidden_activation = check_choice(
            "hidden_activation", hidden_activation, HIDDEN_ACTIVATIONS
        )
        self.output_activation = check_choice("output_activation", output_activation, ACTIVATIONS)
        self.cost_name = check_choice("cost", cost, COSTS)
        self.initialiser = check_choice("initialiser", initialiser, INITIALISERS)
        self.dtype: np.dtype = _check_dtype(dtype)
        self.cost_function: Cost = COSTS[self.cost_name]
        if self.output_activation not in self.cost_function.outputs:
            raise ConfigError(
                f"cost={self.cost_name!r} needs output_activation in "
                f"{', '.join(map(repr, self.cost_function.outputs))}; "
                f"got {self.output_activation!r}"
            )
        if self.output_activation == "softmax" and self.sizes[-1] < 2:
            raise ConfigError(
                f"output_activation='softmax' needs at least 2 output units; got sizes={self.sizes}"
            )
        #: the output activation and cost as one function of z_L, where they are one (else None)
        self.output_loss: OutputLoss | None = OUTPUT_LOSSES.get(
            (self.output_activation, self.cost_name)
        )
        n_layers = len(self.sizes) - 1
        self.layer_activations: tuple[Activation, ...] = (
            *[ACTIVATIONS[self.hidden_activation]] * (n_layers - 1),
            ACTIVATIONS[self.output_activation],
        )

    @classmethod
    def from_parameters(
        cls, config: Mapping[str, Any], weights: Sequence[Array], biases: Sequence[Array]
    ) -> Network:
        """Rebuild a network from ``config()`` and parameter arrays (copied, cast to dtype)."""
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a mapping; got {type(config).__name__}")
        unknown = sorted(set(config) - set(_CONFIG_KEYS))
        missing = [key for key in ("sizes",) if key not in config]
        if unknown or missing:
            raise ConfigError(
                f"config keys must be among {', '.join(_CONFIG_KEYS)} and include 'sizes'; "
                f"unknown {unknown}, missing {missing}"
            )
        defaults = {
            "hidden_activation": "sigmoid",
            "output_activation": "sigmoid",
            "cost": "quadratic",
            "initialiser": "standard_normal",
            "dtype": "float64",
        }
        settings = {**defaults, **config}
        network = cls.__new__(cls)
        network._configure(*(settings[key] for key in _CONFIG_KEYS))
        shapes = network.parameter_shapes()
        if len(weights) != len(shapes) or len(biases) != len(shapes):
            raise ConfigError(
                f"expected {len(shapes)} weight and bias arrays for sizes={network.sizes}; "
                f"got {len(weights)} and {len(biases)}"
            )
        network.weights, network.biases = [], []
        for layer, (w_shape, b_shape) in enumerate(shapes):
            for name, array, shape, store in (
                ("weights", weights[layer], w_shape, network.weights),
                ("biases", biases[layer], b_shape, network.biases),
            ):
                array = np.array(array, dtype=network.dtype)
                if array.shape != shape:
                    raise ConfigError(f"{name}[{layer}] must have shape {shape}; got {array.shape}")
                store.append(array)
        return network

    # --- description -------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this network (JSON-able); ``Network(**config)``."""
        return {
            "sizes": list(self.sizes),
            "hidden_activation": self.hidden_activation,
            "output_activation": self.output_activation,
            "cost": self.cost_name,
            "initialiser": self.initialiser,
            "dtype": self.dtype.name,
        }

    def parameter_shapes(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """[(weights[l].shape, biases[l].shape) for each layer l]: ((out, in), (out, 1))."""
        return [((n_out, n_in), (n_out, 1)) for n_in, n_out in pairwise(self.sizes)]

    @property
    def n_parameters(self) -> int:
        """Number of weights and biases."""
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases, strict=True))

    def copy(self) -> Network:
        """An independent copy (parameters copied)."""
        return Network.from_parameters(self.config(), self.weights, self.biases)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "sizes")
        return f"Network({list(self.sizes)}, {settings})"

    # --- inputs ------------------------------------------------------------------------------

    def check_inputs(self, X: object, name: str = "X") -> Array:
        """``X`` as an array of this network's dtype, checked to be (n_samples, sizes[0])."""
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ConfigError(
                f"{name} must be a 2-D array of shape (n_samples, {self.sizes[0]}) to match "
                f"sizes[0]={self.sizes[0]}; got shape {X.shape}"
            )
        return X

    def check_targets(self, Y: object, n_samples: int, name: str = "Y") -> Array:
        """``Y`` as an array of this network's dtype, checked to be (n_samples, sizes[-1])."""
        Y = np.asarray(Y, dtype=self.dtype)
        if Y.shape != (n_samples, self.sizes[-1]):
            raise ConfigError(
                f"{name} must have shape ({n_samples}, {self.sizes[-1]}) (one row of targets "
                f"per sample, one column per output unit); got shape {Y.shape}"
            )
        return Y

    # --- forward ---------------------------------------------------------------------------

    def feedforward(self, a: Array) -> tuple[list[Array], list[Array]]:
        """The forward pass on columns, keeping every ``z`` and ``a``.

        a: (sizes[0], n), one sample per column. Returns ``zs[l]`` (sizes[l+1], n) for each
        layer and ``activations`` with ``activations[0] = a`` and ``activations[l+1] = f(zs[l])``.
        """
        zs, activations = [], [a]
        for weights, biases, activation in zip(
            self.weights, self.biases, self.layer_activations, strict=True
        ):
            z = weights @ activations[-1] + biases
            zs.append(z)
            activations.append(activation(z))
        return zs, activations

    def feedforward_rows(self, X: Array) -> tuple[list[Array], list[Array]]:
        """``feedforward`` of the rows of X (n, sizes[0]), checked: its zs and activations are
        columns, (units, n)."""
        return self.feedforward(self.check_inputs(X).T)

    def predict_proba(self, X: Array) -> Array:
        """Output activations as rows, (n, sizes[-1]) (class scores for softmax/sigmoid)."""
        return self.feedforward_rows(X)[1][-1].T

    def predict(self, X: Array) -> Array:
        """(n,) int labels: argmax of the outputs, or output > 0.5 for a single output unit."""
        return labels_from_output(self.predict_proba(X))

    def summed_cost(self, z: Array, a: Array, y: Array) -> float:
        """The cost of the output layer's ``z`` and ``a = f(z)`` against targets ``y``, all
        (sizes[-1], n), summed over the samples; from ``z`` where the output activation and the
        cost are one loss (``output_loss``), exact however saturated ``a`` is."""
        if self.output_loss is not None:
            return self.output_loss.value(z, y)
        return self.cost_function.value(a, y)

    def cost(self, X: Array, Y: Array) -> float:
        """The cost SUMMED over the samples. X: (n, sizes[0]), Y: (n, sizes[-1]) targets."""
        X = self.check_inputs(X)
        Y = self.check_targets(Y, X.shape[0])
        zs, activations = self.feedforward(X.T)
        return self.summed_cost(zs[-1], activations[-1], Y.T)
