"""Weight initialisers, looked up by name: ``(n_in, n_out, rng, dtype) -> (W, b)``.

``W`` is (n_out, n_in) and ``b`` is (n_out, 1), matching ``z = W a + b``. Numbers are drawn in
float64 and then cast, so the same seed gives the same network (up to rounding) in float32.
The draws for one layer are W first, then b; W is drawn one input unit at a time (as the
(n_in, n_out) array that is then transposed), the order this project has always drawn in, so a
seed keeps giving the same network.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Array = np.ndarray
Initialiser = Callable[[int, int, np.random.Generator, np.dtype], tuple[Array, Array]]


def _layer(weights: Array, biases: Array, dtype: np.dtype) -> tuple[Array, Array]:
    """(n_in, n_out) draws and (n_out,) draws -> W (n_out, n_in) and b (n_out, 1) of ``dtype``."""
    return np.ascontiguousarray(weights.T, dtype=dtype), biases.astype(dtype)[:, np.newaxis]


def standard_normal(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[Array, Array]:
    """Weights and biases all N(0, 1), as in article 000 (``np.random.randn``)."""
    weights = rng.standard_normal((n_in, n_out))
    return _layer(weights, rng.standard_normal(n_out), dtype)


def glorot_uniform(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[Array, Array]:
    """Weights and biases uniform in ±√6 / √(n_in + n_out), article 002's ε_init.

    Article 002 keeps the bias in the same θ matrix, so the biases share the range.
    """
    limit = math.sqrt(6.0) / math.sqrt(n_in + n_out)
    weights = rng.uniform(-limit, limit, (n_in, n_out))
    return _layer(weights, rng.uniform(-limit, limit, n_out), dtype)


def normal_fan_in(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: np.dtype
) -> tuple[Array, Array]:
    """Weights N(0, 1) / √n_in, biases N(0, 1) (Nielsen's ``default_weight_initializer``)."""
    weights = rng.standard_normal((n_in, n_out)) / math.sqrt(n_in)
    return _layer(weights, rng.standard_normal(n_out), dtype)


INITIALISERS: dict[str, Initialiser] = {
    "standard_normal": standard_normal,
    "glorot_uniform": glorot_uniform,
    "normal_fan_in": normal_fan_in,
}
