"""Planning a comparison: check the request, then list its fits.

``plan(dataset, models, ...)`` checks every name and size against the data's published
description (no data is decoded for MNIST or Fashion-MNIST: their fingerprint and sizes follow
from the published hashes) and turns each (model, seed) into a ``FitTask`` with a cache key.
Every error here is a one-line ``BenchError``, before any fit.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from backprop_bench.data import datasets, provenance
from backprop_bench.data.preprocessing import (
    STRATIFIED,
    Preprocessor,
    check_train_subset,
    prepare,
    stratified_subset,
)
from backprop_bench.errors import BenchError
from backprop_bench.experiments.models import (
    ModelSpec,
    code_version,
    estimated_cost,
    mirror_of,
    resolve,
    seeds_for,
    with_dtype,
)
from backprop_bench.experiments.records import fit_key

DEFAULT_SEEDS = (0, 1, 2, 3, 4)

DEFAULT_NETWORK = "mnist-000"
SUBSET_SEED = 0


@dataclass(frozen=True)
class DataRequest:
    """Which data a fit gets: a dataset, a subset (stratified, or the first ``n_train``) and the
    shared preprocessing."""

    dataset: str
    fingerprint: str
    n_train: int
    n_test: int
    n_features: int
    subset_seed: int = SUBSET_SEED
    dtype: str = "float64"
    standardise: bool = False
    train_subset: str = STRATIFIED
    data_dir: str | None = field(default=None, compare=False)
    data_cache_dir: str | None = field(default=None, compare=False)

    def identity(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "fingerprint": self.fingerprint,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "subset_seed": self.subset_seed,
            "dtype": self.dtype,
            "standardise": self.standardise,
        } | (  # named only where it is not the default: a stratified fit's identity is as it was
            {"train_subset": self.train_subset} if self.train_subset != STRATIFIED else {}
        )

    def prepare(self):
        """Load the dataset (from its verified cache) and prepare it: a ``PreparedData``."""
        data = datasets.load(self.dataset, data_dir=self.data_dir, cache_dir=self.data_cache_dir)
        if data.fingerprint != self.fingerprint:
            raise BenchError(f"dataset {self.dataset!r} changed since the run was planned")
        return prepare(
            data,
            n_train=self.n_train,
            n_test=self.n_test,
            subset_seed=self.subset_seed,
            dtype=self.dtype,
            standardise=self.standardise,
            train_subset=self.train_subset,
        )


@dataclass(frozen=True)
class FitTask:
    """One (model, seed) fit on one ``DataRequest``; ``key`` is its cache key."""

    spec: ModelSpec
    seed: int | None
    data: DataRequest
    hyperparameters: dict[str, Any]
    key: str
    cost: float


@dataclass(frozen=True)
class Plan:
    """Every fit a comparison needs, in the order of the models and seeds given."""

    dataset: str
    network: str
    specs: tuple[ModelSpec, ...]
    seeds: tuple[int, ...]
    data: DataRequest
    tasks: tuple[FitTask, ...]


class DataIdentity(NamedTuple):
    """What the runner needs to know of a dataset before loading it."""

    fingerprint: str
    n_train: int
    n_test: int
    n_features: int
    n_classes: int


def dataset_identity(
    name: str, *, data_dir: str | None = None, data_cache_dir: str | None = None
) -> DataIdentity:
    """The fingerprint, split sizes, feature and class counts of dataset ``name``.

    For the published datasets this follows from their published description, without reading
    any file (whatever source serves them must match it); the small generated ones are built.
    """
    if name not in datasets.DATASETS:
        raise BenchError(f"unknown dataset {name!r}; choose one of {', '.join(datasets.DATASETS)}")
    spec = provenance.SPECS.get(name)
    if spec is None:
        data = datasets.load(name, data_dir=data_dir, cache_dir=data_cache_dir)
        n_features = math.prod(data.x_train.shape[1:])
        return DataIdentity(
            data.fingerprint, len(data.y_train), len(data.y_test), n_features, data.n_classes
        )
    shapes = {
        "x_train": (spec.n_train, *spec.image_shape),
        "y_train": (spec.n_train,),
        "x_test": (spec.n_test, *spec.image_shape),
        "y_test": (spec.n_test,),
    }
    # provenance.fingerprint reads only the dtype and shape of arrays whose digests it is given
    shells = {key: np.broadcast_to(np.uint8(0), shape) for key, shape in shapes.items()}
    fingerprint = provenance.fingerprint(shells, spec.array_sha256)
    return DataIdentity(
        fingerprint, spec.n_train, spec.n_test, math.prod(spec.image_shape), spec.n_classes
    )


def _check_size(name: str, value: int | None, identity: DataIdentity, dataset: str) -> int:
    available = getattr(identity, name)
    if value is None:
        return available
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= available:
        raise BenchError(
            f"{name}={value!r} is not allowed for dataset {dataset!r}: choose 1..{available}"
        )
    if value < identity.n_classes:
        raise BenchError(
            f"{name}={value} is too small for dataset {dataset!r}: a stratified subset needs "
            f"at least one sample of each of its {identity.n_classes} classes"
        )
    return value


def plan(
    dataset: str,
    models: Iterable[str | ModelSpec],
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    network: str = DEFAULT_NETWORK,
    standardise: bool = False,
    dtype: str | None = None,
    data_dir: str | None = None,
    data_cache_dir: str | None = None,
    allow_large: bool = False,
    train_subset: str = STRATIFIED,
) -> Plan:
    """Check the request and list its fits; errors (``BenchError``) come before any work,
    and a plan of more than ``LARGE_FITS`` fits needs ``allow_large``.

    ``train_subset`` draws the ``n_train`` training samples stratified (the default) or takes
    the first ``n_train`` in the dataset's order (``"first"``).

    ``dtype`` (float64 or float32) is the shared preprocessing's output and what every model
    that can is set to compute in (``models.with_dtype``); by default the preset's, float64.
    """
    models = list(models)
    names = [model for model in models if isinstance(model, str)]
    resolved = iter(resolve(names, network) if names else ())
    specs = [next(resolved) if isinstance(model, str) else model for model in models]
    if not specs:
        raise BenchError("no models to compare: name at least one")
    if dtype is not None:
        Preprocessor(dtype=dtype)._validate_params()  # the preprocessing's own check, now
        specs = [with_dtype(spec, dtype) for spec in specs]
    if len({spec.name for spec in specs}) != len(specs):
        raise BenchError(f"models {[spec.name for spec in specs]} repeat a name")
    seeds = tuple(seeds)
    check_seeds(seeds)
    if len(set(seeds)) != len(seeds):
        raise BenchError(f"seeds={seeds!r}: a seed is repeated")
    fits = sum(len(seeds_for(spec, seeds)) for spec in specs)
    check_fit_count(fits, allow_large)
    identity = dataset_identity(dataset, data_dir=data_dir, data_cache_dir=data_cache_dir)
    n_train = _check_size("n_train", n_train, identity, dataset)
    data = DataRequest(
        dataset=dataset,
        fingerprint=identity.fingerprint,
        n_train=n_train,
        n_test=_check_size("n_test", n_test, identity, dataset),
        n_features=identity.n_features,
        dtype=dtype or mirror_of(network, n_train).dtype,
        standardise=standardise,
        train_subset=check_train_subset(train_subset),
        data_dir=data_dir,
        data_cache_dir=data_cache_dir,
    )
    version = code_version()
    tasks = []
    plugin_codes: dict[str, str] = {}  # by import path: a grid's points share one plugin
    for spec in specs:
        # a plugin's own code is part of its fits' identity (the suite's is ``version``)
        plugin = {}
        if spec.plugin is not None:
            if spec.kind not in plugin_codes:
                plugin_codes[spec.kind] = spec.plugin.code
            plugin = {"plugin_code": plugin_codes[spec.kind]}
        for seed in seeds_for(spec, seeds):
            available = spec.unavailable() is None
            hyperparameters = spec.hyperparameters(seed, n_train) if available else {}
            fit_identity = {
                "kind": spec.kind,
                "preset": spec.preset,
                "params": [list(pair) for pair in spec.params],
                "hyperparameters": hyperparameters,
                "seed": seed,
                "data": data.identity(),
                "code_version": version,
                **plugin,
            }
            cost = estimated_cost(spec, data.n_train, data.n_features, data.n_test, hyperparameters)
            tasks.append(FitTask(spec, seed, data, hyperparameters, fit_key(fit_identity), cost))
    return Plan(dataset, network, tuple(specs), seeds, data, tuple(tasks))


SEED_LIMIT = 2**32
"""Seeds are below this: NumPy's ``RandomState`` and scikit-learn take no larger one."""

