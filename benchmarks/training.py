"""Training the mnist-000 network (``nets.presets.PRESETS["mnist-000"]``) with ``nets.train``.

On a fixed stratified subset of MNIST (10,000 training and 10,000 test images; 1,000/500 with
BACKPROP_BENCH_ASV_SMALL): the time of one epoch (as ``train`` runs it, with its evaluation on
the training data), the time to predict the test set, and the test accuracy after a fixed short
budget of epochs, so that a change which speeds training up but breaks learning shows as a drop.
"""

from __future__ import annotations

import dataclasses

from nets.presets import PRESETS
from nets.training import train

from .common import (
    PRESET,
    SMALL,
    TRAINING_SUBSET,
    Benchmark,
    limit_blas,
    prepared,
    preset_network,
)

TRACK_EPOCHS = 1 if SMALL else 3
"""The short budget behind ``track_test_accuracy``: this many epochs of the preset's training."""


class Training(Benchmark):
    """The preset's network and training settings, its default seed, the fixed subset."""

    def setup_cache(self):
        limit_blas()
        return prepared(*TRAINING_SUBSET)

    def setup(self, data):
        limit_blas()
        self.network = preset_network()  # fresh every sample: train() changes the network
        self.config = dataclasses.replace(PRESETS[PRESET].training, epochs=1)
        self.seed = PRESETS[PRESET].default_seed

    def time_epoch(self, data):
        train(self.network, data.X_train, data.y_train, self.config, seed=self.seed)

    def time_predict(self, data):
        self.network.predict(data.X_test)

    def track_test_accuracy(self, data):
        config = dataclasses.replace(self.config, epochs=TRACK_EPOCHS)
        history = train(
            self.network,
            data.X_train,
            data.y_train,
            config,
            X_test=data.X_test,
            y_test=data.y_test,
            seed=self.seed,
        )
        # Rounded so that last-digit noise in BLAS sums does not read as a change.
        return round(history[-1].test_accuracy, 3)

    track_test_accuracy.unit = "accuracy"
