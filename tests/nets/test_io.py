"""Saving and loading: round trip, and a clear ModelFileError for each kind of damage."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from nets import ModelFileError, Network, load, save


@pytest.fixture
def network() -> Network:
    return Network(
        [3, 5, 2],
        hidden_activation="tanh",
        output_activation="softmax",
        cost="cross_entropy",
        initialiser="glorot_uniform",
        dtype="float32",
        seed=0,
    )


def test_round_trip(tmp_path, network):
    npz_path, json_path = save(network, tmp_path / "model")
    assert npz_path.name == "model.npz" and json_path.name == "model.json"
    loaded = load(tmp_path / "model")
    assert loaded.config() == network.config()
    for a, b in zip(loaded.weights + loaded.biases, network.weights + network.biases, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    X = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_array_equal(loaded.predict_proba(X), network.predict_proba(X))
    assert load(npz_path).config() == network.config()  # either file name works
    metadata = json.loads(json_path.read_text())
    assert metadata["shapes"]["weights_0"] == [5, 3]
    assert "nets_version" in metadata
    with np.load(npz_path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["biases_0", "biases_1", "weights_0", "weights_1"]


def test_save_leaves_no_temporary_files(tmp_path, network):
    save(network, tmp_path / "model")
    save(network, tmp_path / "model")  # overwriting works too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.npz"]


def test_saved_files_follow_the_umask(tmp_path, network):
    umask = os.umask(0o022)
    os.umask(umask)
    for path in save(network, tmp_path / "model"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path.name


def rewrite_arrays(path, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(path, **arrays)


def test_missing_array(tmp_path, network):
    npz_path, _ = save(network, tmp_path / "model")
    rewrite_arrays(npz_path, lambda arrays: arrays.pop("biases_1"))
    with pytest.raises(ModelFileError, match=r"model\.npz: .*missing \['biases_1'\]"):
        load(tmp_path / "model")


def test_extra_array(tmp_path, network):
    npz_path, _ = save(network, tmp_path / "model")
    rewrite_arrays(npz_path, lambda arrays: arrays.update(weights_2=np.zeros((2, 2))))
    with pytest.raises(ModelFileError, match=r"unexpected \['weights_2'\]"):
        load(tmp_path / "model")


def test_wrong_shape(tmp_path, network):
    npz_path, json_path = save(network, tmp_path / "model")
    rewrite_arrays(npz_path, lambda arrays: arrays.update(weights_0=np.zeros((3, 4))))
    with pytest.raises(ModelFileError, match=r"weights_0 has shape \(3, 4\)"):
        load(tmp_path / "model")
    metadata = json.loads(json_path.read_text())
    del metadata["shapes"]  # the config's sizes still catch it
    json_path.write_text(json.dumps(metadata))
    with pytest.raises(ModelFileError, match=r"model\.json.*weights\[0\] must have shape \(5, 3\)"):
        load(tmp_path / "model")


def test_non_json_config(tmp_path, network):
    _, json_path = save(network, tmp_path / "model")
    json_path.write_text("{not json")
    with pytest.raises(ModelFileError, match=r"model\.json: not a readable JSON file"):
        load(tmp_path / "model")


def test_bad_config(tmp_path, network):
    _, json_path = save(network, tmp_path / "model")
    metadata = json.loads(json_path.read_text())
    metadata["config"]["hidden_activation"] = "swish"
    json_path.write_text(json.dumps(metadata))
    with pytest.raises(ModelFileError, match="hidden_activation must be one of"):
        load(tmp_path / "model")


def test_not_a_model_description(tmp_path, network):
    _, json_path = save(network, tmp_path / "model")
    json_path.write_text(json.dumps({"config": network.config()}))
    with pytest.raises(ModelFileError, match="not a nets model description"):
        load(tmp_path / "model")


def test_missing_files(tmp_path, network):
    with pytest.raises(ModelFileError, match=r"nothing\.json: model file not found"):
        load(tmp_path / "nothing")
    npz_path, _ = save(network, tmp_path / "model")
    npz_path.unlink()
    with pytest.raises(ModelFileError, match=r"model\.npz: model file not found"):
        load(tmp_path / "model")


def test_corrupt_or_pickled_archive(tmp_path, network):
    npz_path, _ = save(network, tmp_path / "model")
    npz_path.write_bytes(b"definitely not a zip file")
    with pytest.raises(ModelFileError, match=r"model\.npz: not a readable \.npz archive"):
        load(tmp_path / "model")
    objects = np.empty(2, dtype=object)
    np.savez(npz_path, weights_0=objects)
    with pytest.raises(ModelFileError, match=r"model\.npz: not a readable \.npz archive"):
        load(tmp_path / "model")


def test_non_finite_parameters(tmp_path, network):
    npz_path, _ = save(network, tmp_path / "model")
    rewrite_arrays(npz_path, lambda arrays: arrays["biases_0"].__setitem__(0, np.nan))
    with pytest.raises(ModelFileError, match="biases_0 must hold finite"):
        load(tmp_path / "model")