MAX_SEEDS = 10_000
LARGE_FITS = 10_000
"""A plan of more fits than this is far beyond reason without ``allow_large``: a typo in a
grid or a range, more often than a wish (planning alone holds every fit in memory)."""

LARGE_SECONDS = 24 * 3600.0
"""Nor does a plan expected to take longer than a day run without ``allow_large``."""

MAX_FITS = 1_000_000
"""No plan holds more fits than this, confirmed or not."""

ALLOW_LARGE = "--allow-large"


def check_seeds(seeds: Sequence[int]) -> None:
    """One to ``MAX_SEEDS`` distinct integers in 0 .. ``SEED_LIMIT`` - 1; else a BenchError."""
    shown = seeds if len(seeds) <= 6 else f"{list(seeds[:3])} ... ({len(seeds):,} seeds)"
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise BenchError(f"seeds={shown}: give one or more integers >= 0")
    if max(seeds) >= SEED_LIMIT:
        raise BenchError(f"seed {max(seeds)} is too large: seeds run from 0 to {SEED_LIMIT - 1}")
    if len(seeds) > MAX_SEEDS:
        raise BenchError(f"seeds={shown}: give at most {MAX_SEEDS:,} seeds")


def check_fit_count(fits: int, allow_large: bool = False, where: str = "the plan") -> None:
    """Refuse ``fits`` beyond ``MAX_FITS``, or beyond ``LARGE_FITS`` unless ``allow_large``:
    before the plan that holds them is built."""
    if fits > MAX_FITS:
        raise BenchError(f"{where} holds {fits:,} fits: more than {MAX_FITS:,} cannot be planned")
    if fits > LARGE_FITS and not allow_large:
        raise BenchError(
            f"{where} holds {fits:,} fits, more than {LARGE_FITS:,}: check its grid and seeds, "
            f"or pass {ALLOW_LARGE} to run it"
        )


