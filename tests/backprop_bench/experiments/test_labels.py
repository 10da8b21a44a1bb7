"""Test-set predictions are kept compactly in every fit record and read back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_bench.experiments.labels import decode_labels, encode_labels


def test_labels_round_trip_one_character_each():
    labels = np.array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 35, 10])
    text = encode_labels(labels)
    assert text == "721041495" + "9za"
    np.testing.assert_array_equal(decode_labels(text), labels)


def test_labels_that_cannot_be_written_compactly_are_refused():
    with pytest.raises(ValueError, match=r"0\.\.35"):
        encode_labels(np.array([36]))
