"""The fit record and the cache of finished fits."""

from __future__ import annotations

import json

import pytest

from backprop_bench.errors import BenchError
from backprop_bench.experiments import records
from backprop_bench.experiments.records import FitCache, FitRecord


def test_fit_cache_round_trip_and_bad_files(tmp_path):
    cache = FitCache(tmp_path / "runs")
    assert cache.get("abc") is None
    cache.put(record("abc", test_accuracy=0.9))
    assert cache.get("abc") == record("abc", test_accuracy=0.9)
    cache.path("bad").write_text("{half a rec")
    assert cache.get("bad") is None  # an unreadable file is a miss: the fit runs again
    cache.path("other").write_text(json.dumps(record("not-other").to_dict()))
    assert cache.get("other") is None  # a file under another key
    cache.path("old").write_text(json.dumps({"key": "old", "status": "ok"}))
    assert cache.get("old") is None  # not a whole record (an older format): the fit runs again


def test_fit_key_is_canonical():
    a = records.fit_key({"model": "mlp", "seed": 0, "data": {"n": 1, "m": 2}})
    b = records.fit_key({"data": {"m": 2, "n": 1}, "seed": 0, "model": "mlp"})
    assert a == b and len(a) == 24
    assert a != records.fit_key({"model": "mlp", "seed": 1, "data": {"n": 1, "m": 2}})


def record(key: str, **fields) -> FitRecord:
    identity = dict(
        key=key, model="mlp", kind="mlp", preset="mnist-000", seed=0, dataset="digits",
        dataset_fingerprint="f" * 64, n_train=300, n_test=120, subset_seed=0,
        hyperparameters={"max_iter": 20}, code_version="c" * 16, status="ok",
    )  # fmt: skip
    return FitRecord(**{**identity, **fields})


def test_a_fit_record_round_trips_through_json():
    original = record("k", test_accuracy=0.9, history=[{"epoch": 1, "seconds": 0.1}])
    assert FitRecord.from_dict(json.loads(json.dumps(original.to_dict()))) == original


def test_something_that_is_not_a_fit_record_is_named():
    with pytest.raises(BenchError, match=r"runs.jsonl line 3: not a fit record \(unknown fields"):
        FitRecord.from_dict({**record("k").to_dict(), "colour": "red"}, "runs.jsonl line 3")
    with pytest.raises(BenchError, match=r"not a fit record .*missing"):
        FitRecord.from_dict({"key": "k"})
