"""docs/your-model.md, run as a new user runs it: every command of its digits steps, in order,
with the example plugin installed from examples/student-net."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGH = ROOT / "docs" / "your-model.md"
MNIST_STEP = "## 5. Then on MNIST"  # its commands take ten minutes: the test stops before it


def commands(text: str) -> list[str]:
    """The command lines of the ```sh blocks of ``text``, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_walkthrough_has_its_steps():
    text = WALKTHROUGH.read_text(encoding="utf-8")
    digits, mnist = text.split(MNIST_STEP)
    run = commands(digits)
    assert run[0] == "pip install -e examples/student-net"
    assert any("compare --dataset digits" in line and "student-net" in line for line in run)
    assert any(line.startswith("backprop-bench sweep ") for line in run)
    assert any("--pairs student-net:" in line for line in run)
    assert all("mnist" in line.replace("mnist-000", "") or "speed" in line
               for line in commands(mnist))  # fmt: skip


@pytest.mark.slow
def test_the_walkthrough_runs_on_digits(tmp_path):
    """Each command as written, from a fresh folder, with two exceptions that keep the test's
    own environment as it was: ``pip install -e`` installs into a folder put on PYTHONPATH
    (``--target``: its entry points are found there the same way), and ``examples/`` is this
    repository's. The install fetches the example's build backend from the package index."""
    site = tmp_path / "site"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "BACKPROP_BENCH_CACHE": str(tmp_path / "cache"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    work = tmp_path / "work"
    work.mkdir()
    text = WALKTHROUGH.read_text(encoding="utf-8").split(MNIST_STEP)[0]
    for line in commands(text):
        argv = shlex.split(line.replace("examples/", f"{ROOT}/examples/"))
        if argv[:3] == ["pip", "install", "-e"]:
            argv = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), argv[3]]  # fmt: skip
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    results = work / "results"
    table = (results / "your-model-digits" / "comparison.md").read_text()
    assert re.search(r"\| student-net +\| ok +\| +5 \|", table), table
    assert "student_net 0.1.0" in table
    verdicts = (results / "your-model-digits" / "verdicts.md").read_text()
    assert "- `mnist-000` vs `student-net`: " in verdicts
    assert "- `student-net` vs `svc-000`: " in verdicts
    summary = (results / "student-net-sweep" / "summary.md").read_text()
    assert "student-net hidden=60" in summary
    sweep = (results / "student-net-sweep" / "sweep.csv").read_text()
    assert sweep.count("student-net hidden=") == 3 * 2 * 3  # widths x sizes x seeds
