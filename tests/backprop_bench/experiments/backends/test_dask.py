"""Fits on a Dask cluster (a LocalCluster stands in for a real one): the same records as the
local process pool, a worker killed mid-sweep, and the options' errors without Dask."""

from __future__ import annotations

import os
import signal
import time

import pytest

from backprop_bench.cli import main
from backprop_bench.errors import BenchError
from backprop_bench.experiments import runner, sweeps
from backprop_bench.experiments.backends import dask as dask_backend
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import RunOptions

SWEEP = """
datasets = ["digits"]
n_train = [300, 600]
n_test = 200
seeds = [0, 1]
models = ["mnist-000", "mlp", "linear", "svc"]
"""


def plans(tmp_path, text=SWEEP):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return sweeps.plans(sweeps.read_sweep(path))


def test_the_cluster_options_are_checked_before_any_work(monkeypatch):
    assert dask_backend.check_options(None, None) is None
    with pytest.raises(BenchError, match=r"--cluster 'local:0': use local:N with N >= 1"):
        dask_backend.check_options(None, "local:0")
    with pytest.raises(BenchError, match=r"--cluster 'here:2': use local:N"):
        dask_backend.check_options(None, "here:2")
    monkeypatch.setattr(dask_backend, "dask_available", lambda: False)
    with pytest.raises(
        BenchError, match=r'--scheduler needs .*pip install "backprop-bench\[dask\]"'
    ):
        dask_backend.check_options("tcp://127.0.0.1:8786", None)


