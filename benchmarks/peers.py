"""How the network's training time compares with its peers', as ratios measured side by side.

The peers train the mnist-000 configuration — hidden layers (30, 30), logistic/sigmoid units,
plain mini-batch SGD with batches of 50, no momentum, no L2 — for ``PEER_EPOCHS`` epochs on the
same fixed 10,000-image MNIST subset (1,000 with BACKPROP_BENCH_ASV_SMALL):

- scikit-learn's MLPClassifier (``baselines.make_baseline("mlp", ...)``, timed over ``fit``);
- the network itself written in JAX (``jax-mlp``: jit, lax.scan; nets' weights and batch order)
  and in PyTorch (``torch-mlp``, eager), where installed (asv's environment installs JAX, see
  asv.conf.json; PyTorch only with ``asv run --python=same`` in an environment that has it).
  Their time is the sum of their epochs' own seconds, after a one-epoch fit in ``setup`` in
  which JAX compiles its epoch.

Each ratio alternates network and peer ``PEER_REPEATS`` times in one process, so a slow patch
on a shared machine slows both; it is the median of the repeats' own ratios (as
``backprop-bench speed`` reports it). The network is ``nets.train`` with the preset's settings
(its time includes the per-epoch evaluation on the training data that ``train`` always does; no
test data is passed). Each ratio, network / peer, is unitless: below 1 the network trains
faster.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from sklearn.base import clone

from backprop_bench.experiments.speed import PEERS, peer_model, peer_seconds
from baselines import BASELINES
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

PEER_EPOCHS = 1 if SMALL else 5
PEER_REPEATS = 5


class Peers(Benchmark):
    processes = 1  # the repeats above alternate the two contestants; one round is enough
    params = PEERS
    param_names = ("peer",)

    def setup_cache(self):
        limit_blas()
        return prepared(*TRAINING_SUBSET)

    def setup(self, data, peer):
        if not BASELINES[peer].available():
            raise NotImplementedError(f"{peer} needs the optional {BASELINES[peer].extra!r} extra")
        limit_blas()
        preset = PRESETS[PRESET]
        self.config = dataclasses.replace(preset.training, epochs=PEER_EPOCHS)
        self.seed = preset.default_seed
        self.model = peer_model(peer, PRESET, epochs=PEER_EPOCHS, seed=self.seed)
        if peer != "mlp":  # JAX compiles its epoch here, outside the timing
            peer_seconds(peer, clone(self.model).set_params(epochs=1), data)

    def track_network_over_peer(self, data, peer):
        network_seconds, peer_times = [], []
        for _ in range(PEER_REPEATS):
            network = preset_network()
            start = time.perf_counter()
            train(network, data.X_train, data.y_train, self.config, seed=self.seed)
            network_seconds.append(time.perf_counter() - start)
            peer_times.append(peer_seconds(peer, clone(self.model), data))
        ratios = [n / m for n, m in zip(network_seconds, peer_times, strict=True)]
        # Rounded so that timing noise below 1% does not read as a change.
        return round(statistics.median(ratios), 2)

    track_network_over_peer.unit = "ratio"
