"""Models of one's own: a classifier named by import path, or by an installed package.

A plugin model is named ``package.module:Name``, where ``Name`` is a scikit-learn classifier
class (built with no arguments) or a function that returns one. An installed package may also
give it a short name through the entry-point group ``backprop_bench.models``::

    [project.entry-points."backprop_bench.models"]
    student-net = "student_net.network:StudentNetwork"

``load(target)`` imports and checks it, with a one-line ``BenchError`` for each way it can be
wrong (module not found, name not found, not a classifier, a factory that raises), before any
fit. A plugin with a ``random_state`` parameter is seeded like the suite's models and runs
over the seeds; one without runs once. Its engine is its top-level package and version.

``Plugin.code`` is what the fit cache's keys take from it: the bytes of its module and of every
module that module imports from its own top-level package, transitively (as
``models.code_version`` does for the suite's code), and the name and version of the
distribution that installed it, where one did. Editing the plugin refits it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError, one_line
from backprop_bench.experiments.imports import imported_sources

ENTRY_POINT_GROUP = "backprop_bench.models"
SEPARATOR = ":"


def is_import_path(name: str) -> bool:
    """``name`` names a plugin by import path (``package.module:Name``)."""
    return SEPARATOR in name


def entry_points() -> dict[str, str]:
    """The models installed packages register: entry-point name -> ``package.module:Name``."""
    return {point.name: point.value for point in metadata.entry_points(group=ENTRY_POINT_GROUP)}


@dataclass(frozen=True)
class Plugin:
    """A loaded, checked plugin model: ``target`` (``package.module:Name``), its ``engine``
    (top-level package and version), whether it takes a ``random_state`` (``seeded``) and
    whether it has a ``dtype`` parameter."""

    target: str
    engine: str
    seeded: bool
    parameters: tuple[str, ...]

    def build(self, seed: int | None = None) -> Any:
        """A new unfitted estimator, seeded with ``seed`` where it takes one."""
        estimator = _factory(self.target)()
        if self.seeded and seed is not None:
            estimator.set_params(random_state=seed)
        return estimator

    @property
    def code(self) -> str:
        """SHA-256 (16 hex digits) of the plugin's source and distribution (read anew: an
        edited plugin gets a new key in the same process)."""
        return plugin_code(self.target)


def _split(target: str) -> tuple[str, str]:
    module, _, name = target.partition(SEPARATOR)
    if (
        not module
        or not name
        or SEPARATOR in name
        or not all(part.isidentifier() for part in (*module.split("."), *name.split(".")))
    ):
        raise BenchError(f"model {target!r}: give a plugin as package.module:Name")
    return module, name


def _import(target: str) -> Any:
    module, _ = _split(target)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and (module == error.name or module.startswith(error.name + ".")):
            raise BenchError(
                f"model {target!r}: module {module!r} not found (is its package installed, "
                "or its folder on PYTHONPATH?)"
            ) from None
        raise BenchError(
            f"model {target!r}: importing {module} failed: {one_line(error)}"
        ) from None
    except Exception as error:  # a plugin's own bug at import time
        raise BenchError(
            f"model {target!r}: importing {module} failed: {one_line(error)}"
        ) from None


def _factory(target: str) -> Callable[[], Any]:
    """What builds the plugin's estimator: the class, or the function, ``target`` names."""
    module, name = _split(target)
    found: Any = _import(target)
    for part in name.split("."):
        if not hasattr(found, part):
            raise BenchError(f"model {target!r}: module {module!r} has no {name!r}")
        found = getattr(found, part)
    if not callable(found):
        raise BenchError(
            f"model {target!r}: {name} is a {type(found).__name__}, not a classifier class or "
            "a function returning one"
        )
    return found


def load(target: str) -> Plugin:
    """Import, build and check plugin ``target``: a one-line ``BenchError`` if its module or
    name is missing, its factory raises, or what it builds is not a scikit-learn classifier."""
    from sklearn.base import is_classifier

    factory = _factory(target)
    try:
        estimator = factory()
    except Exception as error:
        raise BenchError(
            f"model {target!r}: {_split(target)[1]}() raised {one_line(error)}"
        ) from None
    needs = ("fit", "predict", "get_params", "set_params")
    missing = [method for method in needs if not callable(getattr(estimator, method, None))]
    if missing or not is_classifier(estimator):
        what = f"lacks {', '.join(missing)}" if missing else "is not tagged as a classifier"
        raise BenchError(
            f"model {target!r}: {type(estimator).__name__} is not a scikit-learn classifier "
            f"(it {what}; subclass sklearn.base.ClassifierMixin and BaseEstimator)"
        )
    try:
        parameters = tuple(estimator.get_params())
    except Exception as error:
        raise BenchError(f"model {target!r}: get_params() raised {one_line(error)}") from None
    return Plugin(target, engine(target), "random_state" in parameters, parameters)


def engine(target: str) -> str:
    """The plugin's top-level package and its version: the installed distribution's, else
    the package's ``__version__``, else the package alone."""
    top = _split(target)[0].split(".")[0]
    distribution = _distribution(top)
    if distribution is not None:
        return f"{top} {distribution[1]}"
    version = getattr(importlib.import_module(top), "__version__", None)
    return f"{top} {version}" if isinstance(version, str) else top


def _distribution(top: str) -> tuple[str, str] | None:
    """(name, version) of the distribution that installed top-level package ``top``."""
    names = metadata.packages_distributions().get(top, [])
    for name in names:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def plugin_code(target: str) -> str:
    """SHA-256 (16 hex digits) of the sources of ``target``'s module and of every module it
    imports from its own top-level package (paths relative to that package's folder), and the
    name and version of its distribution, where one installed it."""
    module = _split(target)[0]
    top = module.split(".")[0]
    _import(target)  # its packages are imported, so their modules can be found
    files = imported_sources([module], lambda parts: _source(parts, top))
    origin = _source([top], top)
    base = origin.parent if origin is not None and origin.name == "__init__.py" else None
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(base) if base and path.is_relative_to(base) else path.name
        digest.update(f"{name}".encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(repr(_distribution(top)).encode())
    return digest.hexdigest()[:16]


def _source(parts: list[str], top: str) -> Path | None:
    """The source file of module ``parts`` if it lies in package ``top``, else ``None``."""
    if parts[0] != top:
        return None
    try:
        spec = importlib.util.find_spec(".".join(parts))
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)
