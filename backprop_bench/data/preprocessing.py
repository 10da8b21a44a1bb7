"""The one shared preprocessing path: every model, the network included, is fed through here.

``Preprocessor`` is a scikit-learn transformer: flatten each image to a row, cast to the float
dtype the caller names, scale pixels to [0, 1] (divide by the dataset's pixel maximum: 255 for
MNIST, 16 for scikit-learn's digits), and optionally standardise with a mean and scale fitted on
the training split only.

``prepare`` turns a ``Dataset`` into a ``PreparedData``: a deterministic stratified subset, the
preprocessor fitted on that training subset, and the prepared arrays, read-only. Models receive
a ``PreparedData``, never raw images, so two models in one comparison cannot be fed differently
prepared data by accident: the arrays, and the description of how they were made, travel together.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from backprop_bench.data.datasets import Dataset
from backprop_bench.errors import BenchError
from nets.network import DTYPES


class Preprocessor(TransformerMixin, BaseEstimator):
    """Flatten, cast, scale by ``1 / pixel_max``, optionally standardise.

    Parameters
    ----------
    dtype : "float64" (default) or "float32"
        The float dtype of the output.
    pixel_max : float or None, default 255
        Inputs are divided by this (255 for 8-bit images). ``None`` leaves values unscaled, for
        features that are already real-valued (the toy xor and blobs problems).
    standardise : bool, default False
        Subtract the per-feature mean and divide by the per-feature standard deviation, both
        learnt in ``fit`` (the training split only). Constant features (MNIST's border pixels)
        keep a scale of 1 rather than dividing by zero.

    ``transform`` maps (n, ...) inputs to (n, n_features) arrays of ``dtype``.
    """

    def __init__(self, dtype: str = "float64", pixel_max: float | None = 255.0, standardise=False):
        self.dtype = dtype
        self.pixel_max = pixel_max
        self.standardise = standardise

    def _validate_params(self) -> None:
        if self.dtype not in DTYPES:
            raise BenchError(f"dtype={self.dtype!r} is not allowed: use one of {DTYPES}")
        if self.pixel_max is not None and not (np.isfinite(self.pixel_max) and self.pixel_max > 0):
            raise BenchError(f"pixel_max={self.pixel_max!r} must be a positive number or None")

    def _scaled(self, X: np.ndarray, *, reset: bool) -> np.ndarray:
        X = np.asarray(X)
        X = X.reshape(len(X), -1) if X.ndim > 2 else X
        X = validate_data(self, X, reset=reset, dtype=self.dtype, copy=True)
        if self.pixel_max is not None:
            X /= X.dtype.type(self.pixel_max)
        return X

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> Preprocessor:
        """Learn the standardisation statistics from training images ``X`` (n, ...)."""
        self._validate_params()
        X = self._scaled(X, reset=True)
        if self.standardise:
            self.mean_ = X.mean(axis=0)
            scale = X.std(axis=0)
            scale[scale == 0] = 1
            self.scale_ = scale
        else:
            self.mean_ = self.scale_ = None
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return the prepared (n, n_features) array of ``dtype``."""
        check_is_fitted(self, "mean_")
        X = self._scaled(X, reset=False)
        if self.standardise:
            X -= self.mean_
            X /= self.scale_
        return X

    def describe(self) -> str:
        """One line saying what this preprocessing does, for tables and result records."""
        steps = ["flatten", self.dtype]
        if self.pixel_max is not None:
            steps.append(f"/{self.pixel_max:g}")
        if self.standardise:
            steps.append("standardise(train)")
        return " -> ".join(steps)


STRATIFIED, FIRST = "stratified", "first"
#: How a training subset is drawn: every class keeping its share (the default), or the first
#: ``n`` in the dataset's own order, as Nielsen's book trains on MNIST's first 50,000 images.
TRAIN_SUBSETS = (STRATIFIED, FIRST)


def check_train_subset(how: object) -> str:
    """``how`` if it is one of ``TRAIN_SUBSETS``; else a ``BenchError`` listing them."""
    if how not in TRAIN_SUBSETS:
        raise BenchError(f"train_subset={how!r}: choose one of {', '.join(TRAIN_SUBSETS)}")
    return how


def training_subset(y: np.ndarray, n: int | None, seed: int, how: str) -> np.ndarray:
    """Indices of the training subset of ``n`` of the labels ``y`` drawn ``how`` (one of
    ``TRAIN_SUBSETS``): ``stratified_subset``, or the first ``n``."""
    if how == FIRST:
        return np.arange(len(y) if n is None else n)
    return stratified_subset(y, n, seed)


def stratified_subset(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of a deterministic stratified subset of ``n`` of the labels ``y``, sorted.

    ``n=None`` or ``n == len(y)`` selects everything, in the original order. The same
    ``(y, n, seed)`` always gives the same indices. Every class keeps its share of the subset
    up to one sample. When the samples left out are fewer than the classes (59,999 of MNIST's
    60,000), they cannot be a stratified split of their own: one sample is then left out of
    each of the ``len(y) - n`` largest classes (ties broken by ``seed``).
    """
    total = len(y)
    if n is None or n == total:
        return np.arange(total)
    if not 1 <= n <= total:
        raise BenchError(f"subset size {n} is not allowed: choose 1..{total}")
    classes, counts = np.unique(y, return_counts=True)
    if n < len(classes):
        raise BenchError(f"subset size {n} is smaller than the {len(classes)} classes it must hold")
    left_out = total - n
    if left_out >= len(classes):
        chosen, _ = train_test_split(np.arange(total), train_size=n, stratify=y, random_state=seed)
        return np.sort(chosen)
    rng = np.random.default_rng(seed)
    tie_break = rng.permutation(len(classes))
    largest = np.lexsort((tie_break, -counts))[:left_out]  # by count, descending
    dropped = [rng.choice(np.flatnonzero(y == classes[c])) for c in largest]
    return np.setdiff1d(np.arange(total), dropped)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class PreparedData:
    """Prepared data that every model in one comparison shares.

    ``X_train`` (n_train, n_features) and ``X_test`` (n_test, n_features) are float arrays of
    ``preprocessor.dtype``; ``y_train``/``y_test`` are int labels. All four are read-only.
    """

    dataset: str
    dataset_fingerprint: str
    n_train: int
    n_test: int
    subset_seed: int
    preprocessor: Preprocessor
    train_subset: str
    X_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)

    @property
    def preprocessing(self) -> str:
        return self.preprocessor.describe()

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    @property
    def key(self) -> str:
        """A stable identifier of exactly this prepared data (dataset, subset, preprocessing)."""
        text = "|".join(
            [
                self.dataset_fingerprint,
                str(self.n_train),
                str(self.n_test),
                str(self.subset_seed),
                self.preprocessing,
            ]
            + ([self.train_subset] if self.train_subset != STRATIFIED else [])
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare(
    dataset: Dataset,
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    subset_seed: int = 0,
    dtype: str = "float64",
    standardise: bool = False,
    train_subset: str = STRATIFIED,
) -> PreparedData:
    """Subset ``dataset`` (deterministic: stratified, or the first ``n_train`` training
    samples when ``train_subset`` is ``"first"``), fit the preprocessor on the training
    subset only, and return the prepared, read-only arrays as a ``PreparedData``.

    Sizes larger than the data are an error before any work.
    """
    for name, n, available in (
        ("n_train", n_train, len(dataset.y_train)),
        ("n_test", n_test, len(dataset.y_test)),
    ):
        if n is not None and not 1 <= n <= available:
            raise BenchError(
                f"{name}={n} is not allowed for dataset {dataset.name!r}: it has {available}"
            )
    check_train_subset(train_subset)
    train_index = training_subset(dataset.y_train, n_train, subset_seed, train_subset)
    test_index = stratified_subset(dataset.y_test, n_test, subset_seed)
    preprocessor = Preprocessor(dtype=dtype, pixel_max=dataset.pixel_max, standardise=standardise)
    X_train = preprocessor.fit_transform(dataset.x_train[train_index])
    X_test = preprocessor.transform(dataset.x_test[test_index])
    return PreparedData(
        dataset=dataset.name,
        dataset_fingerprint=dataset.fingerprint,
        n_train=len(train_index),
        n_test=len(test_index),
        subset_seed=subset_seed,
        preprocessor=preprocessor,
        train_subset=train_subset,
        X_train=_read_only(X_train),
        y_train=_read_only(dataset.y_train[train_index].astype(np.intp)),
        X_test=_read_only(X_test),
        y_test=_read_only(dataset.y_test[test_index].astype(np.intp)),
    )
