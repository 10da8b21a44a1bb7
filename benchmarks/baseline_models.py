"""The scikit-learn baselines that mirror the mnist-000 network: fit, predict, test accuracy.

Each model is ``baselines.make_baseline(name, mirror_of("mnist-000"), seed)`` (``mirror_of``
from ``backprop_bench.experiments.models``) on a fixed stratified subset of MNIST (5,000
training and 1,000 test images; 500/200 with BACKPROP_BENCH_ASV_SMALL), prepared by the shared
preprocessing. As in scikit-learn's own asv benchmarks, every model is fitted once in
``setup_cache``; ``time_predict`` and ``track_test_accuracy`` use that fit, ``time_fit`` fits a
fresh copy each sample.
"""

from __future__ import annotations

import warnings

from sklearn.exceptions import ConvergenceWarning

from backprop_bench.experiments.models import mirror_of
from baselines import make_baseline
from nets.presets import PRESETS

from .common import BASELINE_SUBSET, PRESET, Benchmark, limit_blas, prepared

MODELS = ("svc-000", "svc", "mlp")


def _fit(estimator, data):
    with warnings.catch_warnings():
        # The MLP runs exactly the mirrored number of epochs, on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(data.X_train, data.y_train)


def _new(model: str):
    return make_baseline(model, mirror_of(PRESET), PRESETS[PRESET].default_seed)


class Baselines(Benchmark):
    """One fit is seconds long: one to three samples in each of the four rounds, after a warm-up
    call (the first prediction of a process also pays for first-call set-up: on small data
    it read 5x slower, the median of a round moving with it)."""

    params = (MODELS,)
    param_names = ("model",)
    warmup_time = 0.1
    repeat = (1, 3, 2.0)

    def setup_cache(self):
        limit_blas()
        data = prepared(*BASELINE_SUBSET)
        return data, {model: _fit(_new(model), data) for model in MODELS}

    def setup(self, cache, model):
        limit_blas()
        self.data, fitted = cache
        self.fitted = fitted[model]
        self.unfitted = _new(model)

    def time_fit(self, cache, model):
        _fit(self.unfitted, self.data)

    def time_predict(self, cache, model):
        self.fitted.predict(self.data.X_test)

    def track_test_accuracy(self, cache, model):
        # Rounded so that last-digit noise in BLAS sums does not read as a change.
        return round(float(self.fitted.score(self.data.X_test, self.data.y_test)), 3)

    track_test_accuracy.unit = "accuracy"
