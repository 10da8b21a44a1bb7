"""nets: a from-scratch NumPy backpropagation network. Imports numpy only.

The pieces, each a small module looked up by name: ``activations`` (ACTIVATIONS), ``costs``
(COSTS), ``initialisers`` (INITIALISERS), ``network`` (Network), ``gradients`` (five routines
in GRADIENTS that must agree; ``gradients/vectorised.py`` is backprop's four equations for a
batch, and what trains), ``training`` (TrainingConfig, train, History), ``gradcheck``, ``io``
(save/load without pickle) and ``presets`` (PRESETS). Samples are columns inside ``nets``
(``z = W a + b``); functions that take data take rows, as scikit-learn does.
"""

__version__ = "0.1.0"

from nets.activations import ACTIVATIONS, DERIVATIVES
from nets.costs import COSTS
from nets.errors import ConfigError, DivergenceError, ModelFileError, NetsError
from nets.gradients import GRADIENTS, Gradient
from nets.initialisers import INITIALISERS
from nets.io import load, save
from nets.network import Network
from nets.presets import PRESETS, Preset
from nets.training import EpochRecord, History, TrainingConfig, train

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "DERIVATIVES",
    "GRADIENTS",
    "INITIALISERS",
    "PRESETS",
    "ConfigError",
    "DivergenceError",
    "EpochRecord",
    "Gradient",
    "History",
    "ModelFileError",
    "NetsError",
    "Network",
    "Preset",
    "TrainingConfig",
    "load",
    "save",
    "train",
]
