"""One fit, inside whichever process runs it: ``fit_task(task)`` -> its ``FitRecord``.

This is what a worker of every backend runs (a process of the local pool, a Dask worker, or
this process for ``isolate=False``): prepare the data through the one shared path
(``DataRequest.prepare``), fit and measure (``fitting.fit_one``) and turn the outcome into a
record. A model that diverges is a record with status "diverged" and its one-line reason; any
other error, one with status "crashed" (never cached). ``fit_task_capped`` first caps BLAS,
OpenMP, XLA and oneDAL threads and says where the fit ran.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Callable
from typing import Any

from backprop_bench.errors import BenchError, one_line
from backprop_bench.experiments import environment, fitting
from backprop_bench.experiments.models import code_version
from backprop_bench.experiments.planning import FitTask
from backprop_bench.experiments.records import CRASHED, DIVERGED, OK, FitRecord
from nets.errors import DivergenceError


def record_of(task: FitTask, status: str, reason: str | None = None, **measured: Any) -> FitRecord:
    """The record of ``task`` ending with ``status``."""
    return FitRecord(
        key=task.key,
        model=task.spec.name,
        kind=task.spec.kind,
        preset=task.spec.preset,
        engine=_engine(task),
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


def _engine(task: FitTask) -> str | None:
    """What computes ``task``'s fit; ``None`` where this process cannot import the plugin
    model it names (a Dask worker without the plugin: the record is a crash saying so)."""
    try:
        return task.spec.engine
    except BenchError:
        return None


def _rss_mb() -> float | None:
    """The current resident set size in MB (Linux), else ``None``."""
    try:
        with open("/proc/self/statm", encoding="ascii") as file:
            pages = int(file.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's maximum resident set size so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KB


def fit_task(task: FitTask, on_epoch: Callable[[int, int], None] | None = None) -> FitRecord:
    """Run one fit in this process and return its record (never raises for a model's error)."""
    data: dict[str, Any] = {}
    try:
        experiment = task.data.prepare()
        data = {
            "preprocessing": experiment.preprocessing,
            "experiment_key": experiment.key,
            "data_rss_mb": _rss_mb(),
        }
        measured = fitting.fit_one(task.spec, experiment, task.seed, on_epoch=on_epoch)
    except DivergenceError as error:  # a result: this model, these settings, this seed diverge
        return record_of(task, DIVERGED, one_line(error), **data)
    except Exception as error:  # a bug or a broken environment: not a result, never cached
        return record_of(task, CRASHED, one_line(error), **data)
    return record_of(task, OK, **data, **measured)


def _limit_onedal(threads: int) -> None:
    """Cap oneDAL's own (TBB) threads, which threadpoolctl does not see, where it is installed:
    a oneDAL fit then uses the same cores as any other fit of the run."""
    import importlib.util

    if importlib.util.find_spec("daal4py") is not None:
        import daal4py

        daal4py.daalinit(threads)


def fit_task_capped(
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
        record = fit_task(task, on_epoch)
        record.blas_threads = max((i["num_threads"] for i in threadpool_info()), default=None)
    record.ran_on = f"{where} on {environment.host_line()}"
    return record
