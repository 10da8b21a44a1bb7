"""Models of one's own: named by import path or entry point, checked before any work, run,
seeded, recorded and cached like the suite's own, and refitted when their code changes."""

from __future__ import annotations

import os
import secrets
import textwrap
from pathlib import Path

import pytest

from backprop_bench.errors import BenchError
from backprop_bench.experiments import planning, plugins, runner, sweeps
from backprop_bench.experiments.models import resolve
from backprop_bench.experiments.records import FitCache
from backprop_bench.experiments.runner import RunOptions

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "student-net"
STUDENT = "student_net.network:StudentNetwork"
SMALL = {"n_train": 300, "n_test": 120}


@pytest.fixture
def importable(monkeypatch):
    """Put folders on the import path, of this process and of the worker processes."""

    def add(folder: Path) -> None:
        monkeypatch.syspath_prepend(str(folder))
        paths = [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]
        monkeypatch.setenv("PYTHONPATH", ":".join(paths))

    return add


@pytest.fixture
def student(importable):
    importable(EXAMPLE)
    return STUDENT


def write_package(root: Path, files: dict[str, str]) -> str:
    """A new package of ``files`` under ``root``, with a name no other test uses."""
    name = f"own_model_{secrets.token_hex(4)}"
    for relative, text in files.items():
        path = root / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return name


MODEL = """
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import LogisticRegression

    from .helpers import ITERATIONS


    class Logistic(ClassifierMixin, BaseEstimator):
        def __init__(self, C=1.0, fail=False):
            self.C = C
            self.fail = fail

        def fit(self, X, y):
            if self.fail:
                raise RuntimeError("my fit broke")
            self.model_ = LogisticRegression(C=self.C, max_iter=ITERATIONS).fit(X, y)
            self.coef_ = self.model_.coef_
            self.intercept_ = self.model_.intercept_
            self.classes_ = self.model_.classes_
            return self

        def predict(self, X):
            return self.model_.predict(X)


    def broken():
        raise ValueError("no such configuration")


    def regressor():
        from sklearn.linear_model import Ridge

        return Ridge()
"""


@pytest.fixture
def own(tmp_path, importable):
    """A package of one's own: ``model.py`` imports ``helpers.py``; ``notes.py`` is not
    imported."""
    name = write_package(
        tmp_path / "site",
        {
            "__init__.py": "",
            "model.py": MODEL,
            "helpers.py": "ITERATIONS = 200\n",
            "notes.py": "TEXT = 'not imported'\n",
        },
    )
    importable(tmp_path / "site")
    return tmp_path / "site" / name, name


def test_a_class_and_a_factory_load_with_their_engine_and_seed(student):
    plugin = plugins.load(student)
    assert plugin.engine == "student_net 0.1.0"  # the package's __version__: not installed
    assert plugin.seeded and "hidden" in plugin.parameters
    assert plugin.build(3).random_state == 3
    wide = plugins.load("student_net.network:wide_network")
    assert wide.build(1).get_params()["hidden"] == 100


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_package.model:Net", "module 'no_such_package.model' not found"),
        ("student_net.network:Nope", "module 'student_net.network' has no 'Nope'"),
        ("student_net.network:np", "np is a module, not a classifier class or a function"),
        ("student_net.network:sigmoid", r"sigmoid\(\) raised TypeError: .*missing 1 required"),
        ("sklearn.linear_model:Ridge", "Ridge is not a scikit-learn classifier"),
        ("student_net.network:", "give a plugin as package.module:Name"),
    ],
)
def test_a_bad_plugin_is_one_line_before_any_work(student, target, message):
    with pytest.raises(BenchError, match=message) as caught:
        planning.plan("digits", [target], seeds=(0,), **SMALL)
    assert "\n" not in str(caught.value) and repr(target) in str(caught.value)


def test_a_factory_that_raises_and_an_import_that_fails_are_one_line(own, tmp_path):
    folder, name = own
    with pytest.raises(BenchError, match=r"broken\(\) raised ValueError: no such configuration"):
        resolve([f"{name}.model:broken"], "mnist-000")
    with pytest.raises(BenchError, match="Ridge is not a scikit-learn classifier"):
        resolve([f"{name}.model:regressor"], "mnist-000")
    (folder / "bad.py").write_text("import no_such_dependency\n")
    with pytest.raises(BenchError, match=r"importing .*bad failed: ModuleNotFoundError"):
        resolve([f"{name}.bad:Net"], "mnist-000")


