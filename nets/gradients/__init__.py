"""Four ways to compute the same gradient, registered side by side in ``GRADIENTS``.

Every routine has one signature, ``routine(network, X, Y) -> Gradient``, with X (n, sizes[0]),
Y (n, sizes[-1]) targets (one-hot for classification), and returns the gradient of the cost
SUMMED over the n samples, shaped like the network's parameters. Same cost, same scaling;
the only difference is how much is vectorised:

- ``"loop"``: pure-Python loops over samples, units and weights (seed 001's slow way);
- ``"per_sample"``: one example at a time with vector operations (Nielsen, seed 002);
- ``"vectorised"``: the whole batch as matrix products (seed 000; what training uses);
- ``"numerical"``: central differences over every parameter, in float64 (seeds 002/003).
"""

from collections.abc import Callable

import numpy as np

from nets.gradients import loop, numerical, per_sample, vectorised
from nets.gradients.base import Gradient
from nets.gradients.numerical import EPSILON, numerical_gradient
from nets.network import Network

GradientRoutine = Callable[[Network, np.ndarray, np.ndarray], Gradient]

# The submodules keep their names (nets.gradients.loop is the module, .loop.loop the routine).
GRADIENTS: dict[str, GradientRoutine] = {
    "loop": loop.loop,
    "per_sample": per_sample.per_sample,
    "vectorised": vectorised.vectorised,
    "numerical": numerical.numerical,
}

__all__ = ["EPSILON", "GRADIENTS", "Gradient", "GradientRoutine", "numerical_gradient"]
