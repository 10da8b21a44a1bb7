"""What a fit leaves behind: ``FitRecord``, the cache of finished fits, and a run's outcome.

A ``FitRecord`` is one (model, seed) fit: what was fitted on which data with which code, how it
ended and what it measured. The runner writes it; the cache and ``runs.jsonl`` hold it as one
JSON object (``to_dict`` / ``from_dict``); tables, plots and publish read it. Finished fits are
cached as ``<runs cache>/<key>.json``, where the key hashes everything that decides the result:
the data (fingerprint, subset, preprocessing), the model's full configuration and seed, and the
code version. A re-run finds its fits there; an interrupted run finds those that finished. The
cache lives in the user's cache folder, never in the repository, so a fresh clone really fits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop_bench.errors import BenchError
from backprop_bench.experiments.labels import decode_labels
from backprop_bench.files import atomic_write_text, to_json

RUNS_FOLDER = "runs"
SESSIONS_FOLDER = "sessions"

# A fit's status. "ok" and "diverged" are results (cached, shown in the tables); "skipped" means
# an optional dependency is missing; "crashed" means the fit raised something unexpected or its
# worker died: not a result, never cached, and the command that ran it exits with status 1.
OK, DIVERGED, SKIPPED, CRASHED = "ok", "diverged", "skipped", "crashed"
RESULTS = (OK, DIVERGED)


@dataclass
class FitRecord:
    """One (model, seed) fit. Identity first (the cache key hashes it), then the outcome."""

    key: str  # the cache key
    model: str  # the name in the tables
    kind: str  # "network", or a baseline of baselines.BASELINES
    preset: str  # the network preset it is (kind "network") or mirrors (a baseline)
    seed: int | None  # the random seed; None for a deterministic model, fitted once
    dataset: str
    dataset_fingerprint: str  # SHA-256 over the verified arrays
    n_train: int  # training images (a stratified subset, or all)
    n_test: int  # test images
    subset_seed: int  # the random seed of the stratified subsets
    hyperparameters: dict[str, Any]  # every estimator parameter (get_params)
    code_version: str  # digest of the code that decides a fit (models.code_version)
    status: str  # OK, DIVERGED, SKIPPED or CRASHED
    reason: str | None = None  # one line: why it did not end "ok"
    preprocessing: str | None = None  # what the shared preprocessing did, e.g. "flatten -> ..."
    engine: str | None = None  # the library that computed the fit (libsvm, oneDAL, NumPy, ...)
    experiment_key: str | None = None  # digest of the prepared data
    # what fitting.fit_one measured (status "ok" only)
    train_accuracy: float | None = None  # on a fixed stratified subset of the training data
    train_accuracy_n: int | None = None  # that subset's size
    test_accuracy: float | None = None
    fit_seconds: float | None = None  # training only: per-epoch evaluation excluded
    fit_wall_seconds: float | None = None  # the whole fit call
    predict_seconds: float | None = None  # predicting the test set
    n_parameters: int | None = None  # numbers the fitted model keeps to predict
    dtype: str | None = None  # the float type of those numbers: what the model computed in
    fitted: dict[str, int] = field(default_factory=dict)  # iterations, support vectors
    confusion_matrix: list[list[int]] | None = None  # rows true class, columns predicted
    test_predictions: str | None = None  # each test image's predicted class (labels.py)
    history: list[dict[str, Any]] | None = None  # per epoch, iterative models only
    warnings: list[str] = field(default_factory=list)  # raised while fitting
    # the process that fitted
    data_rss_mb: float | None = None  # resident memory with the data loaded, before the fit
    peak_rss_mb: float | None = None  # the worker's peak resident memory
    blas_threads: int | None = None
    ran_on: str | None = None  # where: the host and its cores, and the Dask worker if one
    session: str | None = None  # the run that fitted it (its environment is cached under it)
    fitted_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "a fit record") -> FitRecord:
        """The record ``to_dict`` wrote; a ``BenchError`` naming ``where`` if it is not one."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        try:
            if unknown:
                raise TypeError(f"unknown fields {unknown}")
            return cls(**data)
        except TypeError as error:
            raise BenchError(f"{where}: not a fit record ({error})") from None

    @property
    def ok(self) -> bool:
        return self.status == OK

    def predictions(self) -> np.ndarray | None:
        """The predicted class of every test image, in the test set's order (or ``None``)."""
        return None if self.test_predictions is None else decode_labels(self.test_predictions)


def fit_key(identity: Mapping[str, Any]) -> str:
    """The cache key of a fit: SHA-256 (24 hex digits) of its canonical JSON identity."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class FitCache:
    """Finished fits, one JSON file per key, in ``folder`` (created when first written)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> FitRecord | None:
        """The cached record of ``key``, or ``None`` (also for an unreadable file)."""
        try:
            record = FitRecord.from_dict(json.loads(self.path(key).read_text(encoding="utf-8")))
        except (OSError, ValueError, BenchError):
            return None
        return record if record.key == key else None

    def put(self, record: FitRecord) -> Path:
        """Store ``record`` under its ``key``."""
        return atomic_write_text(self.path(record.key), to_json(record.to_dict()))

    def session_path(self, session: str) -> Path:
        return self.folder / SESSIONS_FOLDER / f"{session}.json"

    def put_session(self, session: Mapping[str, Any]) -> Path:
        """Store the description of one run that fitted models (environment, wall time)."""
        return atomic_write_text(self.session_path(session["id"]), to_json(session))

    def get_session(self, session: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.session_path(session).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


@dataclass
class Comparison:
    """What a comparison run produced: every record in plan order, the run itself (date,
    command, wall time, fits run and cached), the sessions that made the fits, and the true
    labels of the test images the records' predictions are of."""

    records: list[FitRecord]
    this_run: dict[str, Any]
    sessions: list[dict[str, Any]]
    test_labels: str | None = None  # the true class of every test image (labels.py)

    @property
    def crashed(self) -> list[FitRecord]:
        return [record for record in self.records if record.status == CRASHED]
