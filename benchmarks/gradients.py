"""The gradient routines of ``nets.gradients.GRADIENTS``, timed side by side.

Every registered routine (loop, per_unit, per_sample, vectorised, numerical) computes the
gradient of the summed cost of one batch on a [784, h, h, 10] network with the mnist-000
preset's settings (sigmoid, quadratic cost, standard-normal initialisation, float64), for batch
sizes x hidden widths. The inputs are the first rows of a fixed MNIST subset. Combinations a
routine could not finish within the suite's budget are skipped by an explicit estimate
(``common.skip_if_over_budget``), shown by asv as skipped, never shrunk. ``backprop-bench
report`` divides each time by the batch size and compares the routines.
"""

from __future__ import annotations

import functools
import itertools

from backprop_bench.experiments import speed  # the module: asv would time a time_ function
from nets.gradients import GRADIENTS, RUNGS

from .common import (
    BATCH_SIZES,
    PRESET,
    SMALL,
    WIDTHS,
    Benchmark,
    experiment,
    limit_blas,
    one_hot,
    preset_network,
    skip_if_over_budget,
)

N_INPUTS, N_CLASSES = 784, 10


def sizes_for(width: int) -> list[int]:
    return [N_INPUTS, width, width, N_CLASSES]


@functools.cache
def _network(width: int):
    return preset_network(sizes_for(width))


def _batch(data, batch_size: int, dtype):
    """The first ``batch_size`` rows of the subset and their one-hot targets."""
    return data.X_train[:batch_size], one_hot(data.y_train[:batch_size], N_CLASSES, dtype)


class GradientRoutines(Benchmark):
    """One call of ``GRADIENTS[routine](network, X, Y)`` on a batch of ``batch_size`` rows."""

    params = (tuple(GRADIENTS), BATCH_SIZES, WIDTHS)
    param_names = ("routine", "batch_size", "width")

    def setup_cache(self):
        limit_blas()
        return experiment(max(BATCH_SIZES), 100)

    def setup(self, data, routine, batch_size, width):
        limit_blas()
        skip_if_over_budget(routine, batch_size, sizes_for(width))
        self.gradient = GRADIENTS[routine]
        self.network = _network(width)
        self.X, self.Y = _batch(data, batch_size, self.network.dtype)

    def time_gradient(self, data, routine, batch_size, width):
        self.gradient(self.network, self.X, self.Y)


class VectorisedMemory(Benchmark):
    """Peak resident memory of the process while the vectorised routine runs at the largest
    batch and width (asv's peakmem: the process maximum, so it includes the interpreter,
    NumPy, the network and the batch, not only the routine's temporaries)."""

    def setup_cache(self):
        limit_blas()
        return experiment(max(BATCH_SIZES), 100)

    def setup(self, data):
        limit_blas()
        self.network = _network(max(WIDTHS))
        self.X, self.Y = _batch(data, max(BATCH_SIZES), self.network.dtype)

    def peakmem_vectorised(self, data):
        GRADIENTS["vectorised"](self.network, self.X, self.Y)


class RungSpeedup(Benchmark):
    """What each rung of vectorising buys: each rung's time over the next one's (loop over
    per_unit, per_unit over per_sample, per_sample over vectorised), batch 50, mnist-000's
    network, all four timed in turn in one process (the ``backprop-bench speed`` measurement).

    ``GradientRoutines`` times each routine in its own process, minutes apart; on a shared
    machine a slow patch then moves one side of a ratio only. Here the four are timed once, in
    ``setup_cache``, and each ratio is the median of the repeats' own ratios.
    """

    params = ([*(f"{slow}/{fast}" for slow, fast in itertools.pairwise(RUNGS)), "loop/vectorised"],)
    param_names = ("rungs",)
    timeout = 300

    def setup_cache(self):
        limit_blas()
        steps = speed.time_rungs(PRESET, batch_size=speed.ROUTINE_BATCH, repeats=3 if SMALL else 7)
        return {f"{step.a}/{step.b}": round(step.ratio, 1) for step in steps}

    def track_speedup(self, ratios, rungs):
        return ratios[rungs]

    track_speedup.unit = "ratio"
