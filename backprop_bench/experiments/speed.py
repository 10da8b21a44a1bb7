"""What ``backprop-bench speed`` measures: the network against its peers, in float64 and
float32, and what each step of vectorising its gradient buys, each timed side by side in one
process.

1. Training. ``NetworkClassifier.from_preset(preset)`` fitted for ``epochs`` epochs against
   the comparison's ``mlp`` baseline: scikit-learn's ``MLPClassifier`` with the same
   architecture, batch size, number of epochs and dtype (plain SGD: no momentum, no L2, no
   early stopping, every epoch run). Both get the same float64 arrays. The network's
   time is the wall time of ``fit`` INCLUDING its per-epoch evaluation (a forward pass over the
   training and the test set after every epoch, which is what ``train`` prints); its
   training-only time (the sum of the epochs' own seconds) is reported on a second row, the
   like-for-like one: the MLP evaluates nothing between epochs beyond its own running loss.
   Then the network's training-only time against the very same network written in JAX
   (``jax-mlp``) and in PyTorch (``torch-mlp``), where their extras are installed (the sum of
   their own epochs' seconds, after a one-epoch warm-up fit in which JAX compiles its epoch, as
   a user who trains more than once compiles once); and the network in float32 (the shared
   preprocessing's float32 arrays) against float64.
2. The rungs of the gradient (``nets.gradients.RUNGS``: loop, per_unit, per_sample,
   vectorised), each against the next, on the preset's network at batch 50: seconds per
   sample, timeit-style (``timeit.Timer.autorange`` chooses each loop count, then ``repeats``
   repeats). The inputs are random numbers in [0, 1): the arithmetic does not depend on them.

In both, the contestants alternate within every repeat (a, b, a, b, ...), so a slow patch of a
shared machine hits both. Each ratio is the geometric mean of the repeats' own ratios with its
95% interval (``intervals.ratio_interval``), and a verdict: a is faster (the whole interval
below 1), slower (above 1), or not detectably different. Repeats go on until every interval is
within ±3% of its ratio, or a time cap (``Repeats``).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import platform
import statistics
import time
import timeit
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from backprop_bench.data.preprocessing import PreparedData
from backprop_bench.errors import BenchError
from backprop_bench.experiments import environment
from backprop_bench.experiments.estimator import NetworkClassifier
from backprop_bench.experiments.models import mirror_of, resolve
from backprop_bench.experiments.records import FLOAT32, Header, SideBySide
from baselines import BASELINES, make_baseline
from nets.gradients import GRADIENTS, RUNGS
from nets.network import Network
from nets.presets import PRESETS

PRESET = "mnist-000"
ROUTINE_BATCH = 50

HALF_WIDTH = 0.03
"""A speed ratio is measured until its 95% interval is within ±3% of it: finer than the
differences the speed table is read for (tens of percent), and reached in a few repeats when
the contestants alternate (``intervals``)."""

TIME_CAP = 600.0
"""Seconds of repeats per part (training, the gradient routines) at most, by default."""

Progress = Callable[[str], None]


#: The network's peers in ``speed``, by baseline name: scikit-learn's MLPClassifier always, and
#: the network written in JAX and in PyTorch where their extras are installed.
PEERS = ("mlp", "jax-mlp", "torch-mlp")


def comparison_mlp(preset: str, *, epochs: int | None, seed: int | None) -> MLPClassifier:
    """The comparison's own ``mlp`` baseline for ``preset`` (``baselines.make_baseline``).

    It mirrors the network's hidden layers (logistic), batch size and epochs with plain SGD
    (momentum 0, alpha 0, constant step, no early stopping, ``n_iter_no_change`` > epochs so
    every epoch runs); ``baselines.mlp`` documents its step and where it cannot mirror (softmax
    output with log-loss). ``tol=0`` is set here as well, so no epoch can count as converged.
    """
    mlp = make_baseline("mlp", _mirror(preset, epochs), seed)
    mlp.set_params(tol=0.0)
    return mlp


def _mirror(preset: str, epochs: int | None):
    mirror = mirror_of(preset)
    return mirror if epochs is None else dataclasses.replace(mirror, epochs=epochs)


def _fit_network(network: NetworkClassifier, prepared: PreparedData) -> tuple[float, float]:
    """(wall seconds of fit with per-epoch evaluation, sum of the epochs' training seconds)."""
    start = time.perf_counter()
    network.fit(
        prepared.X_train,
        prepared.y_train,
        validation_data=(prepared.X_test, prepared.y_test),
    )
    wall = time.perf_counter() - start
    return wall, sum(record["seconds"] for record in network.history_)


def _fit_mlp(mlp: MLPClassifier, prepared: PreparedData) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is reached on purpose
        mlp.fit(prepared.X_train, prepared.y_train)
    seconds = time.perf_counter() - start
    if mlp.n_iter_ != mlp.max_iter:
        raise BenchError(f"MLPClassifier ran {mlp.n_iter_} epochs, not {mlp.max_iter}")
    return seconds


def peer_model(name: str, preset: str, *, epochs: int | None, seed: int | None) -> Any:
    """Peer ``name`` of ``preset``'s network, unfitted: the comparison's MLP
    (``comparison_mlp``), a peer network (torch-mlp, jax-mlp) mirroring it, or a model of
    one's own (a plugin, by import path or entry-point name: seeded where it takes a seed, and
    set to ``epochs`` where it has an ``epochs`` parameter)."""
    if name == "mlp":
        return comparison_mlp(preset, epochs=epochs, seed=seed)
    if name not in BASELINES:
        model = resolve([name], preset)[0].build(seed)
        if "epochs" in model.get_params():  # the network's epochs, as the mirrors get them
            model.set_params(epochs=_mirror(preset, epochs).epochs)
        return model
    return make_baseline(name, _mirror(preset, epochs), seed)


def peer_seconds(name: str, model: Any, prepared: PreparedData) -> float:
    """Training seconds of peer ``name`` fitted on ``prepared``: MLPClassifier's whole fit
    (it evaluates nothing between epochs), a peer network's (torch-mlp, jax-mlp) sum of its
    epochs' own seconds, as for the network; a plugin's whole fit."""
    if name == "mlp":
        return _fit_mlp(model, prepared)
    if name not in BASELINES:
        start = time.perf_counter()
        model.fit(prepared.X_train, prepared.y_train)
        return time.perf_counter() - start
    model.fit(prepared.X_train, prepared.y_train)
    return sum(record["seconds"] for record in model.history_)


def available_peers(peers: Iterable[str] = PEERS) -> tuple[list[str], list[str]]:
    """(the peers installed here, a note for each one that is not)."""
    present, notes = [], []
    for name in peers:
        baseline = BASELINES[name]
        if baseline.available():
            present.append(name)
        else:
            notes.append(
                f"{name} ({baseline.engine}) not timed: it needs the optional "
                f'{baseline.extra!r} extra, pip install "backprop-bench[{baseline.extra}]"'
            )
    return present, notes


@dataclass(frozen=True)
class Repeats:
    """When a side-by-side timing stops repeating: after at least ``minimum`` repeats, once
    every ratio's 95% interval is within ``half_width`` of it (0.03: within ±3%), or once
    ``seconds`` have passed, whichever comes first."""

    minimum: int = 3
    half_width: float = HALF_WIDTH
    seconds: float = TIME_CAP

    @classmethod
    def exactly(cls, count: int) -> Repeats:
        """``count`` repeats, whatever the intervals (the asv suite's fixed measurement)."""
        return cls(minimum=count, seconds=0.0)

    def done(self, comparisons: list[SideBySide], elapsed: float) -> bool:
        if len(comparisons[0].a_times) < self.minimum:
            return False
        reached = all(c.interval.half_width <= self.half_width for c in comparisons)
        return reached or elapsed >= self.seconds

    def describe(self) -> str:
        return (
            f"repeated until every ratio's 95% interval was within ±{self.half_width:.0%} of "
            f"it, or for at most {self.seconds:.0f} s per part, at least {self.minimum} times"
        )


def _half_widths(comparisons: list[SideBySide]) -> str:
    return ", ".join(f"{c.topic or c.a} ±{c.interval.half_width:.1%}" for c in comparisons)


def time_training(
    prepared: Mapping[str, PreparedData],
    preset: str = PRESET,
    *,
    epochs: int | None = None,
    repeats: Repeats = Repeats(),
    seed: int | None = None,
    peers: Iterable[str] = ("mlp",),
    progress: Progress | None = None,
) -> list[SideBySide]:
    """Time the preset's network against each of ``peers`` on ``prepared["float64"]``, and
    against itself in float32 on ``prepared["float32"]`` when that is given. A peer is a
    baseline (``PEERS``) or a model of one's own (``package.module:Name`` or an entry-point
    name; ``peer_model``).

    Within every repeat each contestant trains once, in turn, on the same data: the network
    (float64), each peer, then the network in float32; repeats go on as ``repeats`` says.
    """
    data = prepared["float64"]
    network = NetworkClassifier.from_preset(preset, random_state=seed)
    if epochs is not None:
        network.set_params(epochs=epochs)
    seed = network.random_state
    peers = list(peers)
    if "mlp" not in peers:
        raise BenchError("the speed run needs the mlp peer: its rows are the reference")
    peer_models = {name: peer_model(name, preset, epochs=epochs, seed=seed) for name in peers}
    for name, model in peer_models.items():  # warm up: JAX compiles its epoch here, once
        if name in ("jax-mlp", "torch-mlp"):
            peer_seconds(name, clone(model).set_params(epochs=1), data)
    X = data.X_train
    shape = f"{X.shape[0]:,} x {X.shape[1]}"
    what = f"train {network.epochs} epochs, {shape} {{}}, batch {network.batch_size}"
    only = f"network {preset}, training only (no evaluation)"
    mlp = peer_models["mlp"]
    labels = {
        "mlp": f"MLPClassifier {mlp.hidden_layer_sizes} logistic, sgd batch {mlp.batch_size}, "
        f"step {mlp.learning_rate_init:g}",
        "jax-mlp": f"jax-mlp: the network in JAX {_version('jax')} (jit, lax.scan), training only",
        "torch-mlp": f"torch-mlp: the network in PyTorch {_version('torch')} eager, training only",
    } | {
        name: _own_label(name, preset, peer_models[name]) for name in peers if name not in BASELINES
    }
    float64 = what.format(X.dtype)
    walls: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in ["network", *peers, FLOAT32]}

    def side_by_side() -> list[SideBySide]:
        network_times = tuple(times["network"])
        comparisons = [
            SideBySide(float64, only, network_times, labels["mlp"], tuple(times["mlp"]), "mlp"),
            SideBySide(
                float64,
                f"network {preset}, incl. per-epoch evaluation on train and test",
                tuple(walls),
                labels["mlp"],
                tuple(times["mlp"]),
                "mlp, evaluated",
            ),
        ]
        comparisons += [
            SideBySide(float64, only, network_times, labels[name], tuple(times[name]), name)
            for name in peers
            if name != "mlp"
        ]
        if times[FLOAT32]:
            comparisons.append(
                SideBySide(
                    what.format("float32 / float64"),
                    f"network {preset} in float32, training only",
                    tuple(times[FLOAT32]),
                    f"network {preset} in float64, training only",
                    network_times,
                    FLOAT32,
                )
            )
        return comparisons

    start = time.perf_counter()
    while True:
        wall, train = _fit_network(network, data)
        walls.append(wall)
        times["network"].append(train)
        for name, model in peer_models.items():
            times[name].append(peer_seconds(name, model, data))
        if FLOAT32 in prepared:
            float32 = clone(network).set_params(dtype=FLOAT32)
            times[FLOAT32].append(_fit_network(float32, prepared[FLOAT32])[1])
        comparisons = side_by_side()
        if progress:
            done = ", ".join(
                f"{name} {values[-1]:.2f} s" for name, values in times.items() if values
            )
            widths = f"; half-widths {_half_widths(comparisons)}" if len(walls) > 1 else ""
            progress(f"training repeat {len(walls)} (training only): {done}{widths}")
        if repeats.done(comparisons, time.perf_counter() - start):
            return comparisons


