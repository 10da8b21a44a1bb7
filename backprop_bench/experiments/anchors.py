"""Published figures the suite's own runs can be held against: ``anchors.json`` beside this file.

Each anchor is one published test accuracy with its source, what exactly was published, and how
the suite runs the nearest experiment it can (a model of the comparison, with parameters set
over its own, on the dataset, training size and preprocessing the anchor names) -- or why it
does not run it. ``run_anchors`` runs every runnable anchor through ``runner.compare``: the same
shared preprocessing, fit cache, records and failure handling as a comparison, so an anchor
that a comparison has already fitted (article 000's network and SVC) costs nothing.

An anchor also says which statistic its source reported, so that ours is the same one: each
run's final epoch or its best epoch (``statistic``), and of one run or the best of several
(``best_of``). A best-of-N figure is held against the distribution of the best of N of the
suite's runs, which needs at least ``BEST_OF_SEEDS`` of them (``reports.anchors``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from backprop_bench.data.preprocessing import STRATIFIED, check_train_subset
from backprop_bench.errors import BenchError
from backprop_bench.experiments.models import ModelSpec, resolve
from backprop_bench.experiments.planning import DEFAULT_NETWORK, plan, with_params
from backprop_bench.experiments.records import (
    FINAL,
    STATISTICS,
    Comparison,
    FitRecord,
)
from backprop_bench.experiments.runner import DEFAULT_OPTIONS, RunOptions, run_plans

ANCHORS_FILE = Path(__file__).with_name("anchors.json")

BEST_OF_SEEDS = 10  # the fewest seeds a best-of-N figure is held against


@dataclass(frozen=True)
class AnchorRun:
    """How the suite runs its nearest experiment to an anchor."""

    model: str  # a model of the comparison (``models.resolve``)
    params: dict[str, Any]  # estimator parameters set over the model's own
    seeds: tuple[int, ...]
    n_train: int | None = None  # a subset, or all
    standardise: bool = False  # the shared preprocessing's standardisation
    train_subset: str = STRATIFIED  # how the n_train images are drawn (or "first": as the source)

    def data(self) -> dict[str, Any]:
        """The data this run asks for, as ``planning.plan`` and ``runner.compare`` take it."""
        return {
            "n_train": self.n_train,
            "standardise": self.standardise,
            "train_subset": self.train_subset,
        }


@dataclass(frozen=True)
class Anchor:
    """One published figure: a test accuracy, where it comes from, and the suite's run of it."""

    id: str
    source: str
    dataset: str
    accuracy: float
    published: str  # what exactly was published, in the source's terms
    run: AnchorRun | None
    differences: str = ""  # how the suite's run differs from the published one
    not_run: str = ""  # why the suite does not run it (when ``run`` is None)
    statistic: str = FINAL  # what the source reported of a run: FINAL or BEST_EPOCH
    best_of: int = 1  # the source reported the best of this many runs
    records: tuple[FitRecord, ...] = field(default=(), compare=False)

    def problem(self) -> str | None:
        """What makes this anchor impossible to hold our runs against (``None``: nothing)."""
        if self.statistic not in STATISTICS:
            return f"statistic {self.statistic!r} is not one of {', '.join(STATISTICS)}"
        if isinstance(self.best_of, bool) or not isinstance(self.best_of, int) or self.best_of < 1:
            return f"best_of {self.best_of!r} is not a number of runs (1 or more)"
        if self.run is not None:
            try:
                check_train_subset(self.run.train_subset)
            except BenchError as error:
                return str(error)
            if self.best_of > 1 and len(self.run.seeds) < BEST_OF_SEEDS:
                return (
                    f"a best-of-{self.best_of} figure needs at least {BEST_OF_SEEDS} seeds to "
                    f"estimate the best of {self.best_of} from; it has {len(self.run.seeds)}"
                )
        return None

    def spec(self) -> ModelSpec:
        """The model the suite fits for this anchor, named after the anchor."""
        (base,) = resolve([self.run.model], DEFAULT_NETWORK)
        return with_params(base, self.id, **self.run.params)


def load_anchors(path: Path = ANCHORS_FILE) -> list[Anchor]:
    """The anchors of ``path``; a ``BenchError`` naming the file and entry if one is malformed."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: not readable JSON ({error})") from None
    anchors = []
    for number, entry in enumerate(entries, 1):
        try:
            run = entry.pop("run")
            if run is not None:
                run = AnchorRun(
                    **{**run, "params": dict(run.get("params", {})), "seeds": tuple(run["seeds"])}
                )
            anchor = Anchor(**entry, run=run)
            problem = anchor.problem()
        except (TypeError, KeyError, AttributeError) as error:
            problem = str(error)
        if problem:
            raise BenchError(f"{path}: anchor {number} is malformed ({problem})")
        anchors.append(anchor)
    return anchors


def reported_by(article: str = "article-000") -> dict[tuple[str, str], float]:
    """The figures ``article`` reported, by (dataset, model): its anchors' (ids ``article-...``),
    quoted beside a comparison as context, never as its results."""
    return {
        (anchor.dataset, anchor.run.model): anchor.accuracy
        for anchor in load_anchors()
        if anchor.id.startswith(f"{article}-") and anchor.run is not None
    }


def run_anchors(
    anchors: Sequence[Anchor], options: RunOptions = DEFAULT_OPTIONS
) -> tuple[list[Anchor], Comparison | None]:
    """Run every runnable anchor: each anchor with its own records (the fits named after it;
    none for one not run), and the run that made them (``None`` when no anchor runs).

    Anchors sharing a dataset, training data, preprocessing and seeds make one plan, and all
    the plans run as one (``runner.run_plans``: one pool, longest fit first, so a long SVC fit
    of one group does not leave a core idle). Every request is checked (models, parameters,
    sizes) before any fit, and then ``out_dir``.
    """
    start = time.perf_counter()
    groups: dict[tuple, list[Anchor]] = {}
    for anchor in anchors:
        if anchor.run is not None:
            run = anchor.run
            key = (anchor.dataset, run.seeds, *run.data().items())
            groups.setdefault(key, []).append(anchor)
    plans = []
    for key, members in groups.items():  # check everything first
        dataset, seeds, *data = key
        specs = [anchor.spec() for anchor in members]
        plans.append(plan(dataset, specs, seeds=seeds, **dict(data)))
    if not plans:
        return list(anchors), None
    comparison = run_plans(plans, options, start=start)
    mine = [tuple(r for r in comparison.records if r.model == a.id) for a in anchors]
    return [replace(a, records=r) for a, r in zip(anchors, mine, strict=True)], comparison
