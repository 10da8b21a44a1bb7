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
import math
import os
import re
import statistics
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from backprop_bench import schema
from backprop_bench.data.preprocessing import STRATIFIED, check_train_subset
from backprop_bench.errors import BenchError
from backprop_bench.experiments import intervals, plugins
from backprop_bench.experiments.labels import SYMBOLS, decode_labels
from backprop_bench.files import atomic_write_text, to_json

RUNS_FOLDER = "runs"
SESSIONS_FOLDER = "sessions"

# A fit's status. "ok" and "diverged" are results (cached, shown in the tables); "skipped" means
# an optional dependency is missing; "crashed" means the fit raised something unexpected or its
# worker died: not a result, never cached, and the command that ran it exits with status 1.
OK, DIVERGED, SKIPPED, CRASHED = "ok", "diverged", "skipped", "crashed"
RESULTS = (OK, DIVERGED)

# Which test accuracy of a fit a figure is: its final one, or its best over the epochs.
FINAL, BEST_EPOCH = "final", "best_epoch"
STATISTICS = (FINAL, BEST_EPOCH)
STATUSES = (OK, DIVERGED, SKIPPED, CRASHED)

#: A model's name: it stands in tables, plots, verdict sentences and the README, so it may hold
#: letters, digits, spaces and ``_.,:=+-()[]`` only (a grid point's label ``svc C=10.0``, an
#: import path ``pkg.mod:Name``), nothing that Markdown or HTML would read as markup.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.,:=+()\[\]-]{0,199}")


def check_model_name(name: object, where: str = "model name") -> str:
    """``name`` if it is a model name (``MODEL_NAME``), else a ``BenchError`` naming it."""
    if not isinstance(name, str) or not MODEL_NAME.fullmatch(name):
        raise BenchError(
            f"{where} {name!r}: a model's name holds letters, digits, spaces and _.,:=+-()[] only"
        )
    return name


def _finite(value: float | None, low: float = 0.0, high: float = math.inf) -> bool:
    return value is None or (math.isfinite(value) and low <= value <= high)


ACCURACIES = ("train_accuracy", "test_accuracy")
NON_NEGATIVE = ("fit_seconds", "fit_wall_seconds", "predict_seconds", "data_rss_mb",
                "peak_rss_mb")  # fmt: skip


