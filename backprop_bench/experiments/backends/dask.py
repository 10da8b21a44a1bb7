"""The Dask backend: fits on a Dask cluster, an existing one (``--scheduler ADDRESS``) or a
``LocalCluster`` started for the run (``--cluster local:N``). Needs the optional ``[dask]`` extra
(``distributed``).

What changes against the local process pool, and what does not:

- Each fit is one Dask task, ``fit_on_worker``: the worker caps BLAS and XLA threads (its
  host's cores shared among the workers on that host), loads and verifies the data itself
  through ``backprop_bench.data.datasets`` (its own cache or download: the client's folders and
  files are never used) and runs the fit exactly as a process of the local pool does
  (``worker.fit_task_capped``).
- Only the record comes back. The client caches it and publishes the results: workers never
  write the user's results folder.
- A worker lost mid-fit: the scheduler runs the fit again on another worker (Dask's
  ``allowed-failures``, 3 by default); when it has lost too many, the fit is a ``crashed``
  record naming the reason, and every other fit goes on and is kept.
- Ctrl-C (or SIGTERM) cancels the fits still pending on the cluster; the finished ones are
  already cached.
- A worker whose code differs from the client's (another commit installed there) would make
  records under keys that promise this code: such a record is refused as ``crashed``, naming
  the worker.
- Every record says where it ran (``ran_on``: the worker, its host and cores) and with how
  many BLAS threads. Fits share the worker's process, so the process's peak memory is not
  one fit's: ``peak_rss_mb`` stays empty, and the record's warnings say why.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments import environment, models
from backprop_bench.experiments.backends import Emit
from backprop_bench.experiments.backends.local import blas_threads_per_job
from backprop_bench.experiments.planning import FitTask
from backprop_bench.experiments.records import CRASHED, FitRecord
from backprop_bench.experiments.worker import fit_task_capped, record_of

EXTRA = 'pip install "backprop-bench[dask]"'
LOCAL = re.compile(r"local:(\d+)")
WORKER_TIMEOUT = 60.0  # seconds a scheduler without workers is waited for
CONNECT_TIMEOUT = "20s"
NO_PEAK_MEMORY = (
    "peak memory not measured: on a Dask worker fits share the worker's process, whose peak "
    "is not one fit's"
)


def dask_available() -> bool:
    """Whether ``distributed`` can be imported."""
    return importlib.util.find_spec("distributed") is not None


def check_options(scheduler: str | None, cluster: str | None) -> int | None:
    """Check ``--scheduler``/``--cluster`` before any work; the worker count of ``local:N``."""
    if scheduler is None and cluster is None:
        return None
    option = "--scheduler" if scheduler is not None else "--cluster"
    if scheduler is not None and cluster is not None:
        raise BenchError("give --scheduler ADDRESS or --cluster local:N, not both")
    workers = None
    if cluster is not None:
        match = LOCAL.fullmatch(cluster.strip())
        if match is None or int(match.group(1)) < 1:
            raise BenchError(f"--cluster {cluster!r}: use local:N with N >= 1 worker processes")
        workers = int(match.group(1))
    if not dask_available():
        raise BenchError(f"{option} needs Dask's distributed package: {EXTRA}")
    return workers


@contextlib.contextmanager
def connect(
    scheduler: str | None, cluster: str | None, notify: Callable[[str], None] | None = None
) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``scheduler``, or of a new LocalCluster of
    N single-threaded worker processes for ``cluster="local:N"``; closed on leaving. A
    scheduler without workers is waited for ``WORKER_TIMEOUT`` seconds (``notify`` says so),
    then a ``BenchError``: a run never hangs silently."""
    workers = check_options(scheduler, cluster)
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise BenchError(f"--scheduler {scheduler}: cannot connect ({error})") from None
        with client:
            if not client.scheduler_info()["workers"]:
                if notify is not None:
                    notify(
                        f"--scheduler {scheduler} has no workers yet; waiting up to "
                        f"{WORKER_TIMEOUT:g} s for one"
                    )
                try:
                    client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
                except (TimeoutError, OSError):
                    raise BenchError(
                        f"--scheduler {scheduler}: no worker joined within {WORKER_TIMEOUT:g} "
                        f"s; start one (dask worker {scheduler}) and run again"
                    ) from None
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as local,
        Client(local) as client,
    ):
        yield client


def fit_on_worker(task: Any, workers_on_host: dict[str, int]) -> dict[str, Any]:
    """Run one fit on this Dask worker (see the module docstring); its record as a dict."""
    from distributed import get_worker

    worker = get_worker()
    on_host = max(1, workers_on_host.get(_host(worker.address), 1))
    threads = max(1, environment.usable_cores() // on_host)
    record = fit_task_capped(task, threads, f"Dask worker {worker.address}")
    record.warnings = [*record.warnings, NO_PEAK_MEMORY]
    return record.to_dict()


def _host(address: str) -> str:
    """The host part of a worker address such as ``tcp://10.0.0.5:40123``."""
    return address.split("://", 1)[-1].rsplit(":", 1)[0]


class DaskCluster:
    """The fits of a run as tasks on the cluster of ``client`` (see the module docstring)."""

    fetches_data = True  # each worker loads and verifies the data itself

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = len(client.scheduler_info()["workers"])

    def describe(self) -> dict[str, Any]:
        return {
            "jobs": self.workers,
            "blas_threads_per_job": blas_threads_per_job(self.workers),
            "cluster": self.client.scheduler.address,
        }

    def run(self, todo: list[FitTask], emit: Emit) -> Iterator[tuple[FitTask, FitRecord]]:
        """Submit every fit of ``todo`` (longest first) to the cluster; yield ``(task,
        record)`` as fits finish. Closing the generator cancels the fits still pending."""
        from distributed import as_completed

        client = self.client
        hosts = Counter(_host(address) for address in client.scheduler_info()["workers"])
        futures = {}
        for rank, task in enumerate(todo):
            # the worker loads and verifies the data itself: never the client's folders
            remote = replace(task, data=replace(task.data, data_dir=None, data_cache_dir=None))
            future = client.submit(
                fit_on_worker,
                remote,
                dict(hosts),
                key=f"fit-{task.key}",
                pure=False,
                priority=len(todo) - rank,
            )
            futures[future] = task
            emit({"event": "start", "key": task.key, "pid": None})
        try:
            for future in as_completed(futures):
                task = futures[future]
                try:
                    record = FitRecord.from_dict(future.result())
                except Exception as error:  # KilledWorker, a lost connection, a bad result
                    reason = f"on the Dask cluster: {type(error).__name__}: {error}"
                    record = record_of(task, CRASHED, reason.splitlines()[0])
                if record.code_version != models.code_version():  # its key promises this code
                    reason = (
                        f"{record.ran_on} runs other code (version {record.code_version}, "
                        f"this client {models.code_version()}): install the same commit on "
                        "every worker"
                    )
                    record = record_of(task, CRASHED, reason)
                yield task, record
        finally:
            pending = [future for future in futures if not future.done()]
            if pending:
                client.cancel(pending)
