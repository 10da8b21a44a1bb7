"""The asv suite in benchmarks/: its skip rule, the roofline's FLOP count, that its training step
is nets' own, and that asv accepts it. Nothing here times anything."""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from backprop_bench.experiments.speed import SideBySide
from backprop_bench.reports.asv_report import ROUTINE_BENCHMARK
from benchmarks import common, gradients, roofline
from nets.gradients import GRADIENTS
from nets.network import Network
from nets.training import TrainingConfig, train_step

ROOT = pathlib.Path(__file__).resolve().parents[2]
FULL_BATCHES, FULL_WIDTHS = (1, 10, 50, 200, 1000), (30, 100, 300)


def runs(routine: str, batch: int, width: int) -> bool:
    return not common.over_budget(routine, batch, gradients.sizes_for(width))


def test_parameter_counts():
    # [784, 30, 30, 10]: 784*30 + 30*30 + 30*10 = 23,520 + 900 + 300 weights, 70 biases.
    assert common.n_weights([784, 30, 30, 10]) == 24_720
    assert common.n_parameters([784, 30, 30, 10]) == 24_790
    assert common.n_parameters([784, 30, 30, 10]) == Network([784, 30, 30, 10]).n_parameters


def test_skip_rule_on_the_full_grid():
    """Which combinations run follows from the documented estimate; report it as a grid."""
    ran = {
        routine: {(b, h) for b in FULL_BATCHES for h in FULL_WIDTHS if runs(routine, b, h)}
        for routine in GRADIENTS
    }
    everything = {(b, h) for b in FULL_BATCHES for h in FULL_WIDTHS}
    assert ran["vectorised"] == everything
    assert ran["per_sample"] == everything
    # loop: 3 * batch * weights Python multiply-adds at 100 ns, within 3 s.
    assert ran["loop"] == {(1, 30), (10, 30), (50, 30), (200, 30), (1, 100), (10, 100),
                           (50, 100), (1, 300), (10, 300)}  # fmt: skip
    # numerical: two forward passes per parameter: only the smallest size.
    assert ran["numerical"] == {(1, 30)}


def test_skip_is_monotonic_in_size():
    """A routine skipped at some size is skipped at every larger batch and width."""
    for routine in GRADIENTS:
        for i, batch in enumerate(FULL_BATCHES):
            for j, width in enumerate(FULL_WIDTHS):
                if not runs(routine, batch, width):
                    assert not any(
                        runs(routine, b, h) for b in FULL_BATCHES[i:] for h in FULL_WIDTHS[j:]
                    )


def test_asv_skips_exactly_the_combinations_over_budget():
    """The grid's skip list (asv's skip_for_params) is the rule applied to the grid in use."""
    skipped = gradients.GradientRoutines.time_gradient.skip_params
    grid = itertools.product(GRADIENTS, common.BATCH_SIZES, common.WIDTHS)
    assert skipped == [combo for combo in grid if not runs(*combo)]
    assert common.estimated_seconds("loop", 1000, [784, 300, 300, 10]) > common.CALL_BUDGET


@pytest.fixture
def blas_restored(monkeypatch):
    """setup() limits BLAS threads for its benchmark process; give the test session them back."""
    monkeypatch.setattr(common, "_blas_threads_set", [])
    before = threadpool_info()
    with threadpool_limits(limits=None):
        yield
    assert threadpool_info() == before


def test_blas_thread_setting():
    assert common.blas_threads(2) == 2
    assert common.blas_threads("1") == 1
    assert common.blas_threads("all") == common.usable_cores() >= 1
    for bad in ("0", "-1", "many"):
        with pytest.raises(ValueError, match="BACKPROP_BENCH_ASV_BLAS_THREADS"):
            common.blas_threads(bad)


