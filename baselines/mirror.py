"""``Mirror``: the settings of the network that a baseline copies.

A baseline "mirrors" the network when it uses the same hidden layers, mini-batch size, number of
epochs and an equivalent step; ``backprop_bench.experiments.models.mirror_of(preset)`` builds
one from a ``nets.presets`` preset, so the baselines follow the network's settings rather than
restating them. The last four fields only matter to the peers (``torch-mlp``, ``jax-mlp``),
which copy the network entirely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nets.network import DTYPES
from nets.training import REDUCTIONS


@dataclass(frozen=True)
class Mirror:
    """The network's settings, as the baselines read them.

    ``learning_rate`` is the network's step with its ``reduction``: with ``"sum"`` (article 000) the
    update is ``learning_rate * sum of per-sample gradients`` over a batch, with ``"mean"`` it is
    ``learning_rate * mean``. ``mean_learning_rate`` converts the first into the second.
    """

    hidden_layer_sizes: tuple[int, ...] = (30, 30)
    batch_size: int = 50
    epochs: int = 20
    learning_rate: float = 0.1
    reduction: str = "sum"
    dtype: str = "float64"
    hidden_activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    cost: str = "quadratic"
    initialiser: str = "standard_normal"

    def __post_init__(self) -> None:
        sizes = tuple(self.hidden_layer_sizes)
        if not sizes or not all(isinstance(n, int) and n >= 1 for n in sizes):
            raise ValueError(
                f"hidden_layer_sizes={self.hidden_layer_sizes!r}: need one or more positive ints"
            )
        object.__setattr__(self, "hidden_layer_sizes", sizes)
        for name in ("batch_size", "epochs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}={value!r}: need an int >= 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate={self.learning_rate!r}: need a finite number > 0")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction={self.reduction!r}: choose one of {REDUCTIONS}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype={self.dtype!r}: choose one of {DTYPES}")

    @property
    def mean_learning_rate(self) -> float:
        """The step on the batch-mean gradient that equals the network's step.

        Article 000 sums over a batch of 50 with step 0.1: that is a step of 5.0 on the mean.
        """
        return self.learning_rate * (self.batch_size if self.reduction == "sum" else 1)
