"""Planning a comparison: sizes checked against the published description, cache keys, the
longest fits first, one-line errors before any work."""

from __future__ import annotations

import pytest

from backprop_bench.errors import BenchError
from backprop_bench.experiments import planning
from backprop_bench.experiments.models import resolve
from backprop_bench.experiments.planning import expected_wall_seconds

SMALL = {"n_train": 300, "n_test": 120}


def test_the_cache_key_changes_with_data_seed_and_settings():
    (spec,) = resolve(["mlp"], "mnist-000")
    tasks = planning.plan("digits", [spec], seeds=(0, 1), **SMALL).tasks
    assert len({task.key for task in tasks}) == 2
    other_size = planning.plan("digits", [spec], seeds=(0,), n_train=301, n_test=120).tasks[0]
    changed = planning.with_params(spec, "mlp", learning_rate_init=0.5)
    other_step = planning.plan("digits", [changed], seeds=(0,), **SMALL).tasks[0]
    assert len({tasks[0].key, other_size.key, other_step.key}) == 3


def test_mnist_sizes_are_checked_without_reading_mnist(monkeypatch):
    from backprop_bench.data import datasets

    def no_loading(*args, **kwargs):
        raise AssertionError("MNIST was loaded")

    monkeypatch.setattr(datasets, "load", no_loading)
    with pytest.raises(BenchError, match="n_train=60001 is not allowed for dataset 'mnist'"):
        planning.plan("mnist", ["mlp"], n_train=60001)
    plan = planning.plan("mnist", ["svc", "mlp"], seeds=(0, 1))
    assert [t.spec.name for t in plan.tasks] == ["svc", "mlp", "mlp"]
    assert plan.data.n_train == 60000 and plan.data.n_features == 784


def test_the_published_fingerprint_is_the_loaded_one():
    from backprop_bench.data import datasets

    path = datasets.cache_file("mnist")
    if path is None or not path.exists():
        pytest.skip("MNIST is not in the cache here")
    identity = planning.dataset_identity("mnist")
    assert identity.fingerprint == datasets.load("mnist").fingerprint
    assert identity[1:] == (60000, 10000, 784, 10)


def test_longest_fits_are_scheduled_first():
    plan = planning.plan("mnist", ["linear", "mlp", "mnist-000", "svc"], seeds=(0,))
    costs = {task.spec.name: task.cost for task in plan.tasks}
    assert costs["svc"] > costs["mlp"] > costs["mnist-000"]


def test_the_expected_wall_time_schedules_the_longest_fits_first():
    assert expected_wall_seconds([700, 500, 20, 20, 20], jobs=2) == 700
    assert expected_wall_seconds([10, 10, 10], jobs=1) == 30
    assert expected_wall_seconds([10, 10, 10], jobs=2) == 20


def test_an_unknown_dtype_is_refused_before_any_work():
    with pytest.raises(BenchError, match=r"dtype='float16' is not allowed"):
        planning.plan("digits", ["mnist-000"], dtype="float16")
