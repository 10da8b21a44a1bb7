"""``compare`` and ``sweep``: the runs behind the command line, and their ``Outcome``.

Each checks the whole request (models, plugins, pairs, sizes, the sweep file) before any fit,
runs through ``experiments.runner`` (finished fits from the cache) and, given ``out``, writes
the results folder whole, under its lock, exactly as the command line does.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from backprop_bench.errors import BenchError
from backprop_bench.experiments import runner, sweeps
from backprop_bench.experiments.anchors import reported_by
from backprop_bench.experiments.labels import decode_labels
from backprop_bench.experiments.models import NETWORK, ModelSpec
from backprop_bench.experiments.planning import DEFAULT_NETWORK, DEFAULT_SEEDS
from backprop_bench.experiments.records import Comparison, FitRecord
from backprop_bench.experiments.runner import DEFAULT_OPTIONS, RunOptions
from backprop_bench.files import OutputFolder
from backprop_bench.reports import publish, tables, verdicts
from backprop_bench.reports import sweeps as sweep_report

KEPT_IN_CACHE = "; the finished fits are cached: run the same command again to write them"

Folder = str | os.PathLike | OutputFolder | None


def results_folder(out: str | os.PathLike) -> OutputFolder:
    """The ``files.OutputFolder`` a run writes: a failure to write says that the fits are kept
    in the cache."""
    return OutputFolder(out, after=KEPT_IN_CACHE)


@dataclass
class Outcome:
    """What a comparison or a sweep gave: its ``records``, and where it wrote them.

    ``comparison``: the runner's account (records, this run, sessions, test labels). ``out``:
    the results folder written, if any, and ``paths`` the files in it. ``pairs``: the pairs of
    models given verdicts beside the network's. ``reproduction``: how this run compares with
    the results it replaced in ``out``, one line per model. ``sweep``: a sweep's description.
    """

    comparison: Comparison
    out: Path | None = None
    paths: list[Path] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    reproduction: list[str] = field(default_factory=list)
    sweep: dict[str, Any] | None = None

    @property
    def records(self) -> list[FitRecord]:
        return self.comparison.records

    @property
    def crashed(self) -> list[FitRecord]:
        return self.comparison.crashed

    def table(self) -> pd.DataFrame:
        """A comparison's table, one row per model (``reports.tables.comparison``, as in
        comparison.md); a sweep's tidy table, one row per fit (as in sweep.csv)."""
        if self.sweep is not None:
            return sweep_report.tidy(self.records, self.sweep)
        return tables.comparison(self.records)

    def verdicts(self) -> pd.DataFrame:
        """The network against every other model, then the named ``pairs``: one row per pair
        and seed, with McNemar's test and the pair's 95% interval (as in verdicts.csv). Empty
        where the fits were not all on one test set (a sweep over datasets or sizes)."""
        if self.comparison.test_labels is None:
            return verdicts.verdicts_table([])
        labels = decode_labels(self.comparison.test_labels)
        pairs = list(dict.fromkeys([*verdicts.network_pairs(self.records), *self.pairs]))
        return verdicts.verdicts_table(verdicts.verdicts(self.records, labels, pairs))


def _options(options: RunOptions | None, jobs: int | None) -> RunOptions:
    options = options or DEFAULT_OPTIONS
    return options if jobs is None else replace(options, jobs=jobs)


def _opened(out: Folder) -> contextlib.AbstractContextManager[OutputFolder | None]:
    """``out`` as an ``OutputFolder`` for the run (one the caller holds open stays theirs)."""
    if out is None or isinstance(out, OutputFolder):
        return contextlib.nullcontext(out)
    return results_folder(out)


def _names(models: Sequence[str | ModelSpec], network: str) -> list[str]:
    """The names the records of ``models`` will carry."""
    return [
        model.name if isinstance(model, ModelSpec) else network if model == NETWORK else model
        for model in models
    ]


def _pairs(pairs: Iterable[str | tuple[str, str]], names: Sequence[str]) -> list[tuple[str, str]]:
    """``pairs`` as (first, second) names of models of the run: ``"A:B"`` texts are split where
    both sides are models (``publish.split_pairs``)."""
    found = []
    for pair in pairs:
        if isinstance(pair, str):
            found += publish.split_pairs([pair], names, "this comparison")
        else:
            found.append(tuple(pair))
    missing = [name for pair in found for name in pair if name not in names]
    if missing:
        raise BenchError(
            f"pairs: {missing[0]!r} is not a model of this comparison ({', '.join(names)})"
        )
    return found


