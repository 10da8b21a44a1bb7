"""Sweeps: many configurations of a comparison, declared in a TOML file and run as one plan.

A sweep file names a dataset (or several), training-set sizes, seeds, models, and for any
model a grid of its estimator's parameters::

    title = "How the network and the baselines scale with the training set"
    datasets = ["mnist"]
    n_train = [1000, 2000, 5000, 10000, 20000, 60000]   # default: the whole training set
    seeds = [0, 1, 2]
    models = ["mnist-000", "mlp", "linear", "svc"]
    # network = "mnist-000"   (the preset the baselines mirror), n_test, dtype, out

    [grid.svc]                 # every combination of these values, for that model
    C = [1.0, 10.0]

Every point of the grid is a ``ModelSpec`` of its own (named ``svc C=10.0``), fitted over the
seeds on every (dataset, n_train); every fit goes through the runner's planning, shared
preprocessing, fit cache, records, failure handling and resume, exactly as ``compare``'s do.
``load`` checks the whole file before any work and names the entry at fault: an unknown key,
parameter or model, an empty axis, a value the estimator refuses (its own validation), a size
the dataset cannot give.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments import planning
from backprop_bench.experiments.models import ModelSpec, resolve, seeds_for

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KEYS = ("title", "datasets", "n_train", "n_test", "seeds", "models", "network", "dtype", "out")
REQUIRED = ("datasets", "models")


@dataclass(frozen=True)
class Point:
    """One model at one point of its grid: ``spec`` (named ``label``) and the values set."""

    model: str  # the model's name in the sweep file
    spec: ModelSpec
    values: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file."""

    path: str
    title: str
    datasets: tuple[str, ...]
    n_train: tuple[int | None, ...]
    n_test: int | None
    seeds: tuple[int, ...]
    points: tuple[Point, ...]
    network: str
    dtype: str | None
    out: str

    @property
    def axes(self) -> list[str]:
        """What varies between fits besides the seed: dataset, n_train, grid parameters."""
        sizes = {"dataset": self.datasets, "n_train": self.n_train}
        axes = [name for name, values in sizes.items() if len(values) > 1]
        return axes + sorted({name for point in self.points for name, _ in point.values})

    def describe(self) -> dict[str, Any]:
        """The sweep as JSON (kept beside its results, so that they can be rendered again)."""
        return {
            "path": self.path,
            "title": self.title,
            "datasets": list(self.datasets),
            "n_train": list(self.n_train),
            "n_test": self.n_test,
            "seeds": list(self.seeds),
            "network": self.network,
            "dtype": self.dtype,
            "out": self.out,
            "axes": self.axes,
            "points": {
                point.label: {"model": point.model, "values": dict(point.values)}
                for point in self.points
            },
        }


def _fail(path: str, entry: str, problem: str) -> BenchError:
    return BenchError(f"{path}: {entry}: {problem}")


def _list(
    path: str, document: Mapping[str, Any], key: str, default: Any = None, entry: str = ""
) -> list[Any]:
    """The values of ``key`` as a non-empty list without repeats (a single value is a list of
    one; absent: ``[default]``); ``entry`` names it in errors (default: ``key``)."""
    value = document.get(key, default)
    if value is None:
        return [None]
    if not isinstance(value, list):
        value = [value]
    if not value:
        raise _fail(path, entry or key, "an empty list: give at least one value")
    if len(set(map(repr, value))) != len(value):
        raise _fail(path, entry or key, f"{value!r} repeats a value")
    return value


