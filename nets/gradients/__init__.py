"""Five ways to compute the same gradient, registered side by side in ``GRADIENTS``.

Every routine has one signature, ``routine(network, X, Y) -> Gradient``, with X (n, sizes[0]),
Y (n, sizes[-1]) targets (one-hot for classification), and returns the gradient of the cost
SUMMED over the n samples, shaped like the network's parameters. Same cost, same scaling;
the only difference is how much is vectorised:

- ``"loop"``: pure-Python loops over samples, units and weights (article 001's ret1);
- ``"per_unit"``: loops over samples and units, each unit's weights at once (its ret2);
- ``"per_sample"``: one sample at a time as vectors, an outer product each (its ret3; Nielsen);
- ``"vectorised"``: the whole batch as matrix products (its ret4; article 000; what trains);
- ``"numerical"``: central differences over every parameter, in float64 (articles 002/003).

The first four are the rungs of "what vectorising buys": ``RUNGS`` lists them in order.
"""

from collections.abc import Callable

import numpy as np

from nets.gradients import loop, numerical, per_sample, per_unit, vectorised
from nets.gradients.base import Gradient
from nets.gradients.numerical import EPSILON, numerical_gradient
from nets.network import Network

GradientRoutine = Callable[[Network, np.ndarray, np.ndarray], Gradient]

# The submodules keep their names (nets.gradients.loop is the module, .loop.loop the routine).
GRADIENTS: dict[str, GradientRoutine] = {
    "loop": loop.loop,
    "per_unit": per_unit.per_unit,
    "per_sample": per_sample.per_sample,
    "vectorised": vectorised.vectorised,
    "numerical": numerical.numerical,
}

#: The backprop routines from least to most vectorised.
RUNGS: tuple[str, ...] = ("loop", "per_unit", "per_sample", "vectorised")

__all__ = ["EPSILON", "GRADIENTS", "RUNGS", "Gradient", "GradientRoutine", "numerical_gradient"]
