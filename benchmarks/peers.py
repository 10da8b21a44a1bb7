"""How the network's training time compares with scikit-learn's MLPClassifier's, as a ratio.

Both train the mnist-000 configuration — hidden layers (30, 30), logistic/sigmoid units, plain
mini-batch SGD with batches of 50, no momentum, no L2 — for ``PEER_EPOCHS`` epochs on the same
fixed 10,000-image MNIST subset (1,000 with BACKPROP_BENCH_ASV_SMALL), timed in the same process,
alternating network and MLP ``PEER_REPEATS`` times so that a slow patch on a shared machine
slows both; the ratio is the median of the repeats' own ratios (as ``backprop-bench speed``
reports it). The network is ``nets.train`` with the preset's settings (its time includes the
per-epoch evaluation on the training data that ``train`` always does; no test data is passed);
the MLP is ``baselines.make_baseline("mlp", ...)`` with the same epochs, timed over ``fit``.
The ratio, network / MLP, is unitless: below 1 the network trains faster.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from backprop_bench.experiments.models import mirror_of
from baselines import make_baseline
from nets.presets import PRESETS
from nets.training import train

from .common import (
    PRESET,
    SMALL,
    TRAINING_SUBSET,
    Benchmark,
    experiment,
    limit_blas,
    preset_network,
)

PEER_EPOCHS = 1 if SMALL else 5
PEER_REPEATS = 5


class Peers(Benchmark):
    processes = 1  # the repeats above alternate the two contestants; one round is enough

    def setup_cache(self):
        limit_blas()
        return experiment(*TRAINING_SUBSET)

    def setup(self, data):
        limit_blas()
        preset = PRESETS[PRESET]
        self.config = dataclasses.replace(preset.training, epochs=PEER_EPOCHS)
        self.mirror = dataclasses.replace(mirror_of(PRESET), epochs=PEER_EPOCHS)
        self.seed = preset.default_seed

    def track_network_over_mlp(self, data):
        network_seconds, mlp_seconds = [], []
        for _ in range(PEER_REPEATS):
            network = preset_network()
            start = time.perf_counter()
            train(network, data.X_train, data.y_train, self.config, seed=self.seed)
            network_seconds.append(time.perf_counter() - start)

            mlp = make_baseline("mlp", self.mirror, self.seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                mlp.fit(data.X_train, data.y_train)
                mlp_seconds.append(time.perf_counter() - start)
        ratios = [n / m for n, m in zip(network_seconds, mlp_seconds, strict=True)]
        # Rounded so that timing noise below 1% does not read as a change.
        return round(statistics.median(ratios), 2)

    track_network_over_mlp.unit = "ratio"