def expected_wall_seconds(costs: Sequence[float], jobs: int) -> float:
    """The makespan of fits taking ``costs`` seconds, run longest first on ``jobs`` workers."""
    workers = [0.0] * max(1, jobs)
    for cost in sorted(costs, reverse=True):
        heapq.heapreplace(workers, workers[0] + cost)
    return max(workers)


def check_scale(tasks: Sequence[FitTask], jobs: int, allow_large: bool = False) -> None:
    """Refuse, unless ``allow_large``, a plan whose ``tasks`` (those still to fit) would take
    longer than ``LARGE_SECONDS`` on ``jobs`` workers by their estimates."""
    seconds = expected_wall_seconds([task.cost for task in tasks], jobs)
    if seconds > LARGE_SECONDS and not allow_large:
        raise BenchError(
            f"the plan's {len(tasks):,} fits would take about {seconds / 3600:,.0f} h with {jobs} "
            f"at a time, more than a day: check its sizes and epochs, or pass {ALLOW_LARGE} "
            "to run it"
        )


def true_test_labels(data: DataRequest) -> np.ndarray:
    """The true class of each test image of ``data``, in the order the fits predicted them."""
    dataset = datasets.load(data.dataset, data_dir=data.data_dir, cache_dir=data.data_cache_dir)
    return dataset.y_test[stratified_subset(dataset.y_test, data.n_test, data.subset_seed)]


def with_params(spec: ModelSpec, name: str, **params: Any) -> ModelSpec:
    """``spec`` renamed ``name`` with estimator parameters ``params`` set over its own (a list,
    as JSON gives one, becomes a tuple: a spec is hashable)."""
    given = {key: tuple(v) if isinstance(v, list) else v for key, v in params.items()}
    return replace(spec, name=name, params=tuple(sorted({**dict(spec.params), **given}.items())))
