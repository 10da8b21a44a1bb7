"""Class labels written compactly: one character per image, so a fit record can keep its 10,000
test predictions in 10 kB of readable JSON (``"7210414959..."``): '0'-'9', then 'a'-'z' for up
to 36 classes."""

from __future__ import annotations

import numpy as np

SYMBOLS = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_labels(labels: np.ndarray) -> str:
    """Integer class labels in ``0..35`` as one character each."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= len(SYMBOLS)):
        raise ValueError(f"labels must lie in 0..{len(SYMBOLS) - 1} to be written compactly")
    return "".join(SYMBOLS[label] for label in labels.tolist())


def decode_labels(text: str) -> np.ndarray:
    """``encode_labels``' inverse: an int array, one label per character."""
    return np.array([SYMBOLS.index(symbol) for symbol in text], dtype=np.intp)
