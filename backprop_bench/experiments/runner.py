"""The comparison runner: plan the fits, take finished ones from the cache, run the rest.

``compare(dataset, models, ...)`` is the whole job behind ``backprop-bench compare`` and
``reproduce`` (the command line then publishes it with ``reports.publish``):

1. ``plan`` checks every name and size against the data's published description (no data is
   decoded for MNIST or Fashion-MNIST: their fingerprint and sizes follow from the published
   hashes) and turns each (model, seed) into a ``FitTask`` with a cache key.
2. ``run`` takes finished fits from the cache and runs the others, longest first, each in a
   fresh worker process of its own (at most ``jobs`` at once), so each fit's peak memory
   (``ru_maxrss``) is its own and BLAS threads are capped at ``cores // jobs`` per worker.
   Every worker loads the dataset from the verified cache and prepares it with
   ``preprocessing.prepare`` -- the one shared path. Each finished fit is cached at once, so an
   interrupted run resumes where it stopped. A model that diverges becomes a record with
   status "diverged" and its one-line reason; one that crashes (or whose worker dies), a
   record with status "crashed", not cached; the others go on either way.

Every fit ends as a ``records.FitRecord``, whose fields are documented there.
"""

from __future__ import annotations

import heapq
import math
import multiprocessing
import os
import resource
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait as wait_for
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from backprop_bench.data.preprocessing import STRATIFIED, check_train_subset
from backprop_bench.errors import BenchError
from backprop_bench.experiments import environment
from backprop_bench.experiments.labels import encode_labels
from backprop_bench.experiments.models import (
    ModelSpec,
    code_version,
    estimated_cost,
    mirror_of,
    resolve,
    seeds_for,
    with_dtype,
)
from backprop_bench.experiments.records import (
    CRASHED,
    DIVERGED,
    OK,
    RESULTS,
    RUNS_FOLDER,
    SKIPPED,
    Comparison,
    FitCache,
    FitRecord,
    fit_key,
)
from backprop_bench.files import OutputFolder, check_output_folder

DEFAULT_SEEDS = (0, 1, 2, 3, 4)

DEFAULT_NETWORK = "mnist-000"
SUBSET_SEED = 0

Event = dict[str, Any]


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
        """Load the dataset (from its verified cache) and prepare it: an ``Experiment``."""
        from backprop_bench.data.datasets import load
        from backprop_bench.data.preprocessing import prepare

        data = load(self.dataset, data_dir=self.data_dir, cache_dir=self.data_cache_dir)
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
    import numpy as np

    from backprop_bench.data import datasets, provenance

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
        from backprop_bench.data.preprocessing import Preprocessor

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
    for spec in specs:
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


# --- running ------------------------------------------------------------------------------------


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