@dataclass
class FitRecord:
    """One (model, seed) fit. Identity first (the cache key hashes it), then the outcome."""

    key: str  # the cache key
    model: str  # the name in the tables
    kind: str  # "network", a baseline of baselines.BASELINES, or a plugin's package.module:Name
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
    train_subset: str = STRATIFIED  # how the n_train images were drawn: stratified, first
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

    def accuracy_at(self, statistic: str) -> float | None:
        """The test accuracy at ``statistic``: the final one, or the best over the epochs
        (``BEST_EPOCH``; a fit without a per-epoch history has only its final one)."""
        if statistic == BEST_EPOCH and self.history:
            return max(epoch["test_accuracy"] for epoch in self.history)
        return self.test_accuracy

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "a fit record") -> FitRecord:
        """The record ``to_dict`` wrote, checked field by field (``check``); a ``BenchError``
        naming ``where`` and the field if it is not one."""
        if not isinstance(data, Mapping):
            raise BenchError(f"{where}: not a fit record (a JSON object)")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        try:
            if unknown:
                raise TypeError(f"unknown fields {unknown}")
            record = cls(**data)
        except TypeError as error:
            raise BenchError(f"{where}: not a fit record ({error})") from None
        problem = record.problem()
        if problem:
            raise BenchError(f"{where}: {problem}")
        return record

    def problem(self) -> str | None:
        """What makes this record impossible, naming the field (``None`` if nothing): a value
        of the wrong type, an accuracy outside 0..1 or not finite, a negative size or time,
        predictions or a confusion matrix that do not fit the test set."""
        for name, hint in typing.get_type_hints(FitRecord).items():
            found = schema.problem(getattr(self, name), hint, name)
            if found:
                return found
        if self.status not in STATUSES:
            return f"field status: {self.status!r} is not one of {', '.join(STATUSES)}"
        try:
            check_model_name(self.model, "field model:")
            check_train_subset(self.train_subset)
        except BenchError as error:
            return str(error)
        for name in ("n_train", "n_test"):
            if getattr(self, name) < 1:
                return f"field {name}: {getattr(self, name)} is not a size (1 or more)"
        if (self.seed is not None and self.seed < 0) or self.subset_seed < 0:
            return "field seed: a seed is 0 or more"
        for name in ACCURACIES:
            if not _finite(getattr(self, name), 0.0, 1.0):
                return f"field {name}: {getattr(self, name)!r} is not an accuracy in 0..1"
        for name in NON_NEGATIVE:
            if not _finite(getattr(self, name)):
                return f"field {name}: {getattr(self, name)!r} is not a finite value >= 0"
        if self.status == OK and self.test_accuracy is None:
            return "field test_accuracy: an ok fit has one"
        predictions = self.test_predictions
        if predictions is not None:
            if len(predictions) != self.n_test or set(predictions) - set(SYMBOLS):
                return (
                    f"field test_predictions: {len(predictions)} labels for "
                    f"n_test={self.n_test} test images (or a symbol that is not a class)"
                )
        matrix = self.confusion_matrix
        if matrix is not None:
            square = all(len(row) == len(matrix) for row in matrix)
            if not square or any(v < 0 for row in matrix for v in row):
                return "field confusion_matrix: not a square matrix of counts"
            if sum(map(sum, matrix)) != self.n_test:
                return f"field confusion_matrix: its counts do not add up to n_test={self.n_test}"
        for number, epoch in enumerate(self.history or (), 1):
            for name, value in epoch.items():
                is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if value is not None and not (is_number and math.isfinite(value)):
                    return f"field history, epoch {number}: {name}={value!r} is not a number"
        return None

    @property
    def is_plugin(self) -> bool:
        """A fit of a model of one's own (its kind is its ``package.module:Name``)."""
        return plugins.is_import_path(self.kind)

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

    def check(self) -> None:
        """A one-line ``BenchError`` unless fits can be stored in the cache folder (created
        if needed): before any fit, not after an hour of them."""
        from backprop_bench.files import check_output_folder

        try:
            check_output_folder(self.folder, "fit cache")
        except BenchError as error:
            raise BenchError(
                f"{error}; set BACKPROP_BENCH_CACHE to a folder you can write"
            ) from None

    def session_path(self, session: str) -> Path:
        return self.folder / SESSIONS_FOLDER / f"{session}.json"

    def put_session(self, session: Mapping[str, Any]) -> Path:
        """Store the description of one run that fitted models (environment, wall time)."""
        return atomic_write_text(self.session_path(session["id"]), to_json(session))

    def get_session(self, session: str) -> dict[str, Any] | None:
        """The stored session ``session``, or ``None`` where it is missing or is not one
        (``Session``'s shape)."""
        try:
            found = json.loads(self.session_path(session).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if schema.problem(found, Session, "session") is None else None


class GitState(TypedDict):
    commit: str | None
    dirty: bool | None  # None: not in a git work tree


class _BlasInfo(TypedDict):
    internal_api: str


class BlasInfo(_BlasInfo, total=False):
    """A library of ``threadpoolctl.threadpool_info()``, as ``environment.blas`` keeps it."""

    user_api: str | None
    version: str | None
    architecture: str | None
    num_threads: int | None


class Machine(TypedDict):
    """What ``environment.describe`` says of the machine (the fields tables read)."""

    cpu: str
    cores: int
    date: str
    git: GitState
    blas: list[BlasInfo]
    versions: dict[str, str | None]


class _Session(TypedDict):
    id: str
    jobs: int
    blas_threads_per_job: int
    environment: Machine


class Session(_Session, total=False):
    """One run that fitted models: its machine, parallelism and wall time (the runner's
    ``_new_session``), kept in the cache and in each results folder's environment.json."""

    command: str | None
    planned_fits: int
    fitted: int
    wall_seconds: float
    interrupted: bool
    cluster: str


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


# --- speed: what `backprop-bench speed` measured ----------------------------------------------


FLOAT32 = "float32"  # the topic of the row timing the network in float32 against float64


@dataclass(frozen=True)
class SideBySide:
    """Two sets of timings taken alternately (seconds, one per repeat): ``a`` against ``b``."""

    measurement: str
    a: str
    a_times: tuple[float, ...]
    b: str
    b_times: tuple[float, ...]
    topic: str = ""  # what the row answers: a peer's name, "float32", or "" for a rung

    @property
    def a_seconds(self) -> float:
        return statistics.median(self.a_times)

    @property
    def b_seconds(self) -> float:
        return statistics.median(self.b_times)

    @property
    def ratios(self) -> tuple[float, ...]:
        """a / b within each repeat (the two were timed back to back)."""
        return tuple(a / b for a, b in zip(self.a_times, self.b_times, strict=True))

    @property
    def interval(self) -> intervals.RatioInterval:
        """a / b over the repeats, with its 95% interval (``intervals.ratio_interval``)."""
        return intervals.ratio_interval(self.a_times, self.b_times)

    @property
    def ratio(self) -> float:
        """The geometric mean of the repeats' ratios (the interval's point)."""
        return self.interval.ratio


@dataclass(frozen=True)
class Header:
    """When, on what data and on what machine a speed run measured (and how busy it was)."""

    when: str
    repeats: str  # how the repeats were decided (``speed.Repeats.describe``)
    data: str
    machine: str
    half_width: float  # the half-width the repeats aimed at, relative (0.03: ±3%)
    notes: tuple[str, ...] = ()  # what was not measured, and why

    def lines(self) -> list[str]:
        return [
            f"backprop-bench speed, {self.when}: each ratio is the geometric mean of paired "
            f"repeats' ratios with its 95% interval, {self.repeats}",
            f"data: {self.data}",
            f"machine: {self.machine}",
            "the network's training time includes its per-epoch evaluation on the training and "
            "test sets unless the row says 'training only', the like-for-like row: "
            "MLPClassifier evaluates nothing between epochs",
            *self.notes,
        ]
