"""The local pool: each fit in a process of its own, forked from a server that preloaded what
fits import; peak memory and BLAS caps per fit; a killed process is one crashed record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from backprop_bench.experiments import planning, runner
from backprop_bench.experiments.backends.local import blas_threads_per_job
from backprop_bench.experiments.models import resolve
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import RunOptions

SMALL = {"n_train": 300, "n_test": 120}


@pytest.fixture
def cache(tmp_path):
    return FitCache(tmp_path / "runs")


def _small_compare(models, cache, **options):
    options = RunOptions(cache=cache, **options)
    return runner.compare("digits", models, seeds=(0, 1), options=options, **SMALL)


def by_model(records):
    return {(r.model, r.seed): r for r in records}


def test_isolated_workers_measure_memory_and_cap_blas_threads(tmp_path, cache):
    result = _small_compare(["linear", "svc"], cache, jobs=2)
    for record in result.records:
        assert record.status == "ok", record.reason
        assert record.peak_rss_mb >= record.data_rss_mb > 10
        assert record.blas_threads == blas_threads_per_job(2)
    assert blas_threads_per_job(2) * 2 <= max(2, os.cpu_count() or 1)


def test_a_worker_killed_mid_fit_is_a_crashed_record_and_the_others_are_kept(tmp_path, cache):
    killed = []

    def kill_the_network(event):
        if event["event"] == "start" and not killed and "pid" in event:
            task = next(t for t in plan.tasks if t.key == event["key"])
            if task.spec.name == "slow-net":
                os.kill(event["pid"], signal.SIGKILL)
                killed.append(event["key"])

    (network,) = resolve(["mnist-000"], "mnist-000")
    slow = planning.with_params(network, "slow-net", epochs=200)
    plan = planning.plan("digits", [slow, "linear"], seeds=(0,), **SMALL)
    summary = runner.run(plan, RunOptions(jobs=2, cache=cache, on_event=kill_the_network))
    records = by_model(summary.records)
    assert killed
    assert records[("slow-net", 0)].status == "crashed"
    assert records[("slow-net", 0)].reason == "worker process died (exit code -9)"
    assert records[("linear", None)].status == "ok"
    assert cache.get(records[("slow-net", 0)].key) is None  # not cached: the next run retries
    assert cache.get(records[("linear", None)].key) is not None


FIT_AFTER_PRELOAD = """
import sys
from backprop_bench.experiments.backends import preload
from backprop_bench.experiments.planning import plan
from backprop_bench.experiments.worker import fit_task_capped

tasks = plan("digits", ["mnist-000", "mlp", "linear", "svc", "svc-000"], seeds=(0,),
             n_train=300, n_test=120).tasks
before = set(sys.modules)
for task in tasks:
    assert fit_task_capped(task, 1, "here").status == "ok"
print(sorted(name for name in set(sys.modules) - before if not name.startswith("encodings.")))
"""


def test_a_fit_imports_nothing_the_pool_did_not_preload():
    """What a fit imports in its process costs that time on every fit: ``preload`` must hold
    it all (the scikit-learn models and digits, as every default sweep fits them)."""
    found = subprocess.run(
        [sys.executable, "-c", FIT_AFTER_PRELOAD], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]", found.stdout
