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
import importlib.util
import itertools
import math

import numpy as np
from asv_runner.benchmarks.mark import skip_for_params

from backprop_bench.experiments import speed  # the module: asv would time a time_ function
from nets.gradients import GRADIENTS, RUNGS
from nets.gradients.base import Gradient

from .common import (
    BATCH_SIZES,
    PRESET,
    WIDTHS,
    Benchmark,
    limit_blas,
    one_hot,
    over_budget,
    prepared,
    preset_network,
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


OVER_BUDGET = [
    (routine, batch_size, width)
    for routine in GRADIENTS
    for batch_size in BATCH_SIZES
    for width in WIDTHS
    if over_budget(routine, batch_size, sizes_for(width))
]
"""The grid's combinations asv skips (``common.over_budget``); shown as skipped, never shrunk."""

_inputs: dict[tuple[int, int], tuple] = {}  # (batch_size, width) -> (network, X, Y)


def _inputs_for(data, batch_size: int, width: int) -> tuple:
    """The network and batch of one combination, built on the first call in this process."""
    key = (batch_size, width)
    if key not in _inputs:
        limit_blas()
        network = _network(width)
        _inputs[key] = (network, *_batch(data, batch_size, network.dtype))
    return _inputs[key]


class GradientRoutines(Benchmark):
    """One call of ``GRADIENTS[routine](network, X, Y)`` on a batch of ``batch_size`` rows.

    No ``setup`` method, on purpose: with one, asv times every call on its own with ``setup``
    re-run in between (asv_runner's isolation of timed calls), and a call of tens of
    microseconds timed alone moved by up to 2x between two runs of the same commit. Without
    it, asv times as many calls per sample as fill ``sample_time``; the inputs are built on
    the first (warm-up) call and looked up after that.
    """

    params = (tuple(GRADIENTS), BATCH_SIZES, WIDTHS)
    param_names = ("routine", "batch_size", "width")

    def setup_cache(self):
        limit_blas()
        return prepared(max(BATCH_SIZES), 100)

    @skip_for_params(OVER_BUDGET)
    def time_gradient(self, data, routine, batch_size, width):
        GRADIENTS[routine](*_inputs_for(data, batch_size, width))


class VectorisedMemory(Benchmark):
    """Peak resident memory of the process while the vectorised routine runs at the largest
    batch and width (asv's peakmem: the process maximum, so it includes the interpreter,
    NumPy, the network and the batch, not only the routine's temporaries)."""

    def setup_cache(self):
        limit_blas()
        return prepared(max(BATCH_SIZES), 100)

    def setup(self, data):
        limit_blas()
        self.network = _network(max(WIDTHS))
        self.X, self.Y = _batch(data, max(BATCH_SIZES), self.network.dtype)

    def peakmem_vectorised(self, data):
        GRADIENTS["vectorised"](self.network, self.X, self.Y)


RUNG_REPEATS = 11


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
    processes = 1  # measured once, in setup_cache; the rounds would only re-read it

    def setup_cache(self):
        limit_blas()
        repeats = speed.Repeats.exactly(RUNG_REPEATS)
        steps = speed.time_rungs(PRESET, batch_size=speed.ROUTINE_BATCH, repeats=repeats)
        return {f"{step.a}/{step.b}": round(step.ratio, 1) for step in steps}

    def track_speedup(self, ratios, rungs):
        return ratios[rungs]

    track_speedup.unit = "ratio"


AGREEMENT_BATCH = 10
"""The batch on which the routines are compared (1 where a routine's budget allows only that)."""


def relative_difference(got, want) -> float:
    """The largest over parameter arrays of max|got - want| / max|want| (0 where want is 0)."""
    worst = 0.0
    for g, w in zip([*got.weights, *got.biases], [*want.weights, *want.biases], strict=True):
        scale = float(np.max(np.abs(w)))
        worst = max(worst, float(np.max(np.abs(np.asarray(g) - w))) / scale if scale else 0.0)
    return worst


def power_of_ten_bound(value: float, floor: float = 1e-16) -> float:
    """The smallest power of ten at or above ``value`` (at least ``floor``): a tracked number
    that moves only when agreement changes by an order of magnitude, not with the last bit."""
    return float(10.0 ** math.ceil(math.log10(max(value, floor))))


def torch_gradient(network, X, Y):
    """The same gradient (the summed cost of the batch) by PyTorch's autograd, on the
    network's own weights: the twin of ``baselines.torch_mlp`` without its training loop."""
    import torch

    from baselines.torch_mlp import _activations, _costs

    activations, costs = _activations(torch), _costs(torch)
    weights = [torch.tensor(w.T, requires_grad=True) for w in network.weights]  # (in, out)
    biases = [torch.tensor(b[:, 0], requires_grad=True) for b in network.biases]
    a = torch.tensor(X)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        last = layer == len(weights) - 1
        a = activations[network.output_activation if last else network.hidden_activation](a @ W + b)
    costs[network.cost_name](a, torch.tensor(Y)).sum().backward()
    return Gradient([W.grad.numpy().T for W in weights], [b.grad.numpy()[:, None] for b in biases])


def jax_gradient(network, X, Y):
    """The same gradient by ``jax.grad`` of ``baselines.jax_mlp.summed_cost`` (jax-mlp's own
    cost), on the network's own weights."""
    import jax

    from baselines.jax_mlp import parameters_of, summed_cost

    options = {
        "hidden_activation": network.hidden_activation,
        "output_activation": network.output_activation,
        "cost": network.cost_name,
    }
    grads = jax.grad(summed_cost)(parameters_of(network), X, Y, **options)
    return Gradient([np.asarray(W).T for W, _ in grads], [np.asarray(b)[:, None] for _, b in grads])


#: The autograd twins, by ``Agreement``'s parameter: (the module they need, the gradient).
TWINS = {"torch": ("torch", torch_gradient), "jax": ("jax", jax_gradient)}


def _batch_for(routine: str, width: int) -> int:
    """AGREEMENT_BATCH, or 1 where the suite's budget does not allow that batch."""
    return 1 if over_budget(routine, AGREEMENT_BATCH, sizes_for(width)) else AGREEMENT_BATCH


AGAINST = {"backprop": ("loop", "per_unit", "per_sample"), "numerical": ("numerical",)}
"""What ``Agreement`` compares with the vectorised routine, by parameter (torch, jax: TWINS)."""


class Agreement(Benchmark):
    """How closely the gradient routines agree, tracked beside their speed, so that a change
    which makes a routine faster by breaking it shows in the same dashboard.

    For every hidden width of the grid, on the first rows of the same MNIST subset, each routine
    is compared with the vectorised one (batch 10, or 1 where the suite's budget allows only
    that): ``backprop`` takes the worst of loop, per_unit and per_sample (they compute the same
    sums in other orders: about 1e-16 to 1e-15); ``numerical`` the central differences
    (truncation error, about 1e-8 to 1e-6); ``torch`` PyTorch's autograd and ``jax`` JAX's on
    the same weights (each skipped where its library is not installed). The tracked value is
    the largest relative difference rounded up to a power of ten (``power_of_ten_bound``).
    """

    params = (("backprop", "numerical", "torch", "jax"),)
    param_names = ("against",)
    processes = 1  # deterministic: one round says it all

    def setup_cache(self):
        limit_blas()
        return prepared(max(BATCH_SIZES), 100)

    def setup(self, data, against):
        limit_blas()
        if against in TWINS and importlib.util.find_spec(TWINS[against][0]) is None:
            raise NotImplementedError(f"{TWINS[against][0]} is not installed in this environment")

    def track_agreement(self, data, against):
        worst = 0.0
        for width in WIDTHS:
            network = _network(width)
            for routine in AGAINST.get(against, (against,)):
                if routine in TWINS:
                    X, Y = _batch(data, AGREEMENT_BATCH, network.dtype)
                    got = TWINS[routine][1](network, X, Y)
                elif over_budget(routine, 1, sizes_for(width)):
                    continue
                else:
                    X, Y = _batch(data, _batch_for(routine, width), network.dtype)
                    got = GRADIENTS[routine](network, X, Y)
                want = GRADIENTS["vectorised"](network, X, Y)
                worst = max(worst, relative_difference(got, want))
        return power_of_ten_bound(worst)

    track_agreement.unit = "relative difference"
