"""gradcheck: relative_error's definition and check's rows."""

from __future__ import annotations

import numpy as np
import pytest

from nets import GRADIENTS, ConfigError
from nets.gradcheck import check, relative_error
from tests.nets.support import problem


def test_relative_error_definition():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # not 0/0
    assert relative_error(a, -a) == pytest.approx(1.0)  # the largest possible
    # ‖(3,4) − (3,5)‖ / (‖(3,4)‖ + ‖(3,5)‖) = 1 / (5 + √34)
    assert relative_error(a, np.array([3.0, 5.0])) == pytest.approx(1 / (5 + np.sqrt(34)))
    assert relative_error(a, 2 * a) == relative_error(2 * a, a)


@pytest.mark.parametrize("routine", list(GRADIENTS))
def test_check_returns_one_row_per_layer_and_kind(routine):
    network, X, Y = problem([3, 4, 2], "sigmoid", "softmax", "cross_entropy", n=5, seed=0)
    rows = check(network, X, Y, routine=routine)
    assert [(row.layer, row.parameter) for row in rows] == [
        (0, "weights"),
        (0, "biases"),
        (1, "weights"),
        (1, "biases"),
    ]
    assert all(0 <= row.relative_error < 1e-7 for row in rows)


def test_check_catches_a_wrong_gradient(monkeypatch):
    network, X, Y = problem([3, 4, 2], "sigmoid", "sigmoid", "quadratic", n=5, seed=0)

    def halved(network, X, Y):
        gradient = GRADIENTS["vectorised"](network, X, Y)
        return type(gradient)([w / 2 for w in gradient.weights], gradient.biases)

    monkeypatch.setitem(GRADIENTS, "halved", halved)
    rows = check(network, X, Y, routine="halved")
    weights_rows = [row for row in rows if row.parameter == "weights"]
    assert all(row.relative_error == pytest.approx(1 / 3, rel=1e-5) for row in weights_rows)


def test_check_rejects_unknown_routine():
    network, X, Y = problem([2, 2], "sigmoid", "sigmoid", "quadratic")
    with pytest.raises(
        ConfigError, match="routine must be one of 'loop', 'per_unit', 'per_sample'"
    ):
        check(network, X, Y, routine="fast")
