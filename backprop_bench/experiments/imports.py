"""Which source files a module runs: its own and those of the modules it imports, read from
its import statements (those inside functions too). The fit cache's keys hash them: the
suite's fit path (``models.fit_path_files``) and a plugin model's package
(``plugins.plugin_code``)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path


def imported_sources(
    modules: Iterable[str], locate: Callable[[Sequence[str]], Path | None]
) -> list[Path]:
    """The source files of ``modules`` and of every module they import, transitively, that
    ``locate(dotted name parts)`` finds (``None``: not followed, as for other packages)."""
    found: set[Path] = set()
    pending = list(modules)
    while pending:
        module = pending.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # the packages above it run first
            path = locate(parts[:depth])
            if path is None or path in found:
                continue
            found.add(path)
            pending.extend(imported_modules(path, ".".join(parts[:depth])))
    return sorted(found)


def imported_modules(path: Path, module: str) -> list[str]:
    """Every module an import statement in ``path`` may name (``from a import b``: a and a.b)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 packages
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return [name for name in names if name]
