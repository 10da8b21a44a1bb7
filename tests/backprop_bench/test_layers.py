"""The harness's folders are its layers, and imports run one way between them.

- ``data`` (datasets, provenance, cache, preprocessing) imports no other layer;
- ``experiments`` (models, fitting, runner, records, speed) imports ``data`` only;
- ``reports`` (tables, plots, publish, asv results) imports ``data``, ``experiments.records``
  (the record it reads), ``experiments.environment`` (the machine it describes),
  ``experiments.labels`` and ``experiments.intervals`` (the intervals it states), never what
  runs a fit;
- ``api`` (``compare`` and ``sweep`` for notebooks, the runs behind the commands) imports
  ``data``, ``experiments`` and ``reports``;
- ``cli`` imports ``api`` and the layers below, and is imported by nothing but
  ``backprop_bench/__main__.py``.

Beside the layers, every layer may use ``errors`` (the one error type), ``files`` (the one
writer, results folders) and ``schema`` (checking JSON read back against its typed shape).

Read from the import statements of every module, those inside functions included.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "backprop_bench"
LAYERS = ("data", "experiments", "reports", "api", "cli")
ALLOWED = {
    "data": set(),
    "experiments": {"data"},
    "reports": {
        "data",
        "experiments.records",
        "experiments.environment",
        "experiments.labels",
        "experiments.intervals",
    },
    "api": {"data", "experiments", "reports"},
    "cli": {"data", "experiments", "reports", "api"},
}


def imported(path: Path) -> set[str]:
    """The backprop_bench modules ``path`` imports, as dotted names below backprop_bench
    (``from backprop_bench.data import datasets`` imports ``data.datasets``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [
                f"{node.module}.{alias.name}"
                if _is_module(f"{node.module}.{alias.name}")
                else node.module
                for alias in node.names
            ]
        else:
            continue
        prefix = "backprop_bench."
        names |= {m.removeprefix(prefix) for m in modules if m.startswith(prefix)}
    return names


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def modules(layer: str) -> list[Path]:
    """Every module of ``layer``, those of its subpackages (``experiments.backends``) too."""
    return sorted((PACKAGE / layer).rglob("*.py"))


def dotted(path: Path) -> str:
    """``path``'s module name below backprop_bench (a package is its ``__init__.py``)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The circle of imports of ``graph`` (module -> modules it imports) that the standard
    library's topological sort meets first, as a set of modules; ``[]`` when there is none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return [set(error.args[1])]
    return []


def test_every_module_lives_in_a_layer():
    top = {path.name for path in PACKAGE.glob("*.py")}
    assert top == {"__init__.py", "__main__.py", "errors.py", "files.py", "schema.py"}
    assert all(modules(layer) for layer in LAYERS)


def allowed(layer: str, name: str) -> bool:
    target = name.split(".")[0]
    if target in (layer, "errors", "files", "schema") or target not in LAYERS:
        return True
    return any(name == rule or name.startswith(rule + ".") for rule in ALLOWED[layer])


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_run_one_way(layer):
    for path in modules(layer):
        for name in imported(path):
            assert allowed(layer, name), (
                f"{path.relative_to(PACKAGE)} imports backprop_bench.{name}"
            )


def test_no_two_modules_import_each_other():
    """No circle of imports, those inside functions included: each module can be read, and
    moved, without the modules that use it."""
    graph = {dotted(path): imported(path) for path in PACKAGE.rglob("*.py")}
    assert circles(graph) == []


def test_no_command_imports_another():
    """A command's module (one that adds a subcommand) imports the shared helpers (options,
    fits, progress, ...), never another command: what commands share lives in one place."""
    commands = {dotted(path) for path in modules("cli") if "\ndef add(" in path.read_text()}
    assert {"cli.compare", "cli.report", "cli.speed", "cli.regressions"} <= commands
    for path in modules("cli"):
        if dotted(path) == "cli":  # the entry point registers every command
            continue
        others = imported(path) & (commands - {dotted(path)})
        assert not others, f"{path.relative_to(PACKAGE)} imports the command(s) {others}"


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_rule_catches_a_wrong_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text(
        "from backprop_bench.experiments import records\n"
        "def f():\n    from backprop_bench.experiments.runner import compare\n"
    )
    names = imported(bad)
    assert names == {"experiments.records", "experiments.runner"}
    assert allowed("reports", "experiments.records")
    assert not allowed("reports", "experiments.runner")
    assert not allowed("data", "experiments.records")
