"""Results folders from someone else's clone, full disks and concurrent runs: nothing is written
outside the folder the user chose, a folder is replaced whole or not at all, and every bad input
is one line naming the file, the line and the field. Each test plants its fault."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from backprop_bench import cli, files
from backprop_bench.errors import BenchError
from backprop_bench.experiments.records import FitCache
from backprop_bench.reports.readme import replace_block
from tests.backprop_bench.support import DIGITS_COMPARE, in_project

COMPARE = [*DIGITS_COMPARE, "--readme", "README.md"]
SWEEP = """
datasets = ["digits"]
n_train = [200, 300]
n_test = 100
models = ["linear"]
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A real comparison and a real sweep (three fits in all): their folders and the cache."""
    with in_project(tmp_path_factory.mktemp("made")) as root:
        (root / "sweep.toml").write_text(SWEEP)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert cli.main([*COMPARE, "--out", "results/digits"]) == 0
            assert cli.main(["sweep", "sweep.toml", "--out", "results/sweep"]) == 0
    return root


@pytest.fixture
def work(tmp_path, monkeypatch, made):
    """A fresh copy of the made folders and cache; the working directory."""
    shutil.copytree(made / "results", tmp_path / "project" / "results")
    shutil.copytree(made / "cache", tmp_path / "cache")
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (the lock aside) with its content."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != files.LOCK
    }


def one_line_error(argv: list[str], capsys) -> str:
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    return error


# --- 1. nothing outside the chosen folder ------------------------------------------------------


@pytest.mark.parametrize("axis", ["x/../../../../outside/victim", "..", "a\\b", ".hidden", ""])
def test_a_sweep_axis_never_becomes_a_path_outside_its_folder(work, capsys, axis):
    folder = work / "results" / "sweep"
    description = json.loads((folder / "sweep.json").read_text())
    description["axes"] = [axis]
    (folder / "sweep.json").write_text(json.dumps(description))
    before = snapshot(work.parent)
    error = one_line_error(["report", "results/sweep"], capsys)
    assert "sweep.json" in error and "axes" in error
    assert snapshot(work.parent) == before
    assert not (work.parent / "outside").exists()


def test_child_refuses_every_name_that_is_not_one_plain_file(tmp_path):
    (tmp_path / "link.png").symlink_to(tmp_path.parent / "elsewhere.png")
    for name in ("../x.png", "a/b.png", "/etc/passwd", ".lock", "..", "", "link.png", 5):
        with pytest.raises(BenchError):
            files.child(tmp_path, name)
    assert files.child(tmp_path, "accuracy_vs_C.png") == tmp_path / "accuracy_vs_C.png"


@pytest.mark.parametrize(
    "name", ["linear <!-- results:res end -->", "linear\nline two", "../../x", "a" * 300, ""]
)
def test_a_model_name_that_could_inject_text_or_paths_is_refused(work, capsys, name):
    runs = work / "results" / "digits" / "runs.jsonl"
    lines = runs.read_text().splitlines()
    record = json.loads(lines[1])
    record["model"] = name
    runs.write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")
    readme = work / "README.md"
    readme.write_text("# t\n")
    before = snapshot(work)
    error = one_line_error(["report", "results/digits"], capsys)
    assert "runs.jsonl line 2" in error and "model" in error
    assert snapshot(work) == before


def test_generated_text_cannot_escape_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:x start (generated) -->\nold\n<!-- results:x end -->\n")
    with pytest.raises(BenchError, match="holds an HTML comment: refusing it"):
        replace_block(readme, "results:x", "new <!-- results:x end --> escaped")
    assert "old" in readme.read_text()


def test_a_symlinked_readme_is_refused_naming_its_target(work, capsys):
    target = work / "real.md"
    target.write_text("# real\n")
    (work / "README.md").symlink_to(target)
    before = snapshot(work)
    error = one_line_error(["report", "results/digits"], capsys)
    assert "a symbolic link (to" in error and "name the file itself with --readme" in error
    assert (work / "README.md").is_symlink() and snapshot(work) == before


# --- 2. replaced whole or not at all -----------------------------------------------------------


def test_a_disk_that_fills_while_writing_leaves_the_folder_as_it_was(work, capsys, monkeypatch):
    folder = work / "results" / "digits"
    before = snapshot(folder)
    real = files.write_atomically
    calls = []

    def fills_up(path, write):
        calls.append(path)
        if len(calls) > 1:  # runs.jsonl fits, the rest does not
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, write)

    monkeypatch.setattr(files, "write_atomically", fills_up)
    assert cli.main([*COMPARE, "--out", "results/digits"]) == 1
    error = capsys.readouterr().err.splitlines()[-1]  # after the plan's line
    assert error.startswith("backprop-bench compare: error: --out results/digits:")
    assert "could not write the new files (No space left on device)" in error
    assert "the folder was left as it was; the finished fits are cached" in error
    assert snapshot(folder) == before and not (folder / files.STAGING).exists()
    monkeypatch.setattr(files, "write_atomically", real)
    assert cli.main([*COMPARE, "--out", "results/digits"]) == 0
    assert "0 fits run, 2 taken from the cache" in capsys.readouterr().out


def test_a_move_cut_short_by_a_kill_is_finished_by_the_next_run(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.md").write_text("old")
    (folder / "summary.md").write_text("old summary")
    stage = folder / files.STAGING
    stage.mkdir()
    (stage / "summary.md").write_text("new summary")
    (stage / files.MANIFEST).write_text(json.dumps({"files": ["summary.md"], "whole": True}))
    with files.OutputFolder(folder) as opened:
        opened.open()
    assert sorted(p.name for p in folder.iterdir()) == [files.LOCK, "summary.md"]
    assert (folder / "summary.md").read_text() == "new summary"


def test_a_staging_folder_without_its_manifest_is_dropped(tmp_path):
    folder = tmp_path / "out"
    (folder / files.STAGING).mkdir(parents=True)
    (folder / files.STAGING / "summary.md").write_text("half")
    (folder / "summary.md").write_text("old")
    with files.OutputFolder(folder) as opened:
        opened.open()
    assert (folder / "summary.md").read_text() == "old"
    assert not (folder / files.STAGING).exists()


def test_a_folder_holding_other_things_is_not_taken_for_a_results_folder(tmp_path, capsys):
    (tmp_path / "mine" / "src").mkdir(parents=True)
    with pytest.raises(BenchError, match=r"not a results folder \(it holds src\)"):
        files.OutputFolder(tmp_path / "mine").open()


# --- 3. concurrent runs ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_second_run_on_a_locked_folder_is_refused_at_once(work, capsys, command):
    folder = work / "results" / "digits"
    before = snapshot(folder)
    argv = ["report", str(folder)]
    if command == "compare":
        argv = [*COMPARE, "--out", "results/digits"]
    with FileLock(str(folder / files.LOCK), timeout=0):  # another run holds it
        error = one_line_error(argv, capsys)
    assert "another backprop-bench run is writing this folder" in error
    assert snapshot(folder) == before


def test_two_compares_at_once_one_is_refused_and_the_folder_is_the_others(work, tmp_path):
    env = {**os.environ, "BACKPROP_BENCH_CACHE": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "backprop_bench", *COMPARE, "--out", "results/both"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    runs = [
        subprocess.Popen([*argv, "--models", models], cwd=work, env=env, **pipes)
        for models in ("mnist-000,linear", "linear")
    ]
    done = [run.communicate(timeout=300) for run in runs]
    codes = sorted(run.returncode for run in runs)
    refused = [err for (_, err), run in zip(done, runs, strict=True) if run.returncode == 1]
    if codes == [0, 0]:  # the second started after the first had finished: no race this time
        pytest.skip("the two runs did not overlap")
    assert codes == [0, 1] and "another backprop-bench run is writing this folder" in refused[0]
    winner = runs[[run.returncode for run in runs].index(0)]
    models = {json.loads(line)["model"] for line in (work / "results/both/runs.jsonl").open()}
    assert models == ({"mnist-000", "linear"} if winner is runs[0] else {"linear"})


# --- 5. every input validated where it is read -------------------------------------------------


def _edit_record(record: dict, case: str) -> dict | None:
    if case == "nan":
        record["test_accuracy"] = float("nan")
    elif case == "seven":
        record["test_accuracy"] = 7.5
    elif case == "n_test":
        record["n_test"] = -5
    elif case == "null":
        return None
    elif case == "type":
        record["fit_seconds"] = "fast"
    elif case == "predictions":
        record["test_predictions"] = record["test_predictions"][:-3]
    elif case == "matrix":
        record["confusion_matrix"] = [[1, 2], [3]]
    return record


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("nan", "line 2"),
        ("seven", "test_accuracy"),
        ("n_test", "n_test"),
        ("null", "line 2"),
        ("type", "fit_seconds"),
        ("predictions", "test_predictions"),
        ("matrix", "confusion_matrix"),
        ("duplicate", "line 2: model mnist-000 seed 0 is already recorded on line 1"),
        ("dataset", "dataset"),
    ],
)
def test_a_malformed_runs_file_is_one_line_naming_file_line_and_field(work, capsys, case, field):
    runs = work / "results" / "digits" / "runs.jsonl"
    lines = runs.read_text().splitlines()
    if case == "duplicate":
        lines = [lines[0], lines[0], *lines[1:]]
    elif case == "dataset":
        other = json.loads(lines[1])
        other["dataset"] = "mnist"
        lines[1] = json.dumps(other)
    else:
        edited = _edit_record(json.loads(lines[1]), case)
        lines[1] = json.dumps(edited)
    runs.write_text("\n".join(lines) + "\n")
    before = snapshot(work)
    error = one_line_error(["report", "results/digits"], capsys)
    assert "runs.jsonl" in error and field in error, error
    assert snapshot(work) == before


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("environment.json", '{"this_run": 5}', "environment.json"),
        ("environment.json", "null", "environment.json"),
        ("environment.json", '{"pairs": [["linear"]]}', "pairs"),
        ("test_labels.txt", "0123", "test_labels.txt: 4 labels, but the fits were tested on 100"),
        ("test_labels.txt", "xyz!" * 25, "test_labels.txt: holds characters"),
    ],
)
def test_a_malformed_environment_or_labels_file_is_one_line(work, capsys, name, text, words):
    (work / "results" / "digits" / name).write_text(text)
    before = snapshot(work)
    error = one_line_error(["report", "results/digits"], capsys)
    assert words in error, error
    assert snapshot(work) == before


def test_a_cached_fit_whose_predictions_were_shortened_is_fitted_again(work, capsys):
    cache = FitCache(work.parent / "cache" / "runs")
    # the network's own record: other records name "mnist-000" too (the network they mirror)
    path = next(
        p for p in sorted(cache.folder.glob("*.json"))
        if json.loads(p.read_text()).get("model") == "mnist-000"
    )  # fmt: skip
    record = json.loads(path.read_text())
    record["test_predictions"] = record["test_predictions"][:10]
    path.write_text(json.dumps(record))
    assert cache.get(record["key"]) is None
    assert cli.main([*COMPARE, "--out", "results/digits"]) == 0
    assert "1 fits run, 1 taken from the cache" in capsys.readouterr().out


# --- 7. environment faults ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["file", "unwritable"])
def test_an_unusable_fit_cache_is_one_line_before_any_work(tmp_path, monkeypatch, capsys, fault):
    cache = tmp_path / "cache"
    if fault == "file":
        cache.write_text("not a folder")
    else:
        (cache / "runs").mkdir(parents=True)
        (cache / "runs").chmod(0o500)
        if os.access(cache / "runs", os.W_OK):
            pytest.skip("root writes into read-only folders")
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)
    argv = ["compare", "--dataset", "digits", "--models", "linear", "--out", "out"]
    error = one_line_error(argv, capsys)
    assert ("fit cache" in error or "cache folder" in error) and "BACKPROP_BENCH_CACHE" in error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("home", [None, ""])
def test_home_unset_or_empty_is_one_line(tmp_path, monkeypatch, capsys, home):
    monkeypatch.delenv("BACKPROP_BENCH_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    if home is None:
        monkeypatch.delenv("HOME", raising=False)
    else:
        monkeypatch.setenv("HOME", home)
    monkeypatch.chdir(tmp_path)
    argv = ["compare", "--dataset", "digits", "--models", "linear", "--out", "out"]
    error = one_line_error(argv, capsys)
    assert "HOME is not set" in error and "BACKPROP_BENCH_CACHE" in error
    assert not (tmp_path / "out").exists()


def test_a_cache_that_fills_mid_run_costs_the_caching_not_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)

    def full(self, record):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(FitCache, "put", full)
    argv = ["compare", "--dataset", "digits", "--models", "linear", "--n-train", "100"]
    assert cli.main([*argv, "--out", "out", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "warning: 1 writes to the fit cache failed" in out and "No space left" in out
    assert (tmp_path / "out" / "runs.jsonl").is_file()


def test_report_into_a_read_only_folder_is_one_line(work, capsys):
    folder = work / "results" / "digits"
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("root writes into read-only folders")
        error = one_line_error(["report", "results/digits"], capsys)
        assert "results folder results/digits: cannot write there" in error
    finally:
        folder.chmod(0o700)


def test_a_non_ascii_folder_under_an_ascii_locale(work, tmp_path):
    env = {
        **os.environ,
        "BACKPROP_BENCH_CACHE": str(tmp_path / "cache"),
        "LC_ALL": "C",
        "PYTHONIOENCODING": "ascii",
    }
    argv = [sys.executable, "-m", "backprop_bench", *COMPARE, "--out", "results/d\u00e9j\u00e0"]
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (work / "results" / "d\u00e9j\u00e0" / "summary.md").is_file()
    assert "results/d\\xe9j\\xe0" in done.stdout
