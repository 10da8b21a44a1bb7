"""The fit cache's key covers every module that decides a fit, and only those."""

from __future__ import annotations

import shutil

import pytest

from backprop_bench.experiments import models
from backprop_bench.experiments.models import PROJECT_PACKAGES, fit_path_digest, fit_path_files


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of the project's packages, to edit."""
    root = tmp_path_factory.mktemp("tree")
    for package in PROJECT_PACKAGES:
        shutil.copytree(
            models.ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root


def test_the_modules_that_decide_a_fit_are_covered(tree):
    covered = {str(path.relative_to(tree)) for path in fit_path_files(tree)}
    # what sizes the output layer and seeds the network, and what prepares the data
    for module in (
        "backprop_bench/experiments/estimator.py",
        "backprop_bench/data/preprocessing.py",
        "backprop_bench/experiments/fitting.py",
        "backprop_bench/experiments/models.py",
        "backprop_bench/data/datasets.py",
        "nets/training.py",
        "nets/gradients/vectorised.py",
        "baselines/mlp.py",
        "baselines/svm.py",
    ):
        assert module in covered
    # what only reports a fit
    for module in (
        "backprop_bench/reports/tables.py",
        "backprop_bench/reports/plots.py",
        "backprop_bench/cli/__init__.py",
    ):
        assert module not in covered


def test_editing_any_covered_module_changes_the_key(tree):
    before = fit_path_digest(tree)
    for path in fit_path_files(tree):
        original = path.read_bytes()
        path.write_bytes(original + b"\n# an edit\n")
        try:
            assert fit_path_digest(tree) != before, path
        finally:
            path.write_bytes(original)
    assert fit_path_digest(tree) == before


def test_editing_a_report_module_keeps_the_key(tree):
    before = fit_path_digest(tree)
    path = tree / "backprop_bench" / "reports" / "tables.py"
    original = path.read_bytes()
    path.write_bytes(original + b"\n# an edit\n")
    try:
        assert fit_path_digest(tree) == before
    finally:
        path.write_bytes(original)


def test_a_module_newly_imported_by_the_fit_path_is_covered_at_once(tree):
    fitting = tree / "backprop_bench" / "experiments" / "fitting.py"
    original = fitting.read_bytes()
    assert tree / "backprop_bench" / "reports" / "tables.py" not in fit_path_files(tree)
    late_import = b"\n\ndef _late():\n    from backprop_bench.reports import tables\n"
    fitting.write_bytes(original + late_import)
    try:
        assert tree / "backprop_bench" / "reports" / "tables.py" in fit_path_files(tree)
    finally:
        fitting.write_bytes(original)


def test_the_running_code_version_is_the_digest_of_this_checkout():
    assert models.code_version() == fit_path_digest(models.ROOT)
