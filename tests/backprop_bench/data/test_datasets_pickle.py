"""The restricted unpickler: genuine array pickles load; tampered ones raise and run nothing."""

from __future__ import annotations

import builtins
import io
import os
import pickle

import numpy as np
import pytest

from backprop_bench.data.safe_pickle import load_arrays
from backprop_bench.data.sources import arrays_from_pickle
from backprop_bench.errors import DatasetError


class CreatesFile:
    """Unpickling this calls ``open(marker, "w")``, which creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


class RunsShell:
    """Unpickling this runs ``touch marker`` in a shell."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def mnist_like(rng, n_train=5, n_valid=2, n_test=3, side=4):
    """The ``mnist.pkl`` layout in miniature: images pixel/256 as float32, int64 labels."""

    def part(n):
        pixels = rng.integers(0, 256, size=(n, side * side))
        return (pixels / 256).astype(np.float32), rng.integers(0, 10, size=n)

    return part(n_train), part(n_valid), part(n_test)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_genuine_array_pickle_loads(protocol):
    content = mnist_like(np.random.default_rng(0))
    loaded = load_arrays(io.BytesIO(pickle.dumps(content, protocol=protocol)), name="m.pkl")
    for (x, y), (x_loaded, y_loaded) in zip(content, loaded, strict=True):
        np.testing.assert_array_equal(x_loaded, x)
        np.testing.assert_array_equal(y_loaded, y)


@pytest.mark.parametrize("payload", [CreatesFile, RunsShell])
def test_tampered_pickle_raises_and_runs_nothing(tmp_path, payload):
    marker = tmp_path / "marker"
    content = (mnist_like(np.random.default_rng(0))[0], payload(marker))
    data = pickle.dumps(content, protocol=2)
    # builtins.open pickles as io.open, os.system as posix.system
    with pytest.raises(DatasetError, match=r"m\.pkl: refused to load (io\.open|posix\.system) "):
        load_arrays(io.BytesIO(data), name="m.pkl")
    assert not marker.exists()


def test_the_tampered_pickle_would_run_code_if_loaded_plainly(tmp_path):
    # proves the test above is meaningful: plain pickle.loads does create the marker
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps(CreatesFile(marker))).close()
    assert marker.exists()


def test_codecs_encode_only_for_latin1(tmp_path):
    # protocol 2 spells bytes as _codecs.encode(text, "latin1"); any other codec is refused
    data = pickle.dumps(b"\xff\x00", protocol=2).replace(b"latin1", b"rot_13")
    with pytest.raises(DatasetError, match="rot_13"):
        load_arrays(io.BytesIO(data), name="m.pkl")


def test_truncated_pickle(tmp_path):
    data = pickle.dumps(mnist_like(np.random.default_rng(0)), protocol=2)
    with pytest.raises(DatasetError, match=r"m\.pkl: not a valid pickle"):
        load_arrays(io.BytesIO(data[: len(data) // 2]), name="m.pkl")


def test_persistent_ids_are_refused():
    class WithPersistentId(pickle.Pickler):
        def persistent_id(self, obj):
            return "outside" if isinstance(obj, str) else None

    buffer = io.BytesIO()
    WithPersistentId(buffer, protocol=2).dump(("text",))
    with pytest.raises(DatasetError, match="not a valid pickle"):
        load_arrays(io.BytesIO(buffer.getvalue()), name="m.pkl")


def test_mnist_layout_becomes_exact_uint8():
    rng = np.random.default_rng(1)
    content = mnist_like(rng)
    arrays = arrays_from_pickle(content, "m.pkl", image_shape=(4, 4))
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = content
    assert arrays["x_train"].shape == (7, 4, 4) and arrays["x_train"].dtype == np.uint8
    # train then valid, and pixel/256 * 256 gives back the integer pixels exactly
    expected = np.concatenate([train_x, valid_x]).astype(np.float64) * 256
    np.testing.assert_array_equal(arrays["x_train"].reshape(7, 16), expected)
    np.testing.assert_array_equal(arrays["y_train"], np.concatenate([train_y, valid_y]))
    assert arrays["x_test"].shape == (3, 4, 4) and arrays["y_test"].dtype == np.uint8
    np.testing.assert_array_equal(arrays["x_test"].reshape(3, 16), test_x.astype(float) * 256)
    np.testing.assert_array_equal(arrays["y_test"], test_y)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c[:2], r"expected \(\(x, y\), \(x, y\), \(x, y\)\)"),
        (lambda c: ((c[0][0] / 255, c[0][1]), c[1], c[2]), "not whole multiples of 1/256"),
        (lambda c: ((c[0][0][:, :15], c[0][1]), c[1], c[2]), r"expected float \(n, 16\)"),
        (lambda c: ((c[0][0], c[0][1] + 300), c[1], c[2]), "y_train values are not bytes"),
        (lambda c: ((c[0][0], "labels"), c[1], c[2]), "y_train is not a 1- or 2-dimensional"),
    ],
    ids=["two-parts", "pixel-over-255", "wrong-width", "labels-over-255", "not-an-array"],
)
def test_mnist_layout_problems_are_named(change, message):
    content = change(mnist_like(np.random.default_rng(2)))
    with pytest.raises(DatasetError, match=message):
        arrays_from_pickle(content, "m.pkl", image_shape=(4, 4))
