"""What ``backprop-bench train`` reports: the per-epoch table and the gradient check.

Pure functions returning text or rows; the command line prints them. The epoch table has seed
000's two columns (train rate, test rate per epoch) plus the mean cost per sample and the
seconds the epoch's training took.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nets.gradcheck import check
from nets.network import Network
from nets.presets import PRESETS
from nets.training import EPOCH_FIELDS

_COLUMNS = (
    ("epoch", 5, "d"),
    ("train rate", 10, ".4f"),
    ("test rate", 9, ".4f"),
    ("train cost", 10, ".4f"),
    ("test cost", 9, ".4f"),
    ("seconds", 7, ".2f"),
)


def epoch_header() -> str:
    """The column titles of the per-epoch table."""
    return "  ".join(f"{title:>{width}}" for title, width, _ in _COLUMNS)


def row_interval(epochs: int, max_rows: int = 20) -> int:
    """Print every k-th epoch so a run shows at most about ``max_rows`` rows (k = 1 up to 20).

    Article 000's 20 epochs are all shown; the toy presets' thousands of full-batch steps are not.
    """
    return max(1, -(-epochs // max_rows))


def shows_epoch(epoch: int, epochs: int, interval: int) -> bool:
    """Whether the row of ``epoch`` (counted from 1) is printed: every interval-th and the last."""
    return epoch % interval == 0 or epoch == epochs


def epoch_row(record: Mapping[str, object]) -> str:
    """One line of the per-epoch table from a ``History.to_records()`` record ("-" for None)."""
    cells = []
    for key, (_, width, spec) in zip(EPOCH_FIELDS, _COLUMNS, strict=True):
        value = record[key]
        cells.append(f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}")
    return "  ".join(cells)


# --- gradient check ------------------------------------------------------------------------

#: The gradient check's small networks: each preset's activations, cost and initialiser, with
#: mnist-000's [784, 30, 30, 10] shrunk so central differences over every parameter are quick.
GRADCHECK_SIZES = {"mnist-000": [6, 5, 4, 3], "blobs": [2, 3, 3], "xor": [2, 2, 2, 1]}
GRADCHECK_BATCH = 8
GRADCHECK_TOLERANCE = 1e-6


@dataclass(frozen=True)
class PresetGradCheck:
    """One parameter array's relative error between a backprop routine and central differences."""

    preset: str
    sizes: tuple[int, ...]
    layer: int
    parameter: str  # "weights" or "biases"
    relative_error: float


def gradcheck_rows(seed: int = 0, routine: str = "vectorised") -> list[PresetGradCheck]:
    """Compare ``routine`` with central differences on small versions of every preset's network.

    For each preset: a float64 network of ``GRADCHECK_SIZES[preset]`` with the preset's
    activations, cost and initialiser, and a batch of ``GRADCHECK_BATCH`` inputs uniform in
    [0, 1) with random one-hot targets (a 0/1 column for a single output unit), all drawn from
    ``seed``. Returns one row per layer and parameter array.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for name, sizes in GRADCHECK_SIZES.items():
        settings = {k: v for k, v in PRESETS[name].network.items() if k != "sizes"}
        network = Network(sizes, **{**settings, "dtype": "float64"}, seed=rng)
        X = rng.random((GRADCHECK_BATCH, sizes[0]))
        labels = rng.integers(0, max(sizes[-1], 2), size=GRADCHECK_BATCH)
        Y = labels[:, None].astype(float) if sizes[-1] == 1 else np.eye(sizes[-1])[labels]
        for layer, parameter, error in check(network, X, Y, routine=routine):
            rows.append(PresetGradCheck(name, tuple(sizes), layer, parameter, float(error)))
    return rows


def gradcheck_lines(rows: list[PresetGradCheck], routine: str = "vectorised") -> list[str]:
    """The gradient check as printable lines: what was used, then one line per row."""
    lines = [
        f"gradient check: {routine!r} backprop against central differences (float64), "
        f"a batch of {GRADCHECK_BATCH} random inputs per network; "
        f"relative error = |a - b| / (|a| + |b|), tolerance {GRADCHECK_TOLERANCE:g}",
        f"{'preset':<11} {'sizes':<14} {'layer':>5}  {'parameter':<9}  {'relative error':>14}",
    ]
    for row in rows:
        flag = "" if row.relative_error < GRADCHECK_TOLERANCE else "  <-- too large"
        lines.append(
            f"{row.preset:<11} {list(row.sizes)!s:<14} {row.layer:>5}  {row.parameter:<9}  "
            f"{row.relative_error:>14.2e}{flag}"
        )
    return lines
