"""What every benchmark class shares: timing settings, sizes, data and the skip rule.

The suite follows scikit-learn's asv_benchmarks: a base class holds the timing settings, each
benchmark class declares ``params``/``param_names``, expensive preparation (loading MNIST,
fitting a baseline) happens once in ``setup_cache`` (redefined in every class that needs one:
asv runs a ``setup_cache`` once per class that defines it, asv issue #880), and ``track_``
methods return accuracies and ratios measured in the same runs as the timings.

Nothing is computed here that nets/, baselines/ or backprop_bench/ already compute: data comes
from ``backprop_bench.data.datasets.load`` (and its cache) through
``backprop_bench.data.preprocessing.prepare``, networks from ``nets``, baselines from
``baselines.make_baseline``.

``BACKPROP_BENCH_ASV_SMALL=1`` shrinks data subsets, the routine grid and the roofline size so
that CI's dry run of the whole suite (``asv run --python=same --quick --dry-run``) takes a
minute or two; the benchmarks and their parameter names stay the same.

BLAS threads: the suite runs NumPy's BLAS on ONE thread unless BACKPROP_BENCH_ASV_BLAS_THREADS
says otherwise (an int, or "all" for every core): every ``setup`` and ``setup_cache`` starts with
``limit_blas()``.
On a shared machine a multi-threaded BLAS waiting for a descheduled thread made small products
up to 100 times slower, which would drown every comparison in noise; and the loop, per-unit and
per-sample routines use one core anyway. The roofline benchmark measures both one thread
and all cores.

Asv re-runs ``setup`` before every timed sample (asv_runner >= 0.3, asv issue #966), so the
``setup`` methods only look things up; what is costly to build is built once per process by
the cached functions below.
"""

from __future__ import annotations

import functools
import itertools
import os
import timeit

import numpy as np
from threadpoolctl import threadpool_limits

from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import PreparedData, prepare
from backprop_bench.experiments import environment
from backprop_bench.experiments.environment import usable_cores
from nets.network import Network
from nets.presets import PRESETS

SMALL = os.environ.get("BACKPROP_BENCH_ASV_SMALL", "").strip() not in ("", "0")
"""True when BACKPROP_BENCH_ASV_SMALL is set (CI's quick dry run)."""


def blas_threads(setting: str | int) -> int:
    """An int >= 1 from a thread setting: an int, or "all" for every core."""
    if str(setting).strip().lower() == "all":
        return usable_cores()
    try:
        threads = int(setting)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(
            f"BACKPROP_BENCH_ASV_BLAS_THREADS={setting!r}: use an integer >= 1 or 'all'"
        )
    return threads


BLAS_THREADS = os.environ.get("BACKPROP_BENCH_ASV_BLAS_THREADS", "1")
# XLA (JAX, the peers benchmark) reads its thread flags once, before it first runs: set here,
# at import, to the same count (threadpoolctl cannot change them later).
environment.cap_threads(blas_threads(BLAS_THREADS))


_blas_threads_set: list[int] = []  # what limit_blas last set in this process


def limit_blas(setting: str | int = BLAS_THREADS) -> None:
    """Set the BLAS thread count of this (benchmark) process; see the module docstring.

    Only when it changes: threadpoolctl inspects every loaded library, which evicts enough of
    the CPU caches to slow the next small gradient call measurably, and asv runs ``setup``
    right before every timed call.
    """
    threads = blas_threads(setting)
    if _blas_threads_set[-1:] != [threads]:
        threadpool_limits(limits=threads, user_api="blas")
        _blas_threads_set.append(threads)


PRESET = "mnist-000"
SUBSET_SEED = 0  # the fixed stratified subsets below; never changed between commits

# The gradient-routine grid: batch sizes x hidden widths of a [784, h, h, 10] network.
BATCH_SIZES = (1, 10) if SMALL else (1, 10, 50, 200, 1000)
WIDTHS = (30,) if SMALL else (30, 100, 300)

# Data sizes: training benchmarks (the network, the peer ratio) and the baselines.
TRAINING_SUBSET = (1_000, 500) if SMALL else (10_000, 10_000)  # (n_train, n_test)
BASELINE_SUBSET = (500, 200) if SMALL else (5_000, 1_000)

# A combination is skipped (asv's skip_for_params: shown as skipped) when its estimated
# time exceeds CALL_BUDGET. Every combination runs at least sixteen calls (four rounds of a
# warm-up and three samples), and the whole suite must finish within 10 minutes on 2 cores;
# asv's per-benchmark timeout (asv.conf.json) is only a backstop. The estimate is a count of
# operations times a rough, deliberately round cost per operation on a current x86 core
# (measured on the project's 2-core machine to within a factor of about 2):
CALL_BUDGET = 3.0  # seconds
PYTHON_MULTIPLY_ADD = 100e-9  # one `total += a * w` in the loop routine's pure-Python loops
NUMPY_CALL = 25e-6  # fixed cost of one small forward pass (three layers, a few NumPy calls)
NUMPY_OP = 2e-6  # one small NumPy operation (a dot product or update of a few hundred numbers)
FLOP = 0.5e-9  # seconds per floating-point operation in small matrix products (2 GFLOP/s)


