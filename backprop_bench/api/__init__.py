"""The Python API, for notebooks: a comparison or a sweep as one call, its outcome as objects.

    import backprop_bench

    outcome = backprop_bench.compare(dataset="digits", models=["mnist-000", "svc"], seeds=[0, 1])
    outcome.table()      # the comparison table, a pandas DataFrame
    outcome.verdicts()   # the network against every other model, seed by seed
    outcome.records      # the typed fit records (experiments.records.FitRecord)

``compare`` and ``sweep`` are what ``backprop-bench compare``, ``reproduce`` and ``sweep`` run:
the command line adds progress, a Dask client where asked for, printing and the README's block.
With ``out`` the results folder is written exactly as the command line writes it; without, the
fits are only cached.
"""

from backprop_bench.api.runs import Outcome, compare, results_folder, sweep

__all__ = ["Outcome", "compare", "results_folder", "sweep"]