def test_without_dask_the_option_is_one_line_before_any_work(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(dask_backend, "dask_available", lambda: False)
    out = tmp_path / "out"
    argv = ["compare", "--dataset", "digits", "--models", "linear", "--cluster", "local:2"]
    assert main([*argv, "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        "backprop-bench compare: error: --cluster needs Dask's distributed package: "
        'pip install "backprop-bench[dask]"\n'
    )
    assert not out.exists()


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    monkeypatch_timeout = dask_backend.CONNECT_TIMEOUT
    dask_backend.CONNECT_TIMEOUT = "2s"
    try:
        argv = ["compare", "--dataset", "digits", "--models", "linear"]
        status = main([*argv, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")])
    finally:
        dask_backend.CONNECT_TIMEOUT = monkeypatch_timeout
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("backprop-bench compare: error: --scheduler tcp://127.0.0.1:9: cannot")
    assert err.count("\n") == 1


@pytest.fixture(scope="module")
def local_cluster():
    pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    with dask_backend.connect(None, "local:2") as client:
        yield client


def identity(record):
    return (record.model, record.n_train, record.seed, record.status, record.test_accuracy,
            record.test_predictions, tuple(sorted(record.hyperparameters.items())))  # fmt: skip


def test_a_sweep_on_a_local_cluster_gives_the_records_of_the_local_pool(tmp_path, local_cluster):
    local = runner.run_plans(
        plans(tmp_path), RunOptions(jobs=2, cache=FitCache(tmp_path / "local"))
    )
    on_dask = RunOptions(cache=FitCache(tmp_path / "dask"), client=local_cluster)
    remote = runner.run_plans(plans(tmp_path), on_dask)
    assert remote.this_run["fitted"] == len(remote.records) == 12
    assert sorted(map(identity, remote.records)) == sorted(map(identity, local.records))
    for record in remote.records:
        assert record.ran_on.startswith("Dask worker tcp://127.0.0.1:")
        assert record.blas_threads == 1 and record.peak_rss_mb is None
        assert dask_backend.NO_PEAK_MEMORY in record.warnings
    for record in local.records:
        assert record.ran_on.startswith("local process on ")
    # the client cached every record: a second run fits nothing
    again = runner.run_plans(plans(tmp_path), on_dask)
    assert again.this_run["fitted"] == 0


def test_a_worker_killed_mid_sweep_loses_no_fit(tmp_path, local_cluster):
    """Kill a busy worker's process as the first fit finishes, with the others running or
    queued: the scheduler runs its fit again elsewhere, and the sweep ends with every fit
    recorded. The kill waits on that event, not on the clock."""
    text = SWEEP.replace('["mnist-000", "mlp", "linear", "svc"]', '["mnist-000"]')
    text = text.replace("seeds = [0, 1]", "seeds = [0, 1, 2, 3]")
    text += "[grid.mnist-000]\nepochs = [300]\n"
    pids = local_cluster.run(os.getpid)
    finished, killed = [], []

    def kill_a_busy_worker(event):
        if event["event"] != "done":
            return
        finished.append(event["key"])
        if not killed:
            busy = [worker for worker, keys in local_cluster.processing().items() if keys]
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(len(finished))

    options = RunOptions(
        cache=FitCache(tmp_path / "runs"), client=local_cluster, on_event=kill_a_busy_worker
    )
    result = runner.run_plans(plans(tmp_path, text), options)
    assert killed == [1], "no worker was killed mid-sweep"
    assert len(finished) == len(result.records) == 8
    assert all(record.status == "ok" for record in result.records), [
        (r.model, r.seed, r.reason) for r in result.records
    ]


def test_a_record_made_by_other_code_is_refused(tmp_path, local_cluster, monkeypatch):
    """A worker with another commit installed: its records would sit under keys that promise
    this client's code, so they are crashed records naming the worker."""
    from backprop_bench.experiments import models

    text = SWEEP.replace('["mnist-000", "mlp", "linear", "svc"]', '["linear"]')
    the_plans = plans(tmp_path, text)
    monkeypatch.setattr(models, "code_version", lambda: "0123456789abcdef")
    options = RunOptions(cache=FitCache(tmp_path / "runs"), client=local_cluster)
    result = runner.run_plans(the_plans, options)
    assert [record.status for record in result.records] == ["crashed", "crashed"]
    assert "runs other code" in result.records[0].reason
    assert "install the same commit on every worker" in result.records[0].reason


def test_an_interrupted_run_cancels_the_pending_fits_and_keeps_the_finished(
    tmp_path, local_cluster
):
    text = SWEEP.replace('["mnist-000", "mlp", "linear", "svc"]', '["mnist-000"]')
    text = text.replace("seeds = [0, 1]", "seeds = [0, 1, 2, 3, 4, 5]")
    text += "[grid.mnist-000]\nepochs = [300]\n"
    cache = FitCache(tmp_path / "runs")
    done = []

    def interrupt_after_two(event):
        if event["event"] == "done":
            done.append(event["key"])
            if len(done) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        options = RunOptions(cache=cache, client=local_cluster, on_event=interrupt_after_two)
        runner.run_plans(plans(tmp_path, text), options)
    assert all(cache.get(key) is not None for key in done)  # the finished fits are kept
    deadline = time.time() + 10
    while time.time() < deadline and any(local_cluster.processing().values()):
        time.sleep(0.1)
    assert not any(local_cluster.processing().values())  # nothing left running or queued
    again = runner.run_plans(plans(tmp_path, text), RunOptions(cache=cache, client=local_cluster))
    assert again.this_run["cached"] >= 2 and len(again.records) == 12


def test_a_plugin_runs_on_the_cluster_workers_that_can_import_it(
    tmp_path, local_cluster, monkeypatch
):
    """A model of one's own runs where the workers can import it; on workers that cannot
    (this module's cluster was started without it on their path) its fits are crashed records
    saying so, never cached."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[4] / "examples" / "student-net"
    target = "student_net.network:StudentNetwork"
    monkeypatch.syspath_prepend(str(example))
    request = {"seeds": (0, 1), "n_train": 300, "n_test": 120}
    cache = FitCache(tmp_path / "runs")
    blind = RunOptions(cache=cache, client=local_cluster)
    refused = runner.compare("digits", [target], options=blind, **request)
    assert [record.status for record in refused.records] == ["crashed", "crashed"]
    assert "module 'student_net.network' not found" in refused.records[0].reason
    assert all(cache.get(record.key) is None for record in refused.records)

    monkeypatch.setenv("PYTHONPATH", str(example))  # the new cluster's workers inherit it
    with dask_backend.connect(None, "local:1") as client:
        found = runner.compare(
            "digits", [target], options=RunOptions(cache=cache, client=client), **request
        )
    local = runner.compare(
        "digits", [target], options=RunOptions(cache=FitCache(tmp_path / "l")), **request
    )
    assert [record.status for record in found.records] == ["ok", "ok"]
    assert all(record.ran_on.startswith("Dask worker") for record in found.records)
    assert sorted(map(identity, found.records)) == sorted(map(identity, local.records))