def test_a_plugin_runs_in_the_worker_processes_seeded_and_recorded(student, tmp_path):
    options = RunOptions(cache=FitCache(tmp_path / "runs"), jobs=2)
    comparison = runner.compare(
        "digits", [student, "linear"], seeds=(0, 1), options=options, **SMALL
    )
    own = [record for record in comparison.records if record.model == student]
    assert [record.seed for record in own] == [0, 1]  # it takes a random_state
    for record in own:
        assert record.status == "ok", record.reason
        assert record.kind == student and record.engine == "student_net 0.1.0"
        assert record.dtype == "float64" and record.n_parameters == 64 * 30 + 30 + 30 * 10 + 10
        assert record.hyperparameters["random_state"] == record.seed
        assert record.test_accuracy > 0.5
        assert record.ran_on.startswith("local process")  # a worker of the pool
    assert own[0].test_predictions != own[1].test_predictions  # the seed reached it
    again = runner.compare("digits", [student, "linear"], seeds=(0, 1), options=options, **SMALL)
    assert again.this_run["fitted"] == 0 and again.this_run["cached"] == 3


def test_a_plugin_without_a_seed_runs_once_and_a_failing_fit_is_crashed_not_cached(own, tmp_path):
    _, name = own
    target = f"{name}.model:Logistic"
    cache = FitCache(tmp_path / "runs")
    options = RunOptions(cache=cache, isolate=False)
    plan = planning.plan("digits", [target], seeds=(0, 1, 2), **SMALL)
    assert [task.seed for task in plan.tasks] == [None]  # no random_state: one fit
    spec = resolve([target], "mnist-000")[0]
    failing = planning.with_params(spec, "failing", fail=True)
    comparison = runner.compare("digits", [target, failing], seeds=(0,), options=options, **SMALL)
    fine, crashed = comparison.records
    assert fine.status == "ok" and fine.engine == name and fine.dtype == "float64"
    assert crashed.status == "crashed" and crashed.reason == "RuntimeError: my fit broke"
    assert cache.get(fine.key) is not None and cache.get(crashed.key) is None


def test_the_cache_key_follows_the_plugins_own_code(own):
    folder, name = own
    target = f"{name}.model:Logistic"

    def key() -> str:
        return planning.plan("digits", [target], seeds=(0,), **SMALL).tasks[0].key

    first = key()
    assert key() == first
    (folder / "notes.py").write_text("TEXT = 'edited, but no fit imports it'\n")
    assert key() == first
    (folder / "helpers.py").write_text("ITERATIONS = 300\n")  # imported by the model's module
    second = key()
    assert second != first
    (folder / "model.py").write_text(textwrap.dedent(MODEL) + "\n# an edit\n")
    assert key() not in (first, second)


def test_an_installed_plugin_by_entry_point_and_its_distribution_in_the_key(tmp_path, importable):
    site = tmp_path / "site"
    name = write_package(
        site, {"__init__.py": "", "model.py": MODEL, "helpers.py": "ITERATIONS = 50\n"}
    )
    info = site / f"{name}-1.2.dist-info"
    info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {{}}\n"
    (info / "METADATA").write_text(metadata.format("1.2"))
    (info / "top_level.txt").write_text(f"{name}\n")
    short = f"logistic-{name[-8:]}"
    (info / "entry_points.txt").write_text(
        f"[{plugins.ENTRY_POINT_GROUP}]\n{short} = {name}.model:Logistic\n"
    )
    importable(site)
    assert plugins.entry_points()[short] == f"{name}.model:Logistic"
    (spec,) = resolve([short], "mnist-000")
    assert (spec.name, spec.kind, spec.engine) == (short, f"{name}.model:Logistic", f"{name} 1.2")
    first = planning.plan("digits", [short], seeds=(0,), **SMALL).tasks[0].key
    (info / "METADATA").write_text(metadata.format("1.3"))
    assert planning.plan("digits", [short], seeds=(0,), **SMALL).tasks[0].key != first


def test_a_sweep_grids_a_plugins_parameters_checked_by_set_params(student, tmp_path):
    document = {
        "datasets": ["digits"],
        "n_train": [300],
        "seeds": [0],
        "models": [student, "linear"],
        "grid": {student: {"hidden": [10, 20]}},
    }
    sweep = sweeps.parse(document)
    labels = [point.label for point in sweep.points]
    assert labels == [f"{student} hidden=10", f"{student} hidden=20", "linear"]
    bad = {**document, "grid": {student: {"hiden": [10]}}}
    with pytest.raises(BenchError, match=rf"grid.{student}.hiden: unknown parameter"):
        sweeps.parse(bad)


def test_the_example_is_a_package_registering_its_models_written_without_nets():
    text = (EXAMPLE / "pyproject.toml").read_text()
    assert f'[project.entry-points."{plugins.ENTRY_POINT_GROUP}"]' in text
    assert f'student-net = "{STUDENT}"' in text
    source = (EXAMPLE / "student_net" / "network.py").read_text()
    assert "from nets" not in source and "import nets" not in source