def _own_label(name: str, preset: str, model: Any) -> str:
    """How a model of one's own is named in the speed table: its engine, and its epochs where
    it has them (else its fit's own count)."""
    parameters = model.get_params()
    run = f"{parameters['epochs']} epochs" if "epochs" in parameters else "its own epochs"
    return f"{name} ({resolve([name], preset)[0].engine}), a model of one's own: whole fit, {run}"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def time_rungs(
    preset: str = PRESET,
    *,
    batch_size: int = ROUTINE_BATCH,
    repeats: Repeats = Repeats(minimum=5),
    seed: int = 0,
    rungs: tuple[str, ...] = RUNGS,
    progress: Progress | None = None,
) -> list[SideBySide]:
    """Seconds per sample of each gradient routine of ``rungs`` on one batch, all timed in
    turn within every repeat (repeats go on as ``repeats`` says); one ``SideBySide`` per rung
    against the next, then the first against the last."""
    settings = dict(PRESETS[preset].network)
    sizes = settings.pop("sizes")
    rng = np.random.default_rng(seed)
    network = Network(sizes, **settings, seed=rng)
    X = rng.random((batch_size, sizes[0])).astype(network.dtype)
    Y = np.eye(sizes[-1], dtype=network.dtype)[rng.integers(0, sizes[-1], size=batch_size)]
    timers = {
        name: timeit.Timer(lambda routine=GRADIENTS[name]: routine(network, X, Y)) for name in rungs
    }
    numbers = {name: timer.autorange()[0] for name, timer in timers.items()}
    seconds_per_sample: dict[str, list[float]] = {name: [] for name in rungs}
    what = f"gradient, seconds per sample, batch {batch_size}, {list(sizes)} {network.dtype}"
    steps = [*itertools.pairwise(rungs), (rungs[0], rungs[-1])]  # each rung, then all of them
    start = time.perf_counter()
    while True:
        for name in rungs:  # in turn, so that all see the same machine
            seconds = timers[name].timeit(numbers[name])
            seconds_per_sample[name].append(seconds / numbers[name] / batch_size)
        comparisons = [
            SideBySide(
                what, slow, tuple(seconds_per_sample[slow]), fast, tuple(seconds_per_sample[fast])
            )
            for slow, fast in steps
        ]
        if repeats.done(comparisons, time.perf_counter() - start):
            break
    if progress:
        for name in rungs:
            median = statistics.median(seconds_per_sample[name])
            progress(f"gradient routine {name}: {median * 1e6:.2f} us per sample (median)")
        count = len(seconds_per_sample[rungs[0]])
        progress(f"gradient routines, {count} repeats: half-widths {_half_widths(comparisons)}")
    return comparisons


def header(prepared: PreparedData, *, repeats: Repeats, notes: Iterable[str] = ()) -> Header:
    """The header of a speed run on ``prepared``, taken now; ``notes`` say what was not
    measured."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return Header(
        when=time.strftime("%Y-%m-%d %H:%M"),
        repeats=repeats.describe(),
        half_width=repeats.half_width,
        data=f"{prepared.dataset}, {prepared.n_train:,} train / {prepared.n_test:,} test, "
        f"{prepared.preprocessing}",
        machine=f"{machine_line()}; load average {load} (1, 5, 15 min) at the start",
        notes=tuple(notes),
    )


def machine_line() -> str:
    """Where the timings were taken: CPU, cores, BLAS with its kernel and threads, versions."""
    return (
        f"{environment.cpu_model()}, {environment.usable_cores()} cores, "
        f"{environment.blas_line(environment.blas())}, {environment.xla_threads()}; "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}"
    )
