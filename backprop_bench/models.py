"""The models a comparison runs, by name: the network presets and the baselines.

A model name is either a network preset of ``nets.presets.PRESETS`` (``mnist-seed``: the
network itself, trained by ``NetworkClassifier.from_preset``, exactly as ``backprop-bench train``
does) or a baseline of ``baselines.BASELINES``, configured by ``mirror_of(preset)`` from the
network it is compared with. ``ModelSpec`` is one such model, with optional parameter overrides
(how a test configures a model to diverge); it builds the unfitted estimator for a seed.

``code_version()`` hashes the source that decides what a fit computes (nets/, baselines/, this
module and ``fitting``): the runner's cache keys include it, so changing any of that code
invalidates cached fits, while changing tables or plots does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from baselines import BASELINES, Mirror, make_baseline

NETWORK = "network"  # alias, in model lists, for the network preset of the comparison


def _presets() -> Mapping[str, Any]:
    from nets.presets import PRESETS

    return PRESETS


def mirror_of(preset_name: str) -> Mirror:
    """The settings of preset ``preset_name``'s network that the baselines mirror."""
    presets = _presets()
    if preset_name not in presets:
        raise BenchError(
            f"unknown network preset {preset_name!r}; choose one of {', '.join(presets)}"
        )
    preset = presets[preset_name]
    network, training = preset.network, preset.training
    return Mirror(
        hidden_layer_sizes=tuple(network["sizes"][1:-1]),
        batch_size=training.batch_size,
        epochs=training.epochs,
        learning_rate=training.learning_rate,
        reduction=training.reduction,
        dtype=network.get("dtype", "float64"),
        hidden_activation=network.get("hidden_activation", "sigmoid"),
        output_activation=network.get("output_activation", "sigmoid"),
        cost=network.get("cost", "quadratic"),
        initialiser=network.get("initialiser", "standard_normal"),
    )


def model_names() -> tuple[str, ...]:
    """Every valid model name: the network presets, then the baselines."""
    return (*_presets(), *BASELINES)


@dataclass(frozen=True)
class ModelSpec:
    """One model of a comparison.

    ``name`` labels it in tables; ``kind`` is ``"network"`` or a baseline name; ``preset`` is
    the network preset it is (for the network) or mirrors (for a baseline); ``params`` are
    estimator parameters set over the defaults, as ``(name, value)`` pairs.
    """

    name: str
    kind: str
    preset: str
    params: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def is_network(self) -> bool:
        return self.kind == NETWORK

    @property
    def deterministic(self) -> bool:
        """The seed does not change the fitted model: one fit is enough."""
        return not self.is_network and BASELINES[self.kind].deterministic

    @property
    def iterative(self) -> bool:
        """Trained in epochs, with a per-epoch history."""
        return self.is_network or BASELINES[self.kind].iterative

    def unavailable(self) -> str | None:
        """Why this model cannot run here (a missing optional dependency), else ``None``."""
        if self.is_network or BASELINES[self.kind].available():
            return None
        extra = BASELINES[self.kind].extra
        return f"needs the optional '{extra}' dependency: pip install \"backprop-bench[{extra}]\""

    def build(self, seed: int | None) -> Any:
        """The unfitted estimator for ``seed`` (``None`` for deterministic models)."""
        if self.is_network:
            from backprop_bench.estimator import NetworkClassifier

            estimator = NetworkClassifier.from_preset(self.preset, random_state=seed)
        else:
            estimator = make_baseline(self.kind, mirror_of(self.preset), seed)
        return estimator.set_params(**dict(self.params))

    def hyperparameters(self, seed: int | None) -> dict[str, Any]:
        """Every parameter of the estimator for ``seed``, JSON-able (``get_params``)."""
        return {key: _jsonable(value) for key, value in self.build(seed).get_params().items()}


def resolve(names: Iterable[str], network: str) -> list[ModelSpec]:
    """The ``ModelSpec`` of each name; ``network`` is the preset the baselines mirror.

    ``"network"`` stands for the preset ``network`` itself. Unknown names, and repeated ones,
    are a ``BenchError`` listing the valid names.
    """
    presets = _presets()
    if network not in presets:
        raise BenchError(f"unknown network preset {network!r}; choose one of {', '.join(presets)}")
    specs, seen = [], set()
    for name in names:
        name = network if name == NETWORK else name
        if name not in presets and name not in BASELINES:
            raise BenchError(
                f"unknown model {name!r}; choose from {', '.join(model_names())} "
                f"(or '{NETWORK}' for the preset --network names)"
            )
        if name in seen:
            raise BenchError(f"model {name!r} is listed twice")
        seen.add(name)
        if name in presets:
            specs.append(ModelSpec(name, NETWORK, name))
        else:
            specs.append(ModelSpec(name, name, network))
    if not specs:
        raise BenchError("no models to compare: name at least one")
    return specs


def seeds_for(spec: ModelSpec, seeds: Sequence[int]) -> list[int | None]:
    """The seeds ``spec`` is fitted with: all of them, or ``[None]`` once if deterministic."""
    return [None] if spec.deterministic else list(seeds)


# Seconds per training sample and epoch, one core, [784, 30, 30, 10] (measured on full MNIST:
# the network 13 s, the MLP 26 s for 20 epochs); only the order of fits depends on these.
SECONDS_PER_SAMPLE_EPOCH = {NETWORK: 1.3e-5, "mlp": 2.6e-5, "torch-mlp": 1e-4}


def estimated_cost(spec: ModelSpec, n_train: int, n_features: int, n_test: int = 0) -> float:
    """A rough fit-and-predict time in seconds on one core, for scheduling the longest first.

    Kernel SVMs fit in time growing with the square of the training set and predict in time
    growing with training x test size (svc-seed on full MNIST: 495 s to fit, 181 s to predict
    its test set); logistic regression took 45 s; the networks scale with epochs x samples.
    """
    kind, scale = spec.kind, n_features / 784
    if kind in ("svc", "svc-seed"):
        return scale * (1.4e-7 * n_train**2 + 3e-7 * n_train * (n_test + 2000))
    if kind == "linear":
        return scale * 7.5e-4 * n_train
    mirror = mirror_of(spec.preset)
    width = (n_features + sum(mirror.hidden_layer_sizes)) / 844
    return SECONDS_PER_SAMPLE_EPOCH[kind] * mirror.epochs * n_train * width


CODE_PACKAGES = ("nets", "baselines")
CODE_MODULES = ("backprop_bench/models.py", "backprop_bench/fitting.py")


@cache
def code_version() -> str:
    """SHA-256 (16 hex digits) of the source that decides what a fit computes."""
    root = Path(__file__).resolve().parent.parent
    files = sorted(
        path
        for package in CODE_PACKAGES
        for path in (root / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )
    files += [root / module for module in CODE_MODULES]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (tuples become lists, numpy scalars Python numbers)."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value
