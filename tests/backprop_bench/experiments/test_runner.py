"""The comparison runner on tiny data: records, caching, resuming, failures, bad input."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import time
import types

import numpy as np
import pytest

from backprop_bench.cli.progress import FitProgress, duration
from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import prepare
from backprop_bench.errors import BenchError
from backprop_bench.experiments import runner
from backprop_bench.experiments.models import ModelSpec, resolve
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import expected_wall_seconds
from backprop_bench.reports import publish
from tests.backprop_bench.support import fit_record

SMALL = {"n_train": 300, "n_test": 120}


@pytest.fixture
def cache(tmp_path):
    return FitCache(tmp_path / "runs")


def small_compare(models, out_dir, cache, **settings):
    """A small digits comparison, fitted in this process, published into ``out_dir``."""
    settings = {"seeds": (0, 1), "isolate": False, **SMALL, **settings}
    comparison = runner.compare("digits", models, cache=cache, **settings)
    publish.write_results(out_dir, comparison)
    return comparison


def by_model(records):
    return {(r.model, r.seed): r for r in records}


def test_a_tiny_comparison_records_every_fit(tmp_path, cache):
    result = small_compare(["mnist-000", "svc-000", "mlp", "linear"], tmp_path / "out", cache)
    prepared = prepare(load("digits"), **SMALL)
    records = by_model(result.records)
    # seed-dependent models over both seeds, deterministic ones once
    assert set(records) == {
        ("mnist-000", 0), ("mnist-000", 1), ("svc-000", None), ("mlp", 0), ("mlp", 1),
        ("linear", None),
    }  # fmt: skip
    for record in records.values():
        assert record.status == "ok", record.get("reason")
        assert record.dataset == "digits"
        assert (record.n_train, record.n_test) == (300, 120)
        assert record.preprocessing == "flatten -> float64 -> /16"
        assert 0 <= record.test_accuracy <= 1 and 0 <= record.train_accuracy <= 1
        assert sum(map(sum, record.confusion_matrix)) == 120
        assert record.n_parameters > 0 and record.hyperparameters
        assert record.fit_seconds > 0 and record.predict_seconds > 0
    network = records[("mnist-000", 0)]
    assert network.hyperparameters["learning_rate"] == 0.1
    assert network.hyperparameters["random_state"] == 0
    assert network.n_parameters == 64 * 30 + 30 + 30 * 30 + 30 + 30 * 10 + 10
    for key in [("mnist-000", 0), ("mlp", 1)]:
        history = records[key].history
        assert [epoch["epoch"] for epoch in history] == list(range(1, 21))
        # fit time is the training time of the epochs, evaluation between them excluded
        assert records[key].fit_seconds == pytest.approx(sum(e["seconds"] for e in history))
        assert records[key].fit_seconds < records[key].fit_wall_seconds
        assert history[-1]["test_accuracy"] == pytest.approx(records[key].test_accuracy)
    for record in records.values():  # every test image's prediction, kept compactly
        predicted = record.predictions()
        assert len(predicted) == record.n_test == 120
        assert np.mean(predicted == prepared.y_test) == pytest.approx(record.test_accuracy)
        assert np.trace(np.array(record.confusion_matrix)) == np.sum(predicted == prepared.y_test)
    assert records[("svc-000", None)].history is None
    assert records[("svc-000", None)].fitted["n_support_vectors"] > 0
    assert 0 < records[("linear", None)].fitted["n_iter"] < 1000  # converged
    assert records[("mlp", 0)].fitted["n_iter"] == 20
    assert records[("mnist-000", 0)].history != records[("mnist-000", 1)].history
    assert result.this_run["fitted"] == 6 and result.this_run["cached"] == 0
    out = tmp_path / "out"
    for name in ("runs.jsonl", "environment.json", "comparison.csv", "comparison.md",
                 "learning_curves.csv", "learning_curves.png"):  # fmt: skip
        assert (out / name).is_file(), name
    environment = json.loads((out / "environment.json").read_text())
    assert environment["this_run"]["fitted"] == 6
    session = environment["sessions"][0]
    assert session["environment"]["cores"] >= 1 and "versions" in session["environment"]
    assert session["wall_seconds"] > 0 and session["interrupted"] is False


def test_a_second_run_fits_nothing_and_keeps_the_cache(tmp_path, cache):
    models = ["mnist-000", "linear"]
    first = small_compare(models, tmp_path / "a", cache)
    mtimes = {path: path.stat().st_mtime_ns for path in cache.folder.glob("*.json")}
    assert len(mtimes) == 3
    second = small_compare(models, tmp_path / "b", cache)
    assert (second.this_run["fitted"], second.this_run["cached"]) == (0, 3)
    assert {path: path.stat().st_mtime_ns for path in cache.folder.glob("*.json")} == mtimes
    assert second.records == first.records
    assert (tmp_path / "b" / "comparison.md").is_file()


def test_the_cache_key_changes_with_data_seed_and_settings(tmp_path, cache):
    (spec,) = resolve(["mlp"], "mnist-000")
    tasks = runner.plan("digits", [spec], seeds=(0, 1), **SMALL).tasks
    assert len({task.key for task in tasks}) == 2
    other_size = runner.plan("digits", [spec], seeds=(0,), n_train=301, n_test=120).tasks[0]
    changed = runner.with_params(spec, "mlp", learning_rate_init=0.5)
    other_step = runner.plan("digits", [changed], seeds=(0,), **SMALL).tasks[0]
    assert len({tasks[0].key, other_size.key, other_step.key}) == 3


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, cache):
    models = ["mnist-000", "linear"]  # three fits

    def interrupt_after_first_fit(event):
        if event["event"] == "done":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        small_compare(models, tmp_path / "out", cache, on_event=interrupt_after_first_fit)
    assert len(list(cache.folder.glob("*.json"))) == 1
    assert not (tmp_path / "out" / "comparison.md").exists()
    (session,) = [json.loads(p.read_text()) for p in (cache.folder / "sessions").glob("*.json")]
    assert session["interrupted"] is True and session["fitted"] == 1

    resumed = small_compare(models, tmp_path / "out", cache)
    assert (resumed.this_run["fitted"], resumed.this_run["cached"]) == (2, 1)
    assert all(r.status == "ok" for r in resumed.records)


def test_a_diverging_model_is_a_diverged_row_and_the_others_are_kept(tmp_path, cache):
    network, mlp, linear = resolve(["mnist-000", "mlp", "linear"], "mnist-000")
    diverging_network = runner.with_params(
        network, "network-diverges", learning_rate=1e300, hidden_activation="relu"
    )
    diverging_mlp = runner.with_params(mlp, "mlp-diverges", learning_rate_init=1e300)
    result = small_compare(
        [diverging_network, diverging_mlp, linear], tmp_path / "out", cache, seeds=(0,)
    )
    records = by_model(result.records)
    diverged = records[("network-diverges", 0)]
    assert diverged.status == "diverged"
    assert diverged.reason.startswith("DivergenceError: training diverged at epoch 1")
    assert "\n" not in diverged.reason
    assert records[("mlp-diverges", 0)].status == "diverged"
    assert "diverged" in records[("mlp-diverges", 0)].reason
    assert records[("linear", None)].status == "ok"
    table = (tmp_path / "out" / "comparison.md").read_text()
    assert "| network-diverges | diverged" in table and "DivergenceError" in table
    # a divergence is a result: cached, not refitted
    again = small_compare(
        [diverging_network, diverging_mlp, linear], tmp_path / "out", cache, seeds=(0,)
    )
    assert again.this_run["fitted"] == 0


def test_a_model_missing_its_optional_dependency_is_skipped(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(ModelSpec, "unavailable", lambda self: "needs the optional 'x' extra")
    result = small_compare(["mlp"], tmp_path / "out", cache, seeds=(0,))
    (record,) = result.records
    assert record.status == "skipped" and "optional 'x'" in record.reason
    assert result.this_run["skipped"] == 1 and result.this_run["fitted"] == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"models": ["mnist-000", "svm"]}, "unknown model 'svm'; choose from mnist-000, .*svc"),
        ({"dataset": "mnist-large"}, "unknown dataset 'mnist-large'; choose one of mnist, "),
        ({"n_train": 1438}, r"n_train=1438 is not allowed for dataset 'digits': choose 1..1437"),
        ({"n_test": 0}, r"n_test=0 is not allowed"),
        ({"n_train": 9}, r"n_train=9 is too small .* each of its 10 classes"),
        ({"seeds": ()}, "seeds"),
        ({"seeds": (1, 1)}, "repeated"),
        ({"network": "mnist"}, "unknown network preset 'mnist'"),
        ({"models": ["mlp", "mlp"]}, "listed twice"),
    ],
)
def test_bad_input_is_one_clear_error_before_any_work(tmp_path, cache, settings, message):
    arguments = {"dataset": "digits", "models": ["mlp"], **settings}
    with pytest.raises(BenchError, match=message):
        runner.compare(
            arguments.pop("dataset"), arguments.pop("models"), cache=cache, isolate=False,
            **arguments,
        )  # fmt: skip
    assert not cache.folder.exists()


def test_mnist_sizes_are_checked_without_reading_mnist(tmp_path, cache, monkeypatch):
    from backprop_bench.data import datasets

    def no_loading(*args, **kwargs):
        raise AssertionError("MNIST was loaded")

    monkeypatch.setattr(datasets, "load", no_loading)
    with pytest.raises(BenchError, match="n_train=60001 is not allowed for dataset 'mnist'"):
        runner.plan("mnist", ["mlp"], n_train=60001)
    plan = runner.plan("mnist", ["svc", "mlp"], seeds=(0, 1))
    assert [t.spec.name for t in plan.tasks] == ["svc", "mlp", "mlp"]
    assert plan.data.n_train == 60000 and plan.data.n_features == 784


def test_the_published_fingerprint_is_the_loaded_one():
    from backprop_bench.data import datasets

    path = datasets.cache_file("mnist")
    if path is None or not path.exists():
        pytest.skip("MNIST is not in the cache here")
    identity = runner.dataset_identity("mnist")
    assert identity.fingerprint == datasets.load("mnist").fingerprint
    assert identity[1:] == (60000, 10000, 784, 10)


def test_isolated_workers_measure_memory_and_cap_blas_threads(tmp_path, cache):
    result = small_compare(["linear", "svc"], tmp_path / "out", cache, isolate=True, jobs=2)
    for record in result.records:
        assert record.status == "ok", record.get("reason")
        assert record.peak_rss_mb >= record.data_rss_mb > 10
        assert record.blas_threads == runner.blas_threads_per_job(2)
    assert runner.blas_threads_per_job(2) * 2 <= max(2, os.cpu_count() or 1)


def test_longest_fits_are_scheduled_first():
    plan = runner.plan("mnist", ["linear", "mlp", "mnist-000", "svc"], seeds=(0,))
    costs = {task.spec.name: task.cost for task in plan.tasks}
    assert costs["svc"] > costs["mlp"] > costs["mnist-000"]


def test_off_a_terminal_progress_is_a_line_per_finished_fit(tmp_path, cache):
    stream = io.StringIO()  # not a terminal: no bars, plain lines
    progress = FitProgress(stream)
    models = [runner.with_params(resolve(["mnist-000"], "mnist-000")[0], "net", epochs=2)]
    small_compare([*models, "linear"], tmp_path / "out", cache, on_event=progress)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "backprop-bench: 3 fits to run, 0 taken from the cache"
    # the plan: each fit with its estimated time, longest first, then the expected total
    planned = sorted(line.split(": ")[1].strip() for line in lines[1:4])
    assert planned == ["linear", "net seed 0", "net seed 1"]
    assert all(re.fullmatch(r"backprop-bench:   .+: about .+", line) for line in lines[1:4])
    assert lines[4].startswith("backprop-bench: expected wall time about ")
    lines = [lines[0], *lines[5:]]
    assert len(lines) == 4 and "\r" not in stream.getvalue()
    done = sorted(line.split(": ", 2)[2] for line in lines[1:])
    assert [line.split(":")[0] for line in done] == ["linear", "net seed 0", "net seed 1"]
    assert all(re.fullmatch(r".*: test accuracy 0\.\d{4}, fit \d+\.\d s", line) for line in done)
    counts = sorted(line.split(": ")[1] for line in lines[1:])
    assert counts == [f"fit {k}/3 done" for k in (1, 2, 3)]


def test_off_a_terminal_a_line_says_what_is_running_when_nothing_else_was_said():
    task = types.SimpleNamespace(
        key="k", seed=None, cost=700.0, spec=types.SimpleNamespace(name="svc"),
        data=types.SimpleNamespace(dataset="mnist", n_train=60000),
    )  # fmt: skip
    stream = io.StringIO()
    progress = FitProgress(stream, heartbeat=0.2)
    progress({"event": "plan", "tasks": [task], "todo": [task], "cached": 0, "jobs": 2})
    progress({"event": "start", "key": "k"})
    time.sleep(0.7)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[:3] == [
        "backprop-bench: 1 fits to run, 0 taken from the cache",
        "backprop-bench:   svc: about 11 min 40 s",
        "backprop-bench: expected wall time about 11 min 40 s with 2 fit(s) at a time "
        "(estimates from this project's 2-core machine; yours may differ)",
    ]
    running = lines[3:]
    assert 2 <= len(running) <= 4
    assert all(
        re.fullmatch(r"backprop-bench: running: svc \(for under 1 s\); 0/1 fits done", line)
        for line in running
    )


def test_the_expected_wall_time_schedules_the_longest_fits_first():
    assert expected_wall_seconds([700, 500, 20, 20, 20], jobs=2) == 700
    assert expected_wall_seconds([10, 10, 10], jobs=1) == 30
    assert expected_wall_seconds([10, 10, 10], jobs=2) == 20
    assert duration(0.3) == "under 1 s" and duration(75) == "1 min 15 s"
    assert duration(4000) == "1 h 6 min"


def test_a_worker_killed_mid_fit_is_a_crashed_record_and_the_others_are_kept(tmp_path, cache):
    killed = []

    def kill_the_network(event):
        if event["event"] == "start" and not killed and "pid" in event:
            task = next(t for t in plan.tasks if t.key == event["key"])
            if task.spec.name == "slow-net":
                os.kill(event["pid"], signal.SIGKILL)
                killed.append(event["key"])

    (network,) = resolve(["mnist-000"], "mnist-000")
    slow = runner.with_params(network, "slow-net", epochs=200)
    plan = runner.plan("digits", [slow, "linear"], seeds=(0,), **SMALL)
    summary = runner.run(plan, jobs=2, cache=cache, on_event=kill_the_network)
    records = by_model(summary.records)
    assert killed
    assert records[("slow-net", 0)].status == "crashed"
    assert records[("slow-net", 0)].reason == "worker process died (exit code -9)"
    assert records[("linear", None)].status == "ok"
    assert cache.get(records[("slow-net", 0)].key) is None  # not cached: the next run retries
    assert cache.get(records[("linear", None)].key) is not None


def test_progress_counts_each_plan_of_a_command_afresh():
    def task(key, name):
        return types.SimpleNamespace(
            key=key, seed=None, cost=1.0, spec=types.SimpleNamespace(name=name),
            data=types.SimpleNamespace(dataset="digits", n_train=100),
        )  # fmt: skip

    stream = io.StringIO()
    progress = FitProgress(stream, heartbeat=60)
    for key in ("a", "b"):
        progress(
            {"event": "plan", "tasks": [task(key, key)], "todo": [task(key, key)], "cached": 0}
        )
        record = fit_record(model=key, test_accuracy=0.9, fit_seconds=1.0)
        progress({"event": "done", "key": key, "record": record})
    progress.close()
    done = [line for line in stream.getvalue().splitlines() if "done" in line]
    assert [line.split(": ")[1] for line in done] == ["fit 1/1 done", "fit 1/1 done"]


def test_float32_goes_through_the_preprocessing_to_every_model_that_can(tmp_path, cache):
    models = ["mnist-000", "svc-000", "mlp", "linear"]
    result = small_compare(models, tmp_path / "out", cache, seeds=(0,), dtype="float32")
    records = by_model(result.records)
    for record in records.values():
        assert record.status == "ok", record.reason
        assert record.preprocessing == "flatten -> float32 -> /16"
    assert records[("mnist-000", 0)].hyperparameters["dtype"] == "float32"
    computed = {model: record.dtype for (model, _), record in records.items()}
    # libsvm converts to float64, and the record says so
    assert computed == {"mnist-000": "float32", "svc-000": "float64", "mlp": "float32",
                        "linear": "float32"}  # fmt: skip
    float64 = by_model(small_compare(models, tmp_path / "f64", cache, seeds=(0,)).records)
    assert {record.dtype for record in float64.values()} == {"float64"}
    assert {r.key for r in float64.values()}.isdisjoint(r.key for r in records.values())
    table = (tmp_path / "out" / "comparison.md").read_text()
    assert "| dtype" in table and "float32" in table


def test_an_unknown_dtype_is_refused_before_any_work(cache):
    with pytest.raises(BenchError, match=r"dtype='float16' is not allowed"):
        runner.plan("digits", ["mnist-000"], dtype="float16")