def blas_threads_per_job(jobs: int) -> int:
    """BLAS threads each worker may use so that jobs x threads <= cores."""
    return max(1, environment.usable_cores() // max(1, jobs))


def runs_cache_dir() -> Path:
    """Where finished fits are cached: ``<datasets cache>/runs``."""
    from backprop_bench.data.cache import cache_dir

    return cache_dir() / RUNS_FOLDER


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def record_of(task: FitTask, status: str, reason: str | None = None, **measured: Any) -> FitRecord:
    """The record of ``task`` ending with ``status``."""
    return FitRecord(
        key=task.key,
        model=task.spec.name,
        kind=task.spec.kind,
        preset=task.spec.preset,
        engine=task.spec.engine,
        seed=task.seed,
        dataset=task.data.dataset,
        dataset_fingerprint=task.data.fingerprint,
        n_train=task.data.n_train,
        n_test=task.data.n_test,
        subset_seed=task.data.subset_seed,
        train_subset=task.data.train_subset,
        hyperparameters=task.hyperparameters,
        code_version=code_version(),
        status=status,
        reason=reason,
        **measured,
    )


def _rss_mb() -> float | None:
    """The current resident set size in MB (Linux), else ``None``."""
    try:
        with open("/proc/self/statm", encoding="ascii") as file:
            pages = int(file.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    """This process's maximum resident set size so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KB


def execute(task: FitTask, on_epoch: Callable[[int, int], None] | None = None) -> FitRecord:
    """Run one fit in this process and return its record (never raises for a model's error)."""
    from backprop_bench.experiments.fitting import fit_one
    from nets.errors import DivergenceError

    data: dict[str, Any] = {}
    try:
        experiment = task.data.prepare()
        data = {
            "preprocessing": experiment.preprocessing,
            "experiment_key": experiment.key,
            "data_rss_mb": _rss_mb(),
        }
        measured = fit_one(task.spec, experiment, task.seed, on_epoch=on_epoch)
    except DivergenceError as error:  # a result: this model, these settings, this seed diverge
        return record_of(task, DIVERGED, _one_line(error), **data)
    except Exception as error:  # a bug or a broken environment: not a result, never cached
        return record_of(task, CRASHED, _one_line(error), **data)
    return record_of(task, OK, **data, **measured)


def _limit_onedal(threads: int) -> None:
    """Cap oneDAL's own (TBB) threads, which threadpoolctl does not see, where it is installed:
    a oneDAL fit then uses the same cores as any other fit of the run."""
    import importlib.util

    if importlib.util.find_spec("daal4py") is not None:
        import daal4py

        daal4py.daalinit(threads)


def execute_capped(
    task: FitTask,
    threads: int,
    where: str,
    on_epoch: Callable[[int, int], None] | None = None,
    started: Callable[[], None] | None = None,
) -> FitRecord:
    """Run ``task`` in this process with BLAS, OpenMP, XLA and oneDAL capped at ``threads``
    (a worker process of the pool, or a Dask worker); the record says where it ran
    (``where``) and with how many BLAS threads. ``started()`` is called once the caps hold."""
    environment.cap_threads(threads)
    import scipy.linalg  # noqa: F401  (load every BLAS before capping them)
    import sklearn.svm  # noqa: F401
    from threadpoolctl import threadpool_info, threadpool_limits

    _limit_onedal(threads)
    with threadpool_limits(limits=threads):
        if started is not None:
            started()
        record = execute(task, on_epoch)
        record.blas_threads = max((i["num_threads"] for i in threadpool_info()), default=None)
    record.ran_on = f"{where} on {environment.host_line()}"
    return record


def _worker(task: FitTask, blas_threads: int, events: Any) -> None:
    """A worker process: run ``task`` with capped threads, send its progress and then its
    record back through ``events``, the write end of a pipe of its own."""

    def send(event: Event) -> None:
        try:
            events.send(event)
        except OSError:  # the main process is gone (killed): no one to tell, so end quietly
            os._exit(0)

    def started() -> None:
        send({"event": "start", "key": task.key, "pid": os.getpid()})

    def on_epoch(epoch: int, epochs: int) -> None:
        send({"event": "epoch", "key": task.key, "epoch": epoch, "epochs": epochs})

    record = execute_capped(task, blas_threads, "local process", on_epoch, started)
    record.peak_rss_mb = _peak_rss_mb()
    send({"event": "record", "key": task.key, "record": record.to_dict()})


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
    *,
    jobs: int | None = None,
    cache: FitCache | None = None,
    isolate: bool = True,
    on_event: Callable[[Event], None] | None = None,
    command: str | None = None,
    client: Any = None,
    allow_large: bool = False,
) -> RunSummary:
    """Run ``plan``'s fits that are not cached; return every record in plan order.

    ``jobs``: worker processes (default: one per core). ``isolate=False`` fits in this process,
    one after the other (for tests; peak memory is then not measured). ``client``: a Dask
    client whose cluster runs the fits instead (``cluster.run_on_cluster``). ``on_event(event)``
    receives progress events: ``plan``, ``start``, ``epoch``, ``done``. ``allow_large``: see
    ``check_jobs``.
    """
    if client is not None:
        jobs = len(client.scheduler_info()["workers"])
    else:
        jobs = check_jobs(jobs, allow_large)
    cache = cache or FitCache(runs_cache_dir())
    emit = on_event or (lambda event: None)
    found = {task.key: cache.get(task.key) for task in plan.tasks}
    for task in plan.tasks:
        reason = task.spec.unavailable()
        if found[task.key] is None and reason is not None:
            found[task.key] = record_of(task, SKIPPED, f"{task.spec.name} {reason}")
    todo = sorted((t for t in plan.tasks if found[t.key] is None), key=lambda t: -t.cost)
    skipped = sum(1 for record in found.values() if record and record.status == SKIPPED)
    summary = RunSummary(records=[], cached=len(plan.tasks) - len(todo) - skipped, skipped=skipped)
    jobs = jobs if isolate or client is not None else 1
    emit(
        {"event": "plan", "tasks": plan.tasks, "todo": todo, "cached": summary.cached, "jobs": jobs}
    )
    if todo:
        session = _new_session(jobs, command, len(todo))
        if client is not None:
            from backprop_bench.experiments import cluster

            session["cluster"] = client.scheduler.address
            results = cluster.run_on_cluster(client, todo, emit)
        else:
            results = _run_isolated(todo, jobs, emit) if isolate else _run_inline(todo, emit)
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
            results.close()  # on an interruption: stop the workers still running
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


def _new_session(jobs: int, command: str | None, n_fits: int) -> dict[str, Any]:
    return {
        "id": f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}",
        "command": command,
        "jobs": jobs,
        "blas_threads_per_job": blas_threads_per_job(jobs),
        "planned_fits": n_fits,
        "environment": environment.describe(),
    }


def _run_inline(todo: list[FitTask], emit: Callable[[Event], None]):
    for task in todo:
        emit({"event": "start", "key": task.key})

        def on_epoch(epoch: int, epochs: int, key: str = task.key) -> None:
            emit({"event": "epoch", "key": key, "epoch": epoch, "epochs": epochs})

        yield task, execute(task, on_epoch)


def _run_isolated(todo: list[FitTask], jobs: int, emit: Callable[[Event], None]):
    """Each fit in a fresh spawned process of its own, at most ``jobs`` at once, in the order
    of ``todo``; yields ``(task, record)`` as fits finish. Closing the generator (an
    interrupted run) terminates the fits still running.

    Each worker talks through a pipe of its own, so a worker killed mid-message (by the
    out-of-memory killer, say) breaks only its own pipe: its fit is a crashed record, and the
    others go on.
    """
    context = multiprocessing.get_context("spawn")
    blas_threads = blas_threads_per_job(jobs)
    waiting = list(todo)
    running: dict[str, tuple[FitTask, Any, Any]] = {}  # key -> task, process, pipe end

    def finish(key: str, record: FitRecord) -> tuple[FitTask, FitRecord]:
        task, process, pipe = running.pop(key)
        pipe.close()
        process.join()
        return task, record

    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                task = waiting.pop(0)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_worker, args=(task, blas_threads, writer), daemon=True
                )
                process.start()
                writer.close()  # the worker holds the only write end
                running[task.key] = (task, process, reader)
            pipes = {id(pipe): key for key, (_, _, pipe) in running.items()}
            ready = wait_for([pipe for _, _, pipe in running.values()], timeout=1.0)
            for pipe in ready:
                key = pipes[id(pipe)]
                task = running[key][0]
                try:
                    event = pipe.recv()
                except (EOFError, OSError):  # the worker died before sending its record
                    process = running[key][1]
                    process.join()
                    reason = f"worker process died (exit code {process.exitcode})"
                    yield finish(key, record_of(task, CRASHED, reason))
                    continue
                if event["event"] == "record":
                    try:
                        record = FitRecord.from_dict(event["record"])
                    except BenchError as error:  # a fit that returned nonsense is not a result
                        record = record_of(task, CRASHED, f"an invalid record: {error}")
                    yield finish(key, record)
                else:
                    emit(event)
    finally:
        for _, process, pipe in running.values():
            process.terminate()
            pipe.close()
        for _, process, _ in running.values():
            process.join()


