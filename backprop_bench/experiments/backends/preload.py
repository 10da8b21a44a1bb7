"""Imported once by the server process that forks each fit of the local pool (``local.PRELOAD``):
every fit's process starts from its memory, so what is done here is not done again per fit.

It imports everything a fit imports (``MODULES``: the fit path, the estimators' libraries, the
generated datasets' loader) and computes the code version a fit's record states
(``models.code_version`` reads and parses every source file of the fit path: a third of a
second). A test checks that a fit imports nothing beyond these.
"""

import importlib

from backprop_bench.experiments.models import code_version

MODULES = (
    "backprop_bench.experiments.worker",
    "backprop_bench.data.datasets",
    "scipy.linalg",
    "sklearn.datasets",  # the generated datasets (digits) load through it
    "sklearn.linear_model",
    "sklearn.neural_network",
    "sklearn.svm",
    "threadpoolctl",
)

for module in MODULES:
    importlib.import_module(module)
code_version()
