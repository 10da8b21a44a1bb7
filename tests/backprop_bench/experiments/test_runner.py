"""The comparison runner on tiny data: records, caching, resuming, failures, bad input."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

from backprop_bench.cli.progress import FitProgress
from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import prepare
from backprop_bench.errors import BenchError
from backprop_bench.experiments import planning, runner
from backprop_bench.experiments.models import ModelSpec, resolve
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import RunOptions
from backprop_bench.reports import publish

SMALL = {"n_train": 300, "n_test": 120}


@pytest.fixture
def cache(tmp_path):
    return FitCache(tmp_path / "runs")


def small_compare(models, out_dir, cache, isolate=False, jobs=None, on_event=None, **settings):
    """A small digits comparison, fitted in this process, published into ``out_dir``."""
    settings = {"seeds": (0, 1), **SMALL, **settings}
    options = RunOptions(cache=cache, isolate=isolate, jobs=jobs, on_event=on_event)
    comparison = runner.compare("digits", models, options=options, **settings)
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
        assert record.status == "ok", record.reason
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
    diverging_network = planning.with_params(
        network, "network-diverges", learning_rate=1e300, hidden_activation="relu"
    )
    diverging_mlp = planning.with_params(mlp, "mlp-diverges", learning_rate_init=1e300)
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
            arguments.pop("dataset"), arguments.pop("models"),
            options=RunOptions(cache=cache, isolate=False), **arguments,
        )  # fmt: skip
    assert not cache.folder.exists()


def test_off_a_terminal_progress_is_a_line_per_finished_fit(tmp_path, cache):
    stream = io.StringIO()  # not a terminal: no bars, plain lines
    progress = FitProgress(stream)
    models = [planning.with_params(resolve(["mnist-000"], "mnist-000")[0], "net", epochs=2)]
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