# --- the whole job ------------------------------------------------------------------------------


def compare(
    dataset: str,
    models: Iterable[str | ModelSpec],
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    jobs: int | None = None,
    network: str = DEFAULT_NETWORK,
    standardise: bool = False,
    dtype: str | None = None,
    cache: FitCache | None = None,
    data_dir: str | None = None,
    data_cache_dir: str | None = None,
    isolate: bool = True,
    on_event: Callable[[Event], None] | None = None,
    command: str | None = None,
    fetch: Callable[[str], Any] | None = None,
    out_dir: str | os.PathLike | OutputFolder | None = None,
    client: Any = None,
    allow_large: bool = False,
    train_subset: str = STRATIFIED,
) -> Comparison:
    """Plan and run a comparison (finished fits from the cache); ``reports.publish`` writes it.

    ``out_dir``, if given, is checked to be a folder files can be written into (an
    ``OutputFolder`` is opened: checked and locked), after the request is checked and before
    any fit.

    ``fetch(dataset)`` is called once before any fit runs when some must (the command line
    passes one that shows download progress); by default ``datasets.load`` is used, so that
    workers never download concurrently.
    """
    start = time.perf_counter()
    the_plan = plan(
        dataset,
        models,
        n_train=n_train,
        n_test=n_test,
        seeds=seeds,
        network=network,
        standardise=standardise,
        dtype=dtype,
        data_dir=data_dir,
        data_cache_dir=data_cache_dir,
        allow_large=allow_large,
        train_subset=train_subset,
    )
    return run_plans(
        [the_plan],
        start=start,
        jobs=jobs,
        cache=cache,
        isolate=isolate,
        on_event=on_event,
        command=command,
        fetch=fetch,
        out_dir=out_dir,
        client=client,
        allow_large=allow_large,
    )


