"""Shared test helpers: valid (network, X, Y) problems for every cost/output pairing."""

from __future__ import annotations

import numpy as np

from nets import Network

# Output activation + cost pairings that make sense (the ones Network accepts).
PAIRINGS = [
    ("sigmoid", "quadratic"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "cross_entropy"),
    ("softmax", "quadratic"),
    ("identity", "quadratic"),
    ("tanh", "quadratic"),
    ("relu", "quadratic"),
]
HIDDEN = ["sigmoid", "tanh", "relu", "identity"]


def targets(cost: str, output: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Targets a cost accepts: one-hot rows for cross-entropy, values in [0, 1] otherwise."""
    if cost == "cross_entropy" or (output == "softmax" and k > 1):
        return np.eye(k)[rng.integers(0, k, n)]
    return rng.random((n, k))


def problem(
    sizes: list[int],
    hidden: str,
    output: str,
    cost: str,
    *,
    n: int = 5,
    seed: int = 0,
    dtype: str = "float64",
    initialiser: str = "normal_fan_in",
) -> tuple[Network, np.ndarray, np.ndarray]:
    """A network and a batch (X (n, sizes[0]) standard normal, Y suited to the cost)."""
    rng = np.random.default_rng(seed)
    network = Network(
        sizes,
        hidden_activation=hidden,
        output_activation=output,
        cost=cost,
        initialiser=initialiser,
        dtype=dtype,
        seed=rng,
    )
    X = rng.standard_normal((n, sizes[0]))
    return network, X, targets(cost, output, n, sizes[-1], rng)


def min_abs_z_at_relu(network: Network, X: np.ndarray) -> float:
    """Smallest |z| over the relu layers (inf if none): finite differences need z off the kink."""
    zs, _ = network.feedforward_rows(X)
    values = [
        float(np.abs(z).min())
        for z, activation in zip(zs, network.layer_activations, strict=True)
        if activation.name == "relu"
    ]
    return min(values, default=float("inf"))


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """Article 003's four XOR points and their labels."""
    return np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0])


def blobs_data(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Articles 001/004's three unit-variance clouds centred at (0, −2), (2, 2), (−2, 2)."""
    centres = np.array([[0.0, -2.0], [2.0, 2.0], [-2.0, 2.0]])
    X = np.vstack([rng.standard_normal((n_per_class, 2)) + centre for centre in centres])
    return X, np.repeat(np.arange(3), n_per_class)
