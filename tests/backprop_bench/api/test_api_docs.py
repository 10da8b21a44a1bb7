"""docs/api.md's notebook session, every cell in order, in one namespace."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def run_cell(source: str, namespace: dict):
    """Run a notebook cell; its value is its last line's, where that is an expression."""
    tree = ast.parse(source)
    last = tree.body[-1] if isinstance(tree.body[-1], ast.Expr) else None
    body = ast.Module(tree.body[:-1] if last else tree.body, type_ignores=[])
    exec(compile(body, str(DOC), "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), str(DOC), "eval"), namespace)
    return None


def test_every_cell_of_the_api_page_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "cache"))
    text = DOC.read_text(encoding="utf-8")
    cells = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    namespace: dict = {}
    shown = [run_cell(cell, namespace) for cell in cells]
    assert len(shown) == 6
    # the first comparison's table, verdicts and records, as the page shows them
    table, verdicts = shown[1], shown[2]
    assert isinstance(table, pd.DataFrame)
    assert list(table["model"]) == ["mnist-000", "svc", "mlp", "linear"]
    assert list(table.columns)[2] == "test_accuracy_mean" and table["n_seeds"].tolist() == [
        3,
        1,
        3,
        1,
    ]
    assert set(verdicts["second"]) == {"svc", "mlp", "linear"}
    assert set(verdicts["seed"].dropna()) == {0, 1, 2}
    model, seed, accuracy, engine, ran_on = shown[3]
    assert (model, seed, engine) == ("mnist-000", 0, "NumPy (nets)") and 0.5 < accuracy <= 1
    assert ran_on.startswith("local process")
    # the written folder holds what the outcome lists, with the named pair's verdict
    folder = tmp_path / "results" / "notebook-digits"
    assert shown[4] == sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert "- `svc` vs `linear`: " in (folder / "verdicts.md").read_text()
    # the sweep's tidy table, averaged over its seeds: three models at two sizes
    means = shown[5]
    assert len(means) == 3 * 2 and means.between(0, 1).all()