def compare(
    dataset: str,
    models: Iterable[str | ModelSpec],
    *,
    seeds: Iterable[int] = DEFAULT_SEEDS,
    n_train: int | None = None,
    n_test: int | None = None,
    network: str = DEFAULT_NETWORK,
    dtype: str | None = None,
    pairs: Iterable[str | tuple[str, str]] = (),
    out: Folder = None,
    jobs: int | None = None,
    data_dir: str | None = None,
    options: RunOptions | None = None,
) -> Outcome:
    """Fit ``models`` over ``seeds`` on ``dataset`` through the shared preprocessing (finished
    fits from the cache), and with ``out`` write the results folder.

    ``models``: network presets (``mnist-000``), baselines (``svc``, ``mlp``, ...), models of
    one's own by import path (``package.module:Name``) or entry-point name. ``pairs`` of them
    (``"svc:mlp"`` or ``("svc", "mlp")``) get verdicts beside the network's. ``options``: how
    the fits run (``runner.RunOptions``: cache, Dask client, progress); ``jobs`` sets its
    number of parallel fits. Every error is a one-line ``BenchError``, before any fit.
    """
    models = list(models)
    names = _names(models, network)
    pairs = _pairs(pairs, names)
    request = dict(n_train=n_train, n_test=n_test, seeds=list(seeds), network=network)
    with _opened(out) as folder:
        run_options = _options(options, jobs)
        if folder is not None:
            run_options = replace(run_options, out_dir=folder)
        comparison = runner.compare(
            dataset, models, options=run_options, dtype=dtype, data_dir=data_dir, **request
        )
        if folder is None:
            return Outcome(comparison, pairs=pairs)
        committed = _committed(folder.path)  # read under the lock: what this run replaces
        try:  # the pairs a user named for the folder stay with it, where their models do
            kept = publish.read_pairs(folder.path)
        except BenchError:
            kept = []
        ran = {record.model for record in comparison.records}
        pairs = list(dict.fromkeys([*(p for p in kept if set(p) <= ran), *pairs]))
        lines = _reproduction_lines(committed, comparison)
        if lines:
            comparison.this_run["reproduction"] = lines
        with folder.replace() as stage:
            written = publish.write_results(stage, comparison, pairs, reported_by())
        paths = [folder.path / Path(path).name for path in written]
        return Outcome(comparison, folder.path, paths, pairs, lines)


def sweep(
    path_or_dict: str | os.PathLike | Mapping[str, Any] | sweeps.Sweep,
    *,
    out: Folder = None,
    jobs: int | None = None,
    data_dir: str | None = None,
    options: RunOptions | None = None,
) -> Outcome:
    """Fit every configuration of a sweep: a sweep file's path, its TOML document as a dict,
    or a checked ``sweeps.Sweep``; with ``out`` write its results folder (sweep.csv, plots,
    summary). The whole sweep is checked before any fit."""
    run_options = _options(options, jobs)
    if isinstance(path_or_dict, sweeps.Sweep):
        checked = path_or_dict
    elif isinstance(path_or_dict, Mapping):
        checked = sweeps.parse(path_or_dict, "sweep", run_options.allow_large)
    else:
        checked = sweeps.read_sweep(path_or_dict, allow_large=run_options.allow_large)
    plans = sweeps.plans(checked, data_dir=data_dir)
    description = checked.describe()
    with _opened(out) as folder:
        if folder is not None:
            run_options = replace(run_options, out_dir=folder)
        comparison = runner.run_plans(plans, run_options)
        if folder is None:
            return Outcome(comparison, sweep=description)
        with folder.replace() as stage:
            written = sweep_report.write_sweep(stage, description, comparison)
        paths = [folder.path / Path(path).name for path in written]
        return Outcome(comparison, folder.path, paths, sweep=description)


def _committed(out: Path) -> tuple[list, list] | None:
    """The records and sessions already in results folder ``out`` (None if it has none)."""
    if not (out / publish.RUNS).is_file():
        return None
    try:
        return publish.read_results(out)
    except BenchError:
        return None


def _reproduction_lines(committed: tuple[list, list] | None, comparison: Comparison) -> list[str]:
    """Whether this run reproduced the results it is about to replace, one line per model,
    then what differs between the machines that made them."""
    if committed is None or comparison.test_labels is None:
        return []
    records, sessions = committed
    labels = decode_labels(comparison.test_labels)
    found = verdicts.reproduction(comparison.records, records, labels)
    lines = ["reproduction of the results this run replaces:"]
    lines += [f"  {item.line()}" for item in found]
    if sessions and comparison.sessions:
        changes = verdicts.environment_differences(sessions[-1], comparison.sessions[-1])
        lines.append(
            "  what differs from the machine that made them: "
            + ("; ".join(changes) if changes else "nothing recorded")
        )
    return lines
