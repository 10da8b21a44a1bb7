"""backprop-bench: the harness around the from-scratch network.

Datasets with verified provenance, the one shared preprocessing path, the experiment runner,
pandas tables, matplotlib plots and the ``backprop-bench`` command line.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``backprop_bench.compare``, ``backprop_bench.sweep`` and ``Outcome``: the Python API
    (``backprop_bench.api``), imported when first used, so that ``import backprop_bench``
    stays light."""
    if name in ("compare", "sweep", "Outcome"):
        import importlib

        # by name, not by an import statement: the fit cache's key hashes the modules a fit's
        # imports reach (``experiments.imports``), and no fit reaches the API through here
        return getattr(importlib.import_module("backprop_bench.api"), name)
    raise AttributeError(f"module 'backprop_bench' has no attribute {name!r}")
