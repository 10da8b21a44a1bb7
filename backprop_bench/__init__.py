"""backprop-bench: the harness around the from-scratch network.

Datasets with verified provenance, the one shared preprocessing path, the experiment runner,
pandas tables, matplotlib plots and the ``backprop-bench`` command line.
"""

__version__ = "0.1.0"
