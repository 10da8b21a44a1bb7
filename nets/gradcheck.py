"""Gradient checking: how far a backprop routine is from central differences, per array.

The data for a ``gradcheck`` command: one row per layer and parameter kind.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nets.checks import check_choice
from nets.gradients import GRADIENTS
from nets.network import Network


class GradCheckRow(NamedTuple):
    """``layer`` indexes ``network.weights``/``biases``; ``parameter`` is "weights" or "biases"."""

    layer: int
    parameter: str
    relative_error: float


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, tiny), with Frobenius norms over the whole arrays.

    Scale-free and symmetric; 0 when equal, at most 1, and 0 (not 0/0) when both are zero.
    Around 1e-7 or less means a central-difference check passed.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(float(np.linalg.norm(a) + np.linalg.norm(b)), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b)) / scale


def check(
    network: Network, X: np.ndarray, Y: np.ndarray, routine: str = "vectorised"
) -> list[GradCheckRow]:
    """Compare ``GRADIENTS[routine]`` with the numerical gradient on (X, Y).

    X: (n, sizes[0]), Y: (n, sizes[-1]) targets. Returns weights then biases for each layer.
    """
    check_choice("routine", routine, GRADIENTS)
    computed = GRADIENTS[routine](network, X, Y)
    reference = GRADIENTS["numerical"](network, X, Y)
    rows = []
    for layer in range(len(network.weights)):
        for parameter in ("weights", "biases"):
            rows.append(
                GradCheckRow(
                    layer,
                    parameter,
                    relative_error(
                        getattr(computed, parameter)[layer], getattr(reference, parameter)[layer]
                    ),
                )
            )
    return rows