def test_routine_calls_run_through_the_registry(blas_restored):
    rng = np.random.default_rng(0)
    data = _FakeExperiment(rng.random((20, 784)), rng.integers(0, 10, 20))
    gradients._inputs.clear()
    network, X, Y = gradients._inputs_for(data, 10, 30)
    blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
    assert all(info["num_threads"] == 1 for info in blas)
    assert X.shape == (10, 784) and Y.shape == (10, 10)
    assert (Y.argmax(axis=1) == data.y_train[:10]).all()
    assert gradients._inputs_for(data, 10, 30)[0] is network  # built once, then looked up
    gradients.GradientRoutines().time_gradient(data, "vectorised", 10, 30)
    result = GRADIENTS["vectorised"](network, X, Y)
    expected = GRADIENTS["per_sample"](network, X, Y)
    for got, want in zip(result.weights, expected.weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    gradients._inputs.clear()


def test_agreement_is_a_power_of_ten_bound():
    assert gradients.power_of_ten_bound(3e-14) == 1e-13
    assert gradients.power_of_ten_bound(1e-13) == pytest.approx(1e-13)
    assert gradients.power_of_ten_bound(0.0) == 1e-16
    assert gradients.power_of_ten_bound(0.4) == 1.0


def test_agreement_sees_a_broken_routine(blas_restored):
    """The tracked difference is ~1e-13 for the routines as they are, and jumps for a routine
    that returns a wrong gradient (here: one layer's weight gradient halved)."""
    rng = np.random.default_rng(1)
    data = _FakeExperiment(rng.random((20, 784)), rng.integers(0, 10, 20))
    network = Network([784, 30, 30, 10], seed=0)
    X, Y = gradients._batch(data, 10, network.dtype)
    want = GRADIENTS["vectorised"](network, X, Y)
    good = GRADIENTS["per_sample"](network, X, Y)
    assert gradients.relative_difference(good, want) < 1e-12
    broken = good._replace(weights=[good.weights[0] / 2, *good.weights[1:]])
    assert gradients.relative_difference(broken, want) == pytest.approx(0.5)


@pytest.mark.parametrize("twin", sorted(gradients.TWINS))
def test_the_autograd_twins_compute_the_same_gradient(twin):
    pytest.importorskip(twin, reason=f"{twin} is an optional extra")
    rng = np.random.default_rng(2)
    for settings in (
        {"output_activation": "sigmoid", "cost": "quadratic"},
        {"output_activation": "softmax", "cost": "cross_entropy"},
    ):
        network = Network([12, 7, 5, 4], hidden_activation="tanh", seed=3, **settings)
        X = rng.random((6, 12))
        Y = np.eye(4)[rng.integers(0, 4, 6)]
        got = gradients.TWINS[twin][1](network, X, Y)
        assert gradients.relative_difference(got, GRADIENTS["vectorised"](network, X, Y)) < 1e-10


def test_rung_speedups_are_the_speed_commands_measurement(monkeypatch, blas_restored):
    calls = []

    def fake_time_rungs(preset, *, batch_size, repeats):
        calls.append((preset, batch_size, repeats))
        return [
            SideBySide("m", "loop", (300.0, 360.0), "per_unit", (10.0, 10.0)),
            SideBySide("m", "per_unit", (10.0, 10.0), "per_sample", (2.0, 2.5)),
            SideBySide("m", "per_sample", (30.0, 36.0), "vectorised", (1.5, 1.5)),
            SideBySide("m", "loop", (300.0, 360.0), "vectorised", (1.5, 1.5)),
        ]

    monkeypatch.setattr(gradients.speed, "time_rungs", fake_time_rungs)
    bench = gradients.RungSpeedup()
    ratios = bench.setup_cache()
    assert calls == [("mnist-000", 50, gradients.speed.Repeats.exactly(gradients.RUNG_REPEATS))]
    assert bench.params == (
        ["loop/per_unit", "per_unit/per_sample", "per_sample/vectorised", "loop/vectorised"],
    )
    # the geometric means of the repeats' ratios, as the speed command reports them
    assert bench.track_speedup(ratios, "loop/per_unit") == 32.9  # of 30 and 36
    assert bench.track_speedup(ratios, "per_unit/per_sample") == 4.5  # of 5 and 4
    assert bench.track_speedup(ratios, "per_sample/vectorised") == 21.9  # of 20 and 24
    assert bench.track_speedup(ratios, "loop/vectorised") == 219.1  # of 200 and 240


@dataclasses.dataclass
class _FakeExperiment:
    X_train: np.ndarray
    y_train: np.ndarray


def test_routine_benchmark_name_matches_the_report():
    cls = gradients.GradientRoutines
    module = cls.__module__.removeprefix("benchmarks.")
    assert f"{module}.{cls.__name__}.time_gradient" == ROUTINE_BENCHMARK
    assert tuple(cls.param_names) == ("routine", "batch_size", "width")
    assert tuple(cls.params[0]) == tuple(GRADIENTS)


def test_step_flops_counts_the_eight_products():
    b = 1024
    forward = 2 * b * 784 * 1024 + 2 * b * 1024 * 1024 + 2 * b * 1024 * 10
    deltas = 2 * b * 10 * 1024 + 2 * b * 1024 * 1024
    weight_gradients = 2 * 784 * b * 1024 + 2 * 1024 * b * 1024 + 2 * 1024 * b * 10
    assert roofline.step_flops([784, 1024, 1024, 10], b) == forward + deltas + weight_gradients
    layouts = [layout for *_, layout in roofline.matrix_products([784, 1024, 1024, 10], b)]
    assert layouts == ["NT", "NN", "NN"] + ["NT", "TN"] * 2 + ["NN"]


def test_reference_operands_have_the_step_shapes_and_layouts():
    pairs = roofline._operands([8, 6, 5, 3], 4, "float32", np.random.default_rng(0))
    products = roofline.matrix_products([8, 6, 5, 3], 4)
    for (left, right), (m, k, n, layout) in zip(pairs, products, strict=True):
        assert left.shape == (m, k) and right.shape == (k, n)
        assert left.dtype == right.dtype == np.float32
        assert left.flags.f_contiguous == (layout[0] == "T")
        assert right.flags.f_contiguous == (layout[1] == "T")


def test_reference_products_are_the_ones_the_step_runs():
    """The reference times the step's own products: same shapes, same operand layouts."""
    seen = []

    def layout(x):
        return "T" if x.flags.f_contiguous and not x.flags.c_contiguous else "N"

    class Recording(np.ndarray):  # an array whose matrix products are written down
        def __matmul__(self, other):
            left, right = np.asarray(self), np.asarray(other)
            seen.append((*left.shape, right.shape[1], layout(left) + layout(right)))
            return np.matmul(left, right).view(Recording)

        def __rmatmul__(self, other):
            return Recording.__matmul__(np.asarray(other).view(Recording), self)

    sizes, batch = [8, 6, 5, 3], 4
    rng = np.random.default_rng(0)
    X, y = rng.random((batch, sizes[0])), rng.integers(0, sizes[-1], batch)
    config = TrainingConfig(epochs=1, batch_size=batch, learning_rate=0.1)
    network = Network(sizes, seed=0)
    network.check_inputs = lambda X, name="X": X  # keep the recording array as it is
    train_step(network, X.view(Recording), np.eye(sizes[-1])[y], config, None)
    assert seen == roofline.matrix_products(sizes, batch)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="asv needs git")
def test_asv_accepts_the_suite():
    """``asv check`` imports every benchmark module and checks every signature (10-20 s)."""
    done = subprocess.run(
        [sys.executable, "-m", "asv", "check", "--python=same"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


ASV_PREFIXES = ("time_", "timeraw_", "mem_", "peakmem_", "track_")


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "benchmarks").glob("[!_]*.py")))
def test_every_benchmark_a_module_shows_asv_is_its_own(name):
    """asv runs every module-level function named like a benchmark: an imported helper named
    time_... would be timed as one (``backprop_bench.experiments.speed.time_routines`` once was)."""
    module = importlib.import_module(f"benchmarks.{name}")
    for attribute, value in vars(module).items():
        if attribute.startswith(ASV_PREFIXES) and callable(value):
            assert value.__module__ == module.__name__, f"{name}.{attribute}"