class Benchmark:
    """Timing settings every class inherits (scikit-learn's asv_benchmarks pattern).

    Chosen by running the suite twice on one commit and comparing (``backprop-bench
    noise-floor``; docs/benchmarks.md has the numbers). On the project's cloud machine a core
    switches between a fast and a slow state (pure Python 1.8x apart) every few milliseconds,
    in a proportion that drifts over seconds and minutes, so a benchmark measured in one
    stretch of a few seconds moved by up to 1.5x between two runs of one commit. Hence:

    - ``processes = 4``: asv measures every benchmark in four rounds, each after every other
      benchmark has had its turn, and takes the median over all rounds' samples, so one slow
      stretch of the machine cannot carry a benchmark.
    - ``warmup_time``: a fifth of a second of calls before a round's samples.
    - ``sample_time``: where asv chooses how many calls make a sample (benchmarks without a
      ``setup``), a sample lasts 20 ms, long enough to average over the fast/slow switching.
    - ``repeat``: per round at least 3 samples, at most 10, fewer once half a second has passed.

    asv reports the median of the samples. The time limit per benchmark is asv.conf.json's
    ``default_benchmark_timeout``.
    """

    timer = timeit.default_timer
    processes = 4
    warmup_time = 0.2
    sample_time = 0.02
    repeat = (3, 10, 0.5)


@functools.cache
def prepared(n_train: int, n_test: int, dtype: str = "float64") -> PreparedData:
    """The preset's dataset (MNIST), a fixed stratified subset, the shared preprocessing."""
    dataset = load(PRESETS[PRESET].dataset)
    return prepare(dataset, n_train=n_train, n_test=n_test, subset_seed=SUBSET_SEED, dtype=dtype)


def preset_network(sizes: list[int] | None = None, dtype: str | None = None) -> Network:
    """A fresh network with the preset's settings and seed; ``sizes``/``dtype`` may differ."""
    preset = PRESETS[PRESET]
    settings = dict(preset.network)
    if sizes is not None:
        settings["sizes"] = sizes
    if dtype is not None:
        settings["dtype"] = dtype
    return Network(**settings, seed=preset.default_seed)


def one_hot(y: np.ndarray, n_classes: int, dtype: str | np.dtype) -> np.ndarray:
    """(n,) int labels as (n, n_classes) targets of ``dtype``."""
    return np.eye(n_classes, dtype=dtype)[y]


def n_weights(sizes: list[int]) -> int:
    """Number of weights (not biases) of a network with these layer sizes."""
    return sum(a * b for a, b in itertools.pairwise(sizes))


def n_parameters(sizes: list[int]) -> int:
    """Weights and biases."""
    return n_weights(sizes) + sum(sizes[1:])


def estimated_seconds(routine: str, batch_size: int, sizes: list[int]) -> float:
    """A rough time of one call of a gradient routine, used only to decide what to skip.

    Per sample and weight, a gradient costs three multiply-adds (forward pass, backward delta,
    weight gradient), 6 floating-point operations in all.

    - loop: every multiply-add is a Python operation: 3 * batch * weights * PYTHON_MULTIPLY_ADD.
    - numerical: two cost evaluations (forward passes over the batch) per parameter:
      2 * parameters * (NUMPY_CALL + 2 * batch * weights * FLOP).
    - per_unit: three NumPy calls per sample and unit (forward dot product, gradient row,
      error sent down) and the arithmetic: batch * (3 * units * NUMPY_OP + 6 * weights * FLOP).
    - per_sample: a few NumPy calls per sample and the arithmetic:
      batch * (NUMPY_CALL + 6 * weights * FLOP).
    - vectorised (and any other routine): 6 * batch * weights * FLOP.
    """
    weights = n_weights(sizes)
    if routine == "loop":
        return 3 * batch_size * weights * PYTHON_MULTIPLY_ADD
    if routine == "numerical":
        return 2 * n_parameters(sizes) * (NUMPY_CALL + 2 * batch_size * weights * FLOP)
    if routine == "per_unit":
        return batch_size * (3 * sum(sizes[1:]) * NUMPY_OP + 6 * weights * FLOP)
    if routine == "per_sample":
        return batch_size * (NUMPY_CALL + 6 * weights * FLOP)
    return 6 * batch_size * weights * FLOP


def over_budget(routine: str, batch_size: int, sizes: list[int]) -> bool:
    """Whether one call would take longer than CALL_BUDGET (asv then skips the combination)."""
    return estimated_seconds(routine, batch_size, sizes) > CALL_BUDGET
