"""The comparison runner: take finished fits from the cache, run the rest, account for the run.

``compare(dataset, models, ...)`` is the whole job behind ``backprop-bench compare`` and
``reproduce`` (the command line then publishes it with ``reports.publish``):

1. ``planning.plan`` checks the request and lists its fits, each a ``FitTask`` with a cache key.
2. ``run`` takes finished fits from the cache and has a backend (``backends``: the local
   process pool, this process, or a Dask cluster) run the others, longest first. Every fit
   loads the dataset from the verified cache and prepares it with ``preprocessing.prepare`` --
   the one shared path (``worker.fit_task``). Each finished fit is cached at once, so an
   interrupted run resumes where it stopped. A model that diverges becomes a record with
   status "diverged"; one that crashes (or whose process dies), a record with status
   "crashed", not cached; the others go on either way.

How the fits run (jobs, cache, backend, progress, the results folder) travels as one
``RunOptions``. Every fit ends as a ``records.FitRecord``, whose fields are documented there.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backprop_bench.data import datasets
from backprop_bench.data.cache import cache_dir
from backprop_bench.errors import BenchError
from backprop_bench.experiments import environment
from backprop_bench.experiments.backends import Backend, Emit
from backprop_bench.experiments.backends.local import Inline, LocalPool
from backprop_bench.experiments.labels import encode_labels
from backprop_bench.experiments.models import ModelSpec
from backprop_bench.experiments.planning import (
    ALLOW_LARGE,
    DataRequest,
    Plan,
    check_scale,
    plan,
    true_test_labels,
)
from backprop_bench.experiments.records import (
    RESULTS,
    RUNS_FOLDER,
    SKIPPED,
    Comparison,
    FitCache,
    FitRecord,
)
from backprop_bench.experiments.worker import record_of
from backprop_bench.files import OutputFolder, check_output_folder


@dataclass(frozen=True)
class RunOptions:
    """How a run's fits run, whatever the fits are: the one object that carries it from the
    command line to the backend.

    ``jobs``: fits at once on the local pool (default: one per core). ``cache``: the fit cache
    (default: ``runs_cache_dir()``). ``isolate=False`` fits in this process, one after the
    other (tests; peak memory is then not measured). ``client``: a Dask client whose cluster
    runs the fits instead. ``on_event(event)`` receives progress events: ``plan``, ``start``,
    ``epoch``, ``done``. ``command``: the command line, for the session's record.
    ``fetch(dataset)`` is called once before any fit runs when some must (the command line
    passes one that shows download progress; by default ``datasets.load``), so that workers
    never download concurrently. ``out_dir``, if given, is checked to be a folder files can be
    written into (an ``OutputFolder`` is opened: checked and locked), after the request is
    checked and before any fit. ``allow_large``: run beyond ``check_jobs`` and
    ``planning.check_scale``'s limits.
    """

    jobs: int | None = None
    cache: FitCache | None = None
    isolate: bool = True
    client: Any = None
    on_event: Emit | None = None
    command: str | None = None
    fetch: Callable[[str], Any] | None = None
    out_dir: str | os.PathLike | OutputFolder | None = None
    allow_large: bool = False

    def backend(self) -> Backend:
        """Where the fits run: the Dask cluster of ``client``, this process (``isolate=False``)
        or the local pool of ``jobs`` processes (checked: ``check_jobs``)."""
        if self.client is not None:
            from backprop_bench.experiments.backends.dask import DaskCluster

            return DaskCluster(self.client)
        jobs = check_jobs(self.jobs, self.allow_large)
        return LocalPool(jobs) if self.isolate else Inline()

    def fit_cache(self) -> FitCache:
        return self.cache or FitCache(runs_cache_dir())


DEFAULT_OPTIONS = RunOptions()


def check_jobs(jobs: int | None, allow_large: bool = False) -> int:
    """The number of fits to run at once: ``jobs``, or one per usable core for ``None``. More
    than the usable cores only with ``allow_large``: every fit would run at once, slowing the
    others and the machine, with the memory of all of them."""
    cores = environment.usable_cores()
    if jobs is None:
        return cores
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise BenchError(f"jobs={jobs!r}: need an integer >= 1")
    if jobs > cores and not allow_large:
        raise BenchError(
            f"jobs={jobs}: more than the {cores} cores this process may use; give at most "
            f"{cores}, or pass {ALLOW_LARGE} to run more fits than cores at once"
        )
    return jobs


def runs_cache_dir() -> Path:
    """Where finished fits are cached: ``<datasets cache>/runs``."""
    return cache_dir() / RUNS_FOLDER


@dataclass
class RunSummary:
    """What ``run`` did: the records in plan order and how many fits were run or cached."""

    records: list[FitRecord]
    fitted: int = 0
    cached: int = 0
    skipped: int = 0
    session: dict[str, Any] | None = None
    uncached: str | None = None  # why finished fits could not be cached (a full disk), if so


def run(
    plan: Plan,
    options: RunOptions = DEFAULT_OPTIONS,
    backend: Backend | None = None,
    cached: Mapping[str, FitRecord | None] | None = None,
) -> RunSummary:
    """Run ``plan``'s fits that are not cached on ``backend`` (by default ``options``'s);
    return every record in plan order. ``cached``: each task's cached record (``None``: not
    cached), where the caller has read them already."""
    backend = backend or options.backend()
    cache = options.fit_cache()
    emit = options.on_event or (lambda event: None)
    found = dict(cached) if cached is not None else {t.key: cache.get(t.key) for t in plan.tasks}
    for task in plan.tasks:
        reason = task.spec.unavailable()
        if found[task.key] is None and reason is not None:
            found[task.key] = record_of(task, SKIPPED, f"{task.spec.name} {reason}")
    todo = sorted((t for t in plan.tasks if found[t.key] is None), key=lambda t: -t.cost)
    skipped = sum(1 for record in found.values() if record and record.status == SKIPPED)
    summary = RunSummary(records=[], cached=len(plan.tasks) - len(todo) - skipped, skipped=skipped)
    emit(
        {
            "event": "plan",
            "tasks": plan.tasks,
            "todo": todo,
            "cached": summary.cached,
            "jobs": backend.workers,
        }
    )
    if todo:
        session = _new_session(backend, options.command, len(todo))
        results = backend.run(todo, emit)
        unstored: list[str] = []

        def store(put: Callable[[Any], Any], value: Any) -> None:
            """Cache ``value``; a cache that fills up mid-run costs the caching, not the run."""
            try:
                put(value)
            except OSError as error:
                unstored.append(f"{cache.folder}: {error.strerror or type(error).__name__}")

        store(cache.put_session, session)
        start = time.perf_counter()
        interrupted = True
        try:
            for task, record in results:
                record.session, record.fitted_at = session["id"], environment.now()
                if record.status in RESULTS:  # a crash is retried by the next run
                    store(cache.put, record)
                found[task.key] = record
                summary.fitted += 1
                emit({"event": "done", "key": task.key, "record": record})
            interrupted = False
        finally:
            results.close()  # on an interruption: stop the fits still running
            session.update(
                wall_seconds=time.perf_counter() - start,
                fitted=summary.fitted,
                interrupted=interrupted,
            )
            store(cache.put_session, session)
        summary.session = session
        if unstored:
            summary.uncached = f"{len(unstored)} writes to the fit cache failed ({unstored[-1]})"
    for task in plan.tasks:  # a cached fit may have been made under another alias
        summary.records.append(replace(found[task.key], model=task.spec.name))
    return summary


def _new_session(backend: Backend, command: str | None, n_fits: int) -> dict[str, Any]:
    return {
        "id": f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}",
        "command": command,
        **backend.describe(),
        "planned_fits": n_fits,
        "environment": environment.describe(),
    }


# --- the whole job ------------------------------------------------------------------------------


def compare(
    dataset: str,
    models: Iterable[str | ModelSpec],
    *,
    options: RunOptions = DEFAULT_OPTIONS,
    **request: Any,
) -> Comparison:
    """Plan a comparison (``planning.plan(dataset, models, **request)``: sizes, seeds, network,
    preprocessing, where the data is) and run it as ``options`` say, finished fits from the
    cache; ``reports.publish`` writes it."""
    start = time.perf_counter()
    the_plan = plan(dataset, models, allow_large=options.allow_large, **request)
    return run_plans([the_plan], options, start=start)


def run_plans(
    plans: Sequence[Plan], options: RunOptions = DEFAULT_OPTIONS, *, start: float | None = None
) -> Comparison:
    """Run checked ``plans`` as one (one pool, longest fit first; a sweep's plans are one per
    dataset and training-set size): check the scale of the fits still to run (``check_jobs``,
    ``check_scale``: beyond reason only with ``allow_large``), then ``out_dir``, fetch each
    dataset once where a fit needs it, run, and return every record with the run's account.
    Test labels are kept when there is one plan (a comparison: its verdicts pair the fits
    image by image)."""
    start = time.perf_counter() if start is None else start
    backend = options.backend()
    cache = options.fit_cache()
    cached = {task.key: cache.get(task.key) for part in plans for task in part.tasks}
    todo = [task for part in plans for task in part.tasks if cached[task.key] is None]
    check_scale(todo, max(1, backend.workers), options.allow_large)
    if todo:
        cache.check()  # a finished fit must have somewhere to go
    if isinstance(options.out_dir, OutputFolder):
        options.out_dir.open()  # checked and locked for the rest of the command
    elif options.out_dir is not None:
        check_output_folder(options.out_dir)
    fetched: set[str] = set()
    unfitted = {task.key for task in todo}
    for part in () if backend.fetches_data else plans:
        missing = any(task.key in unfitted for task in part.tasks)
        if missing and part.data.dataset not in fetched:
            _ensure_data(part.data, options.fetch)
            fetched.add(part.data.dataset)
    whole = plans[0]
    if len(plans) > 1:
        specs = tuple(dict.fromkeys(spec for part in plans for spec in part.specs))
        whole = replace(whole, specs=specs, tasks=tuple(t for part in plans for t in part.tasks))
    summary = run(whole, replace(options, cache=cache), backend, cached)
    this_run = {
        "date": environment.now(),
        "command": options.command,
        "wall_seconds": time.perf_counter() - start,
        "fits": len(whole.tasks),
        "fitted": summary.fitted,
        "cached": summary.cached,
        "skipped": summary.skipped,
        "session": summary.session["id"] if summary.session else None,
    }
    if summary.uncached:
        this_run["uncached"] = summary.uncached
    labels = encode_labels(true_test_labels(whole.data)) if len(plans) == 1 else None
    sessions = _sessions(summary.records, cache, summary.session)
    return Comparison(summary.records, this_run, sessions, labels)


def _ensure_data(data: DataRequest, fetch: Callable[[str], Any] | None) -> None:
    """Fetch and verify the dataset once, in this process, before workers load it."""
    if fetch is not None:
        fetch(data.dataset)
        return
    datasets.load(data.dataset, data_dir=data.data_dir, cache_dir=data.data_cache_dir)


def _sessions(
    records: list[FitRecord], cache: FitCache, current: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The sessions (runs that fitted) behind ``records``, oldest first; ``current``, this
    run's, is known even where the cache could not keep it."""
    ids = sorted({r.session for r in records if r.session})
    known = {current["id"]: current} if current else {}
    found = (known.get(i) or cache.get_session(i) for i in ids)
    return [s for s in found if s is not None]
