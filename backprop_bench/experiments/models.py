"""The models a comparison runs, by name: the network presets and the baselines.

A model name is either a network preset of ``nets.presets.PRESETS`` (``mnist-000``: the
network itself, trained by ``NetworkClassifier.from_preset``, exactly as ``backprop-bench train``
does) or a baseline of ``baselines.BASELINES``, configured by ``mirror_of(preset)`` from the
network it is compared with. ``ModelSpec`` is one such model, with optional parameter overrides
(how a test configures a model to diverge); it builds the unfitted estimator for a seed.

``code_version()`` hashes the source that decides what a fit computes (``fit_path_files``:
``fitting``, the shared preprocessing and every project module they import): the runner's cache
keys include it, so changing any of that code invalidates cached fits, while changing tables or
plots does not.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments import plugins
from backprop_bench.experiments.imports import imported_sources
from baselines import BASELINES, Mirror, make_baseline

NETWORK = "network"  # alias, in model lists, for the network preset of the comparison
NETWORK_ENGINE = "NumPy (nets)"  # what computes the network's fits


def _presets() -> Mapping[str, Any]:
    from nets.presets import PRESETS

    return PRESETS


def mirror_of(preset_name: str, n_train: int | None = None) -> Mirror:
    """The settings of preset ``preset_name``'s network that the baselines mirror.

    A full-batch preset's batch is its training set: ``n_train`` samples, which must then be
    given (the baselines' step depends on the batch size when the network sums over it).
    """
    presets = _presets()
    if preset_name not in presets:
        raise BenchError(
            f"unknown network preset {preset_name!r}; choose one of {', '.join(presets)}"
        )
    preset = presets[preset_name]
    network, training = preset.network, preset.training
    batch_size = training.batch_size
    if batch_size == "full":
        if n_train is None:
            raise BenchError(
                f"preset {preset_name!r} trains on full batches: mirroring it needs the "
                "training-set size"
            )
        batch_size = n_train
    return Mirror(
        hidden_layer_sizes=tuple(network["sizes"][1:-1]),
        batch_size=batch_size,
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
    def plugin(self) -> plugins.Plugin | None:
        """The plugin model this is (its ``kind`` is its ``package.module:Name``), else
        ``None``."""
        return _plugin(self.kind) if plugins.is_import_path(self.kind) else None

    @property
    def engine(self) -> str:
        """The library that computes the fit: NumPy (nets) for the network, else the
        baseline's engine (libsvm, oneDAL, scikit-learn, PyTorch)."""
        if self.plugin is not None:
            return self.plugin.engine
        return NETWORK_ENGINE if self.is_network else BASELINES[self.kind].engine

    @property
    def deterministic(self) -> bool:
        """The seed does not change the fitted model: one fit is enough (a plugin without a
        ``random_state`` parameter)."""
        if self.plugin is not None:
            return not self.plugin.seeded
        return not self.is_network and BASELINES[self.kind].deterministic

    @property
    def iterative(self) -> bool:
        """Trained in epochs, with a per-epoch history (a plugin's fit is one call)."""
        if self.plugin is not None:
            return False
        return self.is_network or BASELINES[self.kind].iterative

    def unavailable(self) -> str | None:
        """Why this model cannot run here (a missing optional dependency), else ``None``."""
        if self.plugin is not None or self.is_network or BASELINES[self.kind].available():
            return None
        extra = BASELINES[self.kind].extra
        return f"needs the optional '{extra}' dependency: pip install \"backprop-bench[{extra}]\""

    def build(self, seed: int | None, n_train: int | None = None) -> Any:
        """The unfitted estimator for ``seed`` (``None`` for deterministic models), to be
        fitted on ``n_train`` samples (needed only by baselines of a full-batch preset)."""
        if self.plugin is not None:
            estimator = self.plugin.build(seed)
        elif self.is_network:
            from backprop_bench.experiments.estimator import NetworkClassifier

            estimator = NetworkClassifier.from_preset(self.preset, random_state=seed)
        else:
            estimator = make_baseline(self.kind, mirror_of(self.preset, n_train), seed)
        return estimator.set_params(**dict(self.params))

    def hyperparameters(self, seed: int | None, n_train: int | None = None) -> dict[str, Any]:
        """Every parameter of the estimator for ``seed``, JSON-able (``get_params``)."""
        estimator = self.build(seed, n_train)
        return {key: _jsonable(value) for key, value in estimator.get_params().items()}


def resolve(names: Iterable[str], network: str) -> list[ModelSpec]:
    """The ``ModelSpec`` of each name; ``network`` is the preset the baselines mirror.

    ``"network"`` stands for the preset ``network`` itself. A plugin model is named by import
    path (``package.module:Name``) or by the entry point an installed package registers
    (``plugins.entry_points``); it is imported and checked here (``plugins.load``). Unknown
    names, broken plugins and repeated names are a one-line ``BenchError``.
    """
    presets = _presets()
    if network not in presets:
        raise BenchError(f"unknown network preset {network!r}; choose one of {', '.join(presets)}")
    registered = plugins.entry_points()
    specs, seen = [], set()
    for name in names:
        name = network if name == NETWORK else name
        known = name in presets or name in BASELINES or name in registered
        if not known and not plugins.is_import_path(name):
            raise BenchError(
                f"unknown model {name!r}; choose from {', '.join([*model_names(), *registered])} "
                f"(or '{NETWORK}' for the preset --network names, or a model of your own as "
                "package.module:Name)"
            )
        if name in seen:
            raise BenchError(f"model {name!r} is listed twice")
        seen.add(name)
        if name in presets:
            specs.append(ModelSpec(name, NETWORK, name))
        elif name in BASELINES:
            specs.append(ModelSpec(name, name, network))
        else:
            target = registered.get(name, name)
            _plugin(target)  # imported and checked now, before any work
            specs.append(ModelSpec(name, target, network))
    if not specs:
        raise BenchError("no models to compare: name at least one")
    return specs


@cache
def _plugin(target: str) -> plugins.Plugin:
    """Plugin ``target``, loaded and checked once per process."""
    return plugins.load(target)


def with_dtype(spec: ModelSpec, dtype: str) -> ModelSpec:
    """``spec`` set to compute in ``dtype`` where its estimator has a ``dtype`` parameter (the
    network, torch-mlp, jax-mlp). The others take the data's dtype as it comes (the MLP,
    logistic regression, oneDAL's SVC) or convert it to float64 (libsvm's SVC); each record
    says which (``FitRecord.dtype``). A model whose optional dependency is missing is left as
    it is: it is skipped."""
    if spec.unavailable() is not None or "dtype" not in spec.build(0).get_params():
        return spec
    params = tuple(pair for pair in spec.params if pair[0] != "dtype")
    return dataclasses.replace(spec, params=(*params, ("dtype", dtype)))


def seeds_for(spec: ModelSpec, seeds: Sequence[int]) -> list[int | None]:
    """The seeds ``spec`` is fitted with: all of them, or ``[None]`` once if deterministic."""
    return [None] if spec.deterministic else list(seeds)


# Seconds per training sample and epoch, one core, [784, 30, 30, 10], from full-MNIST fits on
# this project's machines: only the order of fits and the plan's estimates depend on these.
# mlp-defaults (100 ReLU units, adam, batches of 200: 1.7e-5 on 20,000 MNIST images) stops by
# its own rule, so its estimate, at its max_iter of 200 epochs, is an upper bound.
SECONDS_PER_SAMPLE_EPOCH = {
    NETWORK: 1.3e-5, "mlp": 2.6e-5, "mlp-defaults": 1.7e-5, "torch-mlp": 1e-4, "jax-mlp": 2.5e-5
}  # fmt: skip


#: Seconds a fit costs before it computes anything: a fresh worker process importing the
#: suite and loading the data. 9 tiny digits fits took 9.0 s with 2 at a time on this project's
#: 2-core machine; a plan of many small fits is dominated by it.
START_SECONDS = 2.0


def estimated_cost(
    spec: ModelSpec,
    n_train: int,
    n_features: int,
    n_test: int = 0,
    hyperparameters: Mapping[str, Any] | None = None,
) -> float:
    """A rough time in seconds on one core for one fit of ``spec``: start-up, fit and predict;
    for scheduling the longest first and for the plan's estimate.

    Kernel SVMs fit in time growing with the square of the training set and predict in time
    growing with training x test size; logistic regression grows with the training set; the
    networks with epochs x samples x width, read from the fit's ``hyperparameters`` where
    given (a sweep's ``epochs`` or ``hidden_layer_sizes``), else the preset's. The constants
    come from full-MNIST fits on this project's 2-core machines.
    """
    kind, scale = spec.kind, n_features / 784
    if spec.plugin is not None:  # unknown: as logistic regression, a fit of one pass or so
        return START_SECONDS + scale * 7.5e-4 * n_train
    if kind in ("svc", "svc-000"):
        return START_SECONDS + scale * (1.4e-7 * n_train**2 + 3e-7 * n_train * (n_test + 2000))
    if kind in ("svc-onedal", "svc-000-onedal"):  # oneDAL: 177.5 s fit, 34.3 s predict on MNIST
        return START_SECONDS + scale * (5e-8 * n_train**2 + 5.7e-8 * n_train * n_test)
    if kind == "linear":
        return START_SECONDS + scale * 7.5e-4 * n_train
    mirror = mirror_of(spec.preset, n_train)
    given = hyperparameters or {}
    epochs = given.get("epochs", given.get("max_iter", mirror.epochs))
    hidden = given.get("hidden_layer_sizes", mirror.hidden_layer_sizes)
    hidden = [hidden] if isinstance(hidden, int) else hidden
    try:
        width = (n_features + sum(int(size) for size in hidden)) / 844
        epochs = float(epochs)
    except (TypeError, ValueError):  # not numbers: the estimator's validation will say so
        width, epochs = 1.0, float(mirror.epochs)
    return START_SECONDS + SECONDS_PER_SAMPLE_EPOCH[kind] * epochs * n_train * width


#: Where a fit is computed: ``fit_one`` and the shared preprocessing that feeds it. What
#: decides a fit is these modules and every project module they import, directly or not.
FIT_PATH = ("backprop_bench.experiments.fitting", "backprop_bench.data.preprocessing")
PROJECT_PACKAGES = ("nets", "baselines", "backprop_bench")
ROOT = Path(__file__).resolve().parents[2]


def fit_path_files(root: Path = ROOT) -> list[Path]:
    """The source files of ``FIT_PATH`` and of every project module they import, transitively.

    Read from the import statements (those inside functions too) rather than listed by hand, so
    a module that starts to take part in fitting is covered the moment it is imported; a
    package's ``__init__.py`` counts, since importing a module runs it. Sorted paths.
    """
    return imported_sources(FIT_PATH, lambda parts: _module_file(root, parts))


def _module_file(root: Path, parts: Sequence[str]) -> Path | None:
    if parts[0] not in PROJECT_PACKAGES:
        return None
    base = root.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def code_version() -> str:
    """SHA-256 (16 hex digits) of the source that decides what a fit computes: cache keys
    include it, so editing any of that code refits (``fit_path_digest`` of this checkout)."""
    return fit_path_digest(ROOT)


def fit_path_digest(root: Path) -> str:
    """SHA-256 (16 hex digits) of the names and bytes of ``fit_path_files(root)``."""
    digest = hashlib.sha256()
    for path in fit_path_files(root):
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
