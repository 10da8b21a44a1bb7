"""Published figures the suite's own runs can be held against: ``anchors.json`` beside this file.

Each anchor is one published test accuracy with its source, what exactly was published, and how
the suite runs the nearest experiment it can (a model of the comparison, with parameters set
over its own, on the dataset, training size and preprocessing the anchor names) -- or why it
does not run it. ``run_anchors`` runs every runnable anchor through ``runner.compare``: the same
shared preprocessing, fit cache, records and failure handling as a comparison, so an anchor
that a comparison has already fitted (article 000's network and SVC) costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments import runner
from backprop_bench.experiments.models import ModelSpec, resolve
from backprop_bench.experiments.records import Comparison, FitCache, FitRecord

ANCHORS_FILE = Path(__file__).with_name("anchors.json")


@dataclass(frozen=True)
class AnchorRun:
    """How the suite runs its nearest experiment to an anchor."""

    model: str  # a model of the comparison (``models.resolve``)
    params: dict[str, Any]  # estimator parameters set over the model's own
    seeds: tuple[int, ...]
    n_train: int | None = None  # a stratified subset, or all
    standardise: bool = False  # the shared preprocessing's standardisation


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
    records: tuple[FitRecord, ...] = field(default=(), compare=False)

    def spec(self) -> ModelSpec:
        """The model the suite fits for this anchor, named after the anchor."""
        (base,) = resolve([self.run.model], runner.DEFAULT_NETWORK)
        return runner.with_params(base, self.id, **self.run.params)


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
            anchors.append(Anchor(**entry, run=run))
        except (TypeError, KeyError, AttributeError) as error:
            raise BenchError(f"{path}: anchor {number} is malformed ({error})") from None
    return anchors


def run_anchors(
    anchors: Sequence[Anchor],
    *,
    jobs: int | None = None,
    cache: FitCache | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    fetch: Callable[[str], Any] | None = None,
    command: str | None = None,
    isolate: bool = True,
    client: Any = None,
    out_dir: Any = None,
) -> list[tuple[Anchor, Comparison | None]]:
    """Run every runnable anchor; returns each anchor with its comparison (None: not run).

    Anchors sharing a dataset, training size, preprocessing and seeds run as one comparison.
    Every request is checked (models, parameters, sizes) before any fit, and then ``out_dir``
    (as ``runner.compare`` checks it).
    """
    groups: dict[tuple, list[Anchor]] = {}
    for anchor in anchors:
        if anchor.run is not None:
            run = anchor.run
            key = (anchor.dataset, run.n_train, run.standardise, run.seeds)
            groups.setdefault(key, []).append(anchor)
    plans = {}
    for key, members in groups.items():  # check everything first
        dataset, n_train, standardise, seeds = key
        specs = [anchor.spec() for anchor in members]
        runner.plan(dataset, specs, n_train=n_train, seeds=seeds, standardise=standardise)
        plans[key] = specs
    found: dict[str, Comparison] = {}
    for key, specs in plans.items():
        dataset, n_train, standardise, seeds = key
        comparison = runner.compare(
            dataset,
            specs,
            n_train=n_train,
            seeds=seeds,
            standardise=standardise,
            jobs=jobs,
            cache=cache,
            on_event=on_event,
            fetch=fetch,
            command=command,
            isolate=isolate,
            client=client,
            out_dir=out_dir,
        )
        for anchor in groups[key]:
            found[anchor.id] = comparison
    return [(anchor, found.get(anchor.id)) for anchor in anchors]