def read_sweep(path: str | Path, allow_large: bool = False) -> Sweep:
    """Read and check sweep file ``path``; ``BenchError`` naming the entry at fault. A sweep
    of more than ``planning.LARGE_FITS`` fits needs ``allow_large``."""
    path = str(path)
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        raise BenchError(f"{path}: cannot read it ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise BenchError(f"{path}: not valid TOML ({error})") from None
    return parse(document, path, allow_large)


def _scalar(path: str, document: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    """``document[key]`` if it is a ``kind`` (a non-empty string, an integer), else a
    BenchError naming the entry; ``default`` when absent."""
    value = document.get(key, default)
    if value is None and default is None:
        return None
    wrong = not isinstance(value, kind) or isinstance(value, bool)
    if wrong or (kind is str and not value.strip()):
        what = "a non-empty string" if kind is str else "an integer"
        raise _fail(path, key, f"{value!r}: give {what}")
    return value


def parse(document: Mapping[str, Any], path: str = "sweep", allow_large: bool = False) -> Sweep:
    """Check a sweep's TOML ``document`` (from file ``path``, for messages); its size is
    counted before any grid point is built (``planning.check_fit_count``)."""
    unknown = sorted(set(document) - {*KEYS, "grid"})
    if unknown:
        raise _fail(path, unknown[0], f"unknown key; allowed: {', '.join((*KEYS, 'grid'))}")
    for key in REQUIRED:
        if key not in document:
            raise _fail(path, key, "missing; a sweep needs datasets and models")
    datasets = _list(path, document, "datasets")
    n_trains = _list(path, document, "n_train")
    seeds = _list(path, document, "seeds", [0])
    for key, values in (("datasets", datasets), ("models", document["models"])):
        if not all(isinstance(value, str) for value in _list(path, {key: values}, key)):
            raise _fail(path, key, f"{values!r}: give a list of names")
    for key, values in (("n_train", [v for v in n_trains if v is not None]), ("seeds", seeds)):
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
            raise _fail(path, key, f"{values!r}: give a list of integers")
    try:
        planning.check_seeds(tuple(seeds))
    except BenchError as error:
        raise _fail(path, "seeds", str(error)) from None
    network = _scalar(path, document, "network", str, planning.DEFAULT_NETWORK)
    title = _scalar(path, document, "title", str, Path(path).stem)
    out = _scalar(path, document, "out", str, f"results/{Path(path).stem}")
    dtype = _scalar(path, document, "dtype", str, None)
    n_test = _scalar(path, document, "n_test", int, None)
    try:
        specs = resolve(_list(path, document, "models"), network)
    except BenchError as error:
        raise _fail(path, "models", str(error)) from None
    grid = document.get("grid", {})
    if not isinstance(grid, Mapping):
        raise _fail(path, "grid", "give a table per model: [grid.MODEL] PARAMETER = [values]")
    names = {spec.name for spec in specs} | {"network"}
    for model in grid:
        if model not in names:
            raise _fail(path, f"grid.{model}", f"not a model of this sweep ({', '.join(names)})")
    fits = 0  # counted before any point is built: a typo must not fill the memory first
    for spec, model in zip(specs, _list(path, document, "models"), strict=True):
        values = grid.get(model, grid.get(spec.name, {}))
        size = math.prod(len(v) if isinstance(v, list) else 1 for v in values.values()) if (
            isinstance(values, Mapping)
        ) else 1  # fmt: skip
        fits += size * len(seeds_for(spec, seeds))
    total = fits * len(datasets) * len(n_trains)
    planning.check_fit_count(total, allow_large, f"{path}: the sweep")
    points = []
    for spec, model in zip(specs, _list(path, document, "models"), strict=True):
        values = grid.get(model, grid.get(spec.name, {}))  # "network" or the preset's name
        points += _points(path, spec, model, values)
    sweep = Sweep(
        path=path,
        title=title,
        datasets=tuple(datasets),
        n_train=tuple(n_trains),
        n_test=n_test,
        seeds=tuple(seeds),
        points=tuple(points),
        network=network,
        dtype=dtype,
        out=out,
    )
    for dataset, n_train in itertools.product(sweep.datasets, sweep.n_train):
        try:
            plan(sweep, dataset, n_train)  # sizes, seeds, dtype: the runner's own checks
        except BenchError as error:
            raise _fail(path, f"dataset {dataset}, n_train {n_train}", str(error)) from None
    return sweep


def _points(path: str, spec: ModelSpec, model: str, grid: Mapping[str, Any]) -> list[Point]:
    """Every point of ``spec``'s grid, each checked by the estimator's own validation."""
    if not isinstance(grid, Mapping):
        raise _fail(path, f"grid.{model}", "give a table: PARAMETER = [values]")
    if not grid:
        return [Point(spec.name, spec)]
    allowed = _estimator(spec).get_params()
    for name in grid:
        if name not in allowed:
            raise _fail(
                path, f"grid.{model}.{name}", f"unknown parameter; {model} has {sorted(allowed)}"
            )
    axes = {name: _list(path, grid, name, entry=f"grid.{model}.{name}") for name in sorted(grid)}
    points = []
    for values in itertools.product(*axes.values()):
        point = tuple(zip(axes, (_value(v) for v in values), strict=True))
        label = " ".join([spec.name, *(f"{name}={_text(value)}" for name, value in point)])
        candidate = replace(spec, name=label, params=(*spec.params, *point))
        try:
            _check(_estimator(candidate))
        except BenchError:
            raise
        except Exception as error:  # the estimator's set_params or validation refused it
            raise _fail(path, f"grid.{model}", f"{dict(point)}: {error}") from None
        points.append(Point(spec.name, candidate, point))
    return points


def _value(value: Any) -> Any:
    """A TOML value as the estimator takes it: arrays become tuples (hidden_layer_sizes)."""
    return tuple(value) if isinstance(value, list) else value


def _text(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _estimator(spec: ModelSpec) -> Any:
    if spec.unavailable() is not None:
        raise BenchError(f"{spec.name} {spec.unavailable()}")
    return spec.build(0, 1000)


def _check(estimator: Any) -> None:
    """The estimator's own parameter validation (scikit-learn's constraints where it declares
    them, a peer's ``_check_params``; a plugin's ``set_params`` has run already), and the
    layer sizes, which scikit-learn's MLP checks only when it fits."""
    if hasattr(estimator, "_parameter_constraints"):  # declared: scikit-learn's own checks
        estimator._validate_params()
    if hasattr(estimator, "_check_params"):
        estimator._check_params()
    sizes = estimator.get_params().get("hidden_layer_sizes")
    listed = [sizes] if isinstance(sizes, int) else sizes
    if sizes is not None and not (
        isinstance(listed, (list, tuple))
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in listed)
    ):
        raise ValueError(f"hidden_layer_sizes={sizes!r}: give layer sizes >= 1")


def plan(sweep: Sweep, dataset: str, n_train: int | None, **data: Any) -> planning.Plan:
    """The runner's plan of every point of ``sweep`` on ``dataset`` with ``n_train`` samples
    (``data``: where the data is, ``planning.plan``'s ``data_dir`` and ``data_cache_dir``)."""
    return planning.plan(
        dataset,
        [point.spec for point in sweep.points],
        n_train=n_train,
        n_test=sweep.n_test,
        seeds=sweep.seeds,
        network=sweep.network,
        dtype=sweep.dtype,
        allow_large=True,  # the whole sweep's count was checked when it was read
        **data,
    )


def plans(sweep: Sweep, **data: Any) -> list[planning.Plan]:
    """One plan per (dataset, n_train) of ``sweep``, in the file's order."""
    return [
        plan(sweep, dataset, n_train, **data)
        for dataset, n_train in itertools.product(sweep.datasets, sweep.n_train)
    ]
