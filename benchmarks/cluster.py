"""What running a sweep on a Dask LocalCluster costs, against the local process pool.

The same small sweep on scikit-learn's digits (the network and the MLP over seeds, logistic
regression and an SVC, at three training-set sizes) runs through ``runner.run_plans`` twice per
repeat, each time from an empty fit cache: on the local pool (two at a time, a process per fit
forked from a server that preloaded the fit path) and on a ``LocalCluster`` of two
single-threaded worker processes, started before the timing (``track_startup`` times starting
one). The tracked value is the cluster's wall time over the pool's, the median of ``REPEATS``
repeats' own ratios: below 1 the cluster is faster (its worker processes live on and keep what
a fit loads, the pool's processes end with their fit). The pool is meant to stay within 1.3x
of the cluster: a ratio of at least 0.77. Skipped where Dask's
``distributed`` is not installed (asv's own environment; ``asv run --python=same`` in an
environment with the ``[dask]`` extra measures it).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from .common import SMALL, Benchmark

REPEATS = 1 if SMALL else 3
SWEEP = {
    "datasets": ["digits"],
    "n_train": [300] if SMALL else [400, 800, 1437],
    "seeds": [0] if SMALL else [0, 1, 2],
    "models": ["mnist-000", "mlp", "linear", "svc"],
}


def _plans():
    from backprop_bench.experiments import sweeps

    return sweeps.plans(sweeps.parse(SWEEP, "cluster overhead sweep"))


def _wall(client=None) -> float:
    """Seconds to run the sweep from an empty fit cache, on ``client``'s cluster or locally."""
    from backprop_bench.experiments import runner
    from backprop_bench.experiments.records import FitCache

    with tempfile.TemporaryDirectory() as folder:
        options = runner.RunOptions(jobs=2, cache=FitCache(Path(folder)), client=client)
        start = time.perf_counter()
        result = runner.run_plans(_plans(), options)
        wall = time.perf_counter() - start
    if result.this_run["fitted"] != len(result.records):
        raise RuntimeError("the sweep did not fit every configuration")
    return wall


class ClusterOverhead(Benchmark):
    processes = 1  # each repeat times both in turn; one round is enough
    timeout = 900

    def setup(self):
        from backprop_bench.experiments.backends import dask

        if not dask.dask_available():
            raise NotImplementedError("Dask's distributed is not installed here")

    def track_cluster_over_pool(self):
        from backprop_bench.experiments.backends import dask

        ratios = []
        with dask.connect(None, "local:2") as client:
            for _ in range(REPEATS):
                pool = _wall()
                ratios.append(_wall(client) / pool)
        return round(statistics.median(ratios), 2)

    track_cluster_over_pool.unit = "ratio"

    def track_startup(self):
        from backprop_bench.experiments.backends import dask

        start = time.perf_counter()
        with dask.connect(None, "local:2") as client:
            client.wait_for_workers(2)
            started = time.perf_counter() - start
        return round(started, 1)

    track_startup.unit = "seconds"
