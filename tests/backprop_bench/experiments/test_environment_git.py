"""The environment's git record: the dirty flag is about the code, not the files a run writes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from backprop_bench.experiments import environment

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    for path in ("nets/network.py", "results/mnist/comparison.md", "README.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("first\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    return tmp_path


def test_a_clean_tree_is_not_dirty(repo):
    record = environment.git(repo)
    assert len(record["commit"]) == 40 and record["dirty"] is False


def test_results_and_readme_written_by_a_run_do_not_count(repo):
    (repo / "results/mnist/comparison.md").write_text("a new table\n")
    (repo / "README.md").write_text("a new generated block\n")
    assert environment.git(repo)["dirty"] is False


def test_a_changed_code_file_does(repo):
    (repo / "nets/network.py").write_text("changed\n")
    assert environment.git(repo)["dirty"] is True


def test_no_repository_gives_no_commit(tmp_path):
    assert environment.git(tmp_path) == {"commit": None, "dirty": None}