def run_plans(
    plans: Sequence[Plan],
    *,
    start: float | None = None,
    jobs: int | None = None,
    cache: FitCache | None = None,
    isolate: bool = True,
    on_event: Callable[[Event], None] | None = None,
    command: str | None = None,
    fetch: Callable[[str], Any] | None = None,
    out_dir: str | os.PathLike | OutputFolder | None = None,
    client: Any = None,
    allow_large: bool = False,
) -> Comparison:
    """Run checked ``plans`` as one (one pool, longest fit first; a sweep's plans are one per
    dataset and training-set size): check the scale of the fits still to run (``check_jobs``,
    ``check_scale``: beyond reason only with ``allow_large``), then ``out_dir``, fetch each
    dataset once where a fit needs it, run, and return every record with the run's account.
    Test labels are kept when there is one plan (a comparison: its verdicts pair the fits
    image by image)."""
    start = time.perf_counter() if start is None else start
    if client is None:
        jobs = check_jobs(jobs, allow_large)
    cache = cache or FitCache(runs_cache_dir())
    todo = [task for part in plans for task in part.tasks if cache.get(task.key) is None]
    workers = len(client.scheduler_info()["workers"]) if client is not None else jobs
    check_scale(todo, max(1, workers), allow_large)
    if todo:
        cache.check()  # a finished fit must have somewhere to go
    if isinstance(out_dir, OutputFolder):
        out_dir.open()  # checked and locked for the rest of the command
    elif out_dir is not None:
        check_output_folder(out_dir)
    fetched: set[str] = set()
    unfitted = {task.key for task in todo}
    for part in plans if client is None else ():  # a cluster's workers fetch for themselves
        missing = any(task.key in unfitted for task in part.tasks)
        if missing and part.data.dataset not in fetched:
            _ensure_data(part.data, fetch)
            fetched.add(part.data.dataset)
    whole = plans[0]
    if len(plans) > 1:
        specs = tuple(dict.fromkeys(spec for part in plans for spec in part.specs))
        whole = replace(whole, specs=specs, tasks=tuple(t for part in plans for t in part.tasks))
    summary = run(
        whole,
        jobs=jobs,
        cache=cache,
        isolate=isolate,
        on_event=on_event,
        command=command,
        client=client,
        allow_large=allow_large,
    )
    this_run = {
        "date": environment.now(),
        "command": command,
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


def true_test_labels(data: DataRequest) -> np.ndarray:
    """The true class of each test image of ``data``, in the order the fits predicted them."""
    from backprop_bench.data.datasets import load
    from backprop_bench.data.preprocessing import stratified_subset

    dataset = load(data.dataset, data_dir=data.data_dir, cache_dir=data.data_cache_dir)
    return dataset.y_test[stratified_subset(dataset.y_test, data.n_test, data.subset_seed)]


def _ensure_data(data: DataRequest, fetch: Callable[[str], Any] | None) -> None:
    """Fetch and verify the dataset once, in this process, before workers load it."""
    if fetch is not None:
        fetch(data.dataset)
        return
    from backprop_bench.data.datasets import load

    load(data.dataset, data_dir=data.data_dir, cache_dir=data.data_cache_dir)


def _sessions(
    records: list[FitRecord], cache: FitCache, current: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The sessions (runs that fitted) behind ``records``, oldest first; ``current``, this
    run's, is known even where the cache could not keep it."""
    ids = sorted({r.session for r in records if r.session})
    known = {current["id"]: current} if current else {}
    found = (known.get(i) or cache.get_session(i) for i in ids)
    return [s for s in found if s is not None]


def with_params(spec: ModelSpec, name: str, **params: Any) -> ModelSpec:
    """``spec`` renamed ``name`` with estimator parameters ``params`` set over its own (a list,
    as JSON gives one, becomes a tuple: a spec is hashable)."""
    given = {key: tuple(v) if isinstance(v, list) else v for key, v in params.items()}
    return replace(spec, name=name, params=tuple(sorted({**dict(spec.params), **given}.items())))
