"""The shared preprocessing: fitted on train only, deterministic, the dtype asked for."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import Preprocessor, prepare, stratified_subset
from backprop_bench.errors import BenchError


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def test_flattens_scales_and_casts_to_the_named_dtype():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)  # one 2x2 image
    for dtype in ("float64", "float32"):
        X = Preprocessor(dtype=dtype).fit_transform(images)
        assert X.dtype == np.dtype(dtype)
        assert X.shape == (1, 4)
        np.testing.assert_allclose(X[0], [0.0, 1.0, 0.2, 0.4], rtol=1e-6)


def test_division_matches_the_source_exactly():
    # article 000 does x.astype('float64') / 255.; the shared path must give the same bits
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    X = Preprocessor().fit_transform(images)
    assert np.array_equal(X, images.reshape(1, -1).astype("float64") / 255.0)


def test_standardisation_is_fitted_on_train_only():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, size=(50, 3, 3), dtype=np.uint8)
    test = np.full((5, 3, 3), 255, dtype=np.uint8)  # very different from train
    pre = Preprocessor(standardise=True).fit(train)
    X_train = pre.transform(train)
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1, atol=1e-12)
    # test rows use train's statistics: they are not centred on themselves
    X_test = pre.transform(test)
    assert np.all(X_test > 0.5)
    # refitting on the test split would give zeros: make sure that is not what happened
    assert not np.allclose(X_test, Preprocessor(standardise=True).fit_transform(test))


def test_constant_features_do_not_divide_by_zero():
    train = np.zeros((10, 2, 2), dtype=np.uint8)
    train[:, 0, 0] = np.arange(10)
    X = Preprocessor(standardise=True).fit_transform(train)
    assert np.all(np.isfinite(X))


def test_rejects_bad_settings_naming_them():
    with pytest.raises(BenchError, match="dtype"):
        Preprocessor(dtype="int8").fit(np.zeros((2, 2, 2), dtype=np.uint8))
    with pytest.raises(BenchError, match="pixel_max"):
        Preprocessor(pixel_max=0).fit(np.zeros((2, 2, 2), dtype=np.uint8))


def test_works_inside_a_pipeline(digits):
    from sklearn.linear_model import LogisticRegression

    model = make_pipeline(Preprocessor(pixel_max=digits.pixel_max), LogisticRegression())
    model.fit(digits.x_train, digits.y_train)
    assert model.score(digits.x_test, digits.y_test) > 0.9


def test_stratified_subset_is_deterministic_and_keeps_class_shares():
    y = np.repeat(np.arange(10), [100, 200, 100, 100, 100, 100, 100, 100, 100, 100])
    first = stratified_subset(y, 110, seed=3)
    assert np.array_equal(first, stratified_subset(y, 110, seed=3))
    assert not np.array_equal(first, stratified_subset(y, 110, seed=4))
    counts = np.bincount(y[first], minlength=10)
    assert counts[1] == 20 and counts.sum() == 110
    assert np.array_equal(stratified_subset(y, None, seed=0), np.arange(len(y)))


def test_stratified_subset_rejects_impossible_sizes():
    y = np.repeat(np.arange(3), 10)
    with pytest.raises(BenchError, match="31"):
        stratified_subset(y, 31, seed=0)
    with pytest.raises(BenchError, match="classes"):
        stratified_subset(y, 2, seed=0)


@pytest.mark.parametrize("left_out", [1, 2, 9])
def test_a_subset_leaving_out_fewer_samples_than_classes_is_still_stratified(left_out):
    # 59,999 of 60,000: too few left out for a stratified split of their own
    y = np.repeat(np.arange(10), [30, 60, 30, 30, 30, 30, 30, 30, 30, 45])
    chosen = stratified_subset(y, len(y) - left_out, seed=0)
    assert len(chosen) == len(y) - left_out and np.all(np.diff(chosen) > 0)
    lost = np.bincount(y, minlength=10) - np.bincount(y[chosen], minlength=10)
    assert lost.max() == 1 and lost.sum() == left_out  # one sample from each of the largest
    assert lost[1] == 1 and (left_out == 1 or lost[9] == 1)
    assert np.array_equal(chosen, stratified_subset(y, len(y) - left_out, seed=0))


def test_the_usual_stratified_subset_is_unchanged():
    # sizes that leave a stratified remainder keep scikit-learn's split, so cached subsets hold
    from sklearn.model_selection import train_test_split

    y = np.repeat(np.arange(10), 50)
    expected, _ = train_test_split(np.arange(500), train_size=480, stratify=y, random_state=4)
    assert np.array_equal(stratified_subset(y, 480, seed=4), np.sort(expected))


def test_prepare_is_identical_across_calls_and_read_only(digits):
    a = prepare(digits, n_train=500, n_test=100, subset_seed=1)
    b = prepare(digits, n_train=500, n_test=100, subset_seed=1)
    for name in ("X_train", "y_train", "X_test", "y_test"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
        assert not getattr(a, name).flags.writeable
    assert a.key == b.key
    assert a.key != prepare(digits, n_train=500, n_test=100, subset_seed=2).key
    assert a.X_train.shape == (500, 64) and a.X_test.shape == (100, 64)
    assert a.X_train.max() <= 1.0
    assert a.preprocessing == "flatten -> float64 -> /16"


def test_the_first_n_training_images_in_the_datasets_own_order(digits):
    first = prepare(digits, n_train=300, n_test=100, train_subset="first")
    stratified = prepare(digits, n_train=300, n_test=100)
    assert np.array_equal(first.y_train, digits.y_train[:300])
    assert np.array_equal(first.X_train * 16, digits.x_train[:300].reshape(300, -1))
    assert np.array_equal(first.X_test, stratified.X_test)  # the test subset is the same
    assert first.key != stratified.key and first.train_subset == "first"
    assert prepare(digits).key == prepare(digits, train_subset="stratified").key
    with pytest.raises(BenchError, match=r"train_subset='last': choose one of stratified, first"):
        prepare(digits, train_subset="last")


def test_prepare_float32(digits):
    prepared = prepare(digits, dtype="float32")
    assert prepared.X_train.dtype == np.float32 and prepared.X_test.dtype == np.float32


def test_prepare_rejects_sizes_larger_than_the_data(digits):
    with pytest.raises(BenchError, match="n_train"):
        prepare(digits, n_train=len(digits.y_train) + 1)
    with pytest.raises(BenchError, match="n_test"):
        prepare(digits, n_test=10**6)


def test_prepare_does_not_touch_the_dataset(digits):
    before = digits.x_train.copy()
    prepare(digits, standardise=True)
    assert np.array_equal(before, digits.x_train)
