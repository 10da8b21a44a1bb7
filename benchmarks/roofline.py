"""How close the vectorised training step comes to the machine's matrix-multiply speed.

The step is one gradient and parameter update exactly as ``nets.training.train`` takes it on a
batch (``nets.training.train_step``: the vectorised routine, then the update), the preset's
settings, batch 1024, network [784, 1024, 1024, 10] (batch 128 on [784, 128, 128, 10]
with BACKPROP_BENCH_ASV_SMALL), in float64 and float32, with BLAS on one thread and on every
core (NumPy's elementwise work runs on one core either way, so with more BLAS threads the same
overhead costs a larger share).

FLOP count: the step's eight matrix products, 2*m*k*n each for an (m, k) @ (k, n) product —
forward ``W_l @ a_{l-1}`` for the 3 layers, weight gradients ``delta_l @ a_{l-1}.T`` for the
3 layers, backward ``W_{l+1}.T @ delta_{l+1}`` for the 2 hidden layers (see
``matrix_products``). Everything
else the step does (sigmoids, their derivatives, the cost gradient, bias sums, the update) is
counted as zero: it is the overhead the ratio exposes.

Reference: the same eight products, on operands of the same shapes, layouts and dtype, timed
alone with ``np.matmul`` in the same process. Step and reference are timed alternately,
``REPEATS`` times each, and the best time of each is used (the same statistic for both). So

    ratio = (FLOPs / best step time) / (FLOPs / best products time)
          = best products time / best step time,

unitless, 1.0 being what NumPy's matrix multiply reaches on this machine with the same
number of BLAS threads. ``RooflineStep.time_step`` times the step alone, as asv times anything;
its GFLOP/s, for context, is ``step_flops(SIZES, BATCH)`` over that time (machine-dependent,
which is why it is a time to compare across commits, not a tracked number).
"""

from __future__ import annotations

import dataclasses
import itertools
import time

import numpy as np

from nets.presets import PRESETS
from nets.training import train_step

from .common import (
    PRESET,
    SMALL,
    Benchmark,
    limit_blas,
    one_hot,
    prepared,
    preset_network,
)

BATCH = 128 if SMALL else 1024
WIDTH = 128 if SMALL else 1024
SIZES = [784, WIDTH, WIDTH, 10]
DTYPES = ("float64", "float32")
REPEATS = 7
THREADS = (1,) if SMALL else (1, "all")
"""BLAS threads: one, and every core. On small data only one: a 128-wide step is too small for
threads to share, and with two BLAS threads on two shared cores its time swung by 1.4x between
runs of one commit, which would drown the small-data regression check."""


def matrix_products(sizes: list[int], batch: int) -> list[tuple[int, int, int, str]]:
    """The step's products as (m, k, n, layout), (m, k) @ (k, n), in the order the step runs them.

    layout gives the storage of each operand: "N" row-major, "T" the transpose of a row-major
    array. Samples are columns and the batch X (rows) comes in as Xᵀ: forward, z_l = W_l @
    a_{l-1} is "NT" for the first layer, "NN" after; backward, from the last layer, each
    layer's weight gradient δ_l @ a_{l-1}ᵀ ("NN" for the first layer, whose a_0ᵀ is X itself,
    "NT" after), then, below the output, the error sent down W_lᵀ @ δ_l ("TN").
    """
    layers = list(itertools.pairwise(sizes))
    products = [
        (n_out, n_in, batch, "NT" if layer == 0 else "NN")
        for layer, (n_in, n_out) in enumerate(layers)
    ]
    for layer in range(len(layers) - 1, -1, -1):  # backward: weight gradient, then delta
        n_in, n_out = layers[layer]
        products.append((n_out, batch, n_in, "NN" if layer == 0 else "NT"))
        if layer > 0:
            products.append((n_in, n_out, batch, "TN"))
    return products


def step_flops(sizes: list[int], batch: int) -> int:
    """2*m*k*n summed over the step's eight matrix products."""
    return sum(2 * m * k * n for m, k, n, _ in matrix_products(sizes, batch))


def _operand(rows: int, columns: int, transposed: bool, dtype: str, rng) -> np.ndarray:
    """A (rows, columns) operand, stored row-major, or as the transpose of a row-major array."""
    if transposed:
        return rng.random((columns, rows)).astype(dtype).T
    return rng.random((rows, columns)).astype(dtype)


def _operands(sizes, batch, dtype, rng):
    return [
        (_operand(m, k, layout[0] == "T", dtype, rng), _operand(k, n, layout[1] == "T", dtype, rng))
        for m, k, n, layout in matrix_products(sizes, batch)
    ]


def _products(pairs) -> None:
    for left, right in pairs:
        np.matmul(left, right)


def _best_times(network, X, Y, config, pairs) -> tuple[float, float]:
    """(best step seconds, best products seconds), timed alternately in this process."""
    train_step(network, X, Y, config, None)  # warm-up: first-touch allocations, BLAS threads
    _products(pairs)
    step, products = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        train_step(network, X, Y, config, None)
        step.append(time.perf_counter() - start)
        start = time.perf_counter()
        _products(pairs)
        products.append(time.perf_counter() - start)
    return min(step), min(products)


class _Step(Benchmark):
    """The step's network, batch, settings and reference products for one dtype and thread
    count."""

    params = (DTYPES, THREADS)
    param_names = ("dtype", "blas_threads")

    def setup_cache(self):
        limit_blas()
        return {dtype: prepared(BATCH, 100, dtype) for dtype in DTYPES}

    def setup(self, data, dtype, threads):
        limit_blas(threads)
        batch = data[dtype]
        self.network = preset_network(SIZES, dtype)
        self.X = batch.X_train
        self.Y = one_hot(batch.y_train, SIZES[-1], self.network.dtype)
        # A step small enough that repeated updates on one batch stay well inside the sigmoid's
        # range; the amount of work does not depend on the step's size.
        self.config = dataclasses.replace(
            PRESETS[PRESET].training, batch_size=BATCH, learning_rate=1e-3
        )
        self.pairs = _operands(SIZES, BATCH, dtype, np.random.default_rng(0))


class Roofline(_Step):
    processes = 1  # step and products alternate within the one round

    def setup_cache(self):  # asv runs a setup_cache once per class that defines it (#880)
        return super().setup_cache()

    def track_ratio(self, data, dtype, threads):
        step, products = _best_times(self.network, self.X, self.Y, self.config, self.pairs)
        return round(products / step, 2)

    track_ratio.unit = "ratio"


class RooflineStep(_Step):
    def setup_cache(self):
        return super().setup_cache()

    def time_step(self, data, dtype, threads):
        train_step(self.network, self.X, self.Y, self.config, None)
