"""Slowdowns planted on purpose, to check that ``regressions`` calls what it must and nothing
else (``backprop-bench check-regressions``, and the slow test of ``regressions``).

A plant is code appended to one module of a commit's tree that rebinds one function to a
slower one with the same result. Callers find the function by name when they call it, or import
it once the module has run, so they get the slower one. Each plant names the benchmarks it makes
slower (``targets``) and those it may touch besides (``affected``). A run finds the slowdown when
it calls a target ``slower``; how many of the targets it called says how well; any other
benchmark called is a false call.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backprop_bench.errors import BenchError
from backprop_bench.experiments.interleaved import CALLS, SLOWER

PER_SAMPLE = "nets/gradients/per_sample.py"
TRAINING = "nets/training.py"


@dataclass(frozen=True)
class Plant:
    """A slowdown: where it goes, its code, and the benchmarks it must and may slow."""

    name: str
    what: str
    path: str
    code: str
    targets: str  # a regular expression of the labels of the benchmarks it makes slower
    affected: str = ""  # labels that may be called besides the targets

    def must(self, label: str) -> bool:
        return bool(re.search(self.targets, label))

    def may(self, label: str) -> bool:
        return self.must(label) or bool(self.affected and re.search(self.affected, label))


PLANTS = {
    plant.name: plant
    for plant in (
        Plant(
            "per_sample-10pct",
            "10% in `per_sample`: every tenth sample's gradient is computed twice",
            PER_SAMPLE,
            """

_plain_per_sample = per_sample


def per_sample(network, X, Y):  # planted: every tenth sample's work twice, the same result
    _plain_per_sample(network, X[9::10], Y[9::10]) if len(X) >= 10 else None
    return _plain_per_sample(network, X, Y)
""",
            # batch 1 has no tenth sample: no extra work there
            targets=r"GradientRoutines\.time_gradient\('per_sample', (10|50|200|1000),",
            affected=r"\('per_sample',",
        ),
        Plant(
            "training-10pct",
            "10% in the training step: the gradient of a tenth of each batch is computed again",
            TRAINING,
            """

_plain_train_step = train_step


def train_step(network, X, Y, config, velocity):  # planted: 10% more gradient work
    tenth = max(1, X.shape[0] // 10)
    GRADIENTS[config.gradient](network, X[:tenth], Y[:tenth])
    return _plain_train_step(network, X, Y, config, velocity)
""",
            targets=r"RooflineStep\.time_step",
            affected=r"Training\.time_epoch|Training\.track_test_accuracy",
        ),
        Plant(
            "per_sample-2x",
            "2x in `per_sample`: it does its work twice",
            PER_SAMPLE,
            """

_plain_per_sample = per_sample


def per_sample(network, X, Y):  # planted: twice the work, the same result
    _plain_per_sample(network, X, Y)
    return _plain_per_sample(network, X, Y)
""",
            targets=r"\('per_sample',",
        ),
    )
}


def planted_tree(base: Path, plant: Plant, root: Path) -> Path:
    """A copy of commit tree ``base`` with ``plant`` in it, under ``root`` (made once, reused
    while its marker names the base commit and the plant; a half-made one is replaced). Its
    folder's name is as long as a commit's."""
    marker_text = f"{(base / '.commit').read_text(encoding='ascii').strip()} + {plant.name}\n"
    # named like a commit's tree, 40 hex digits, so that both processes' paths (and so their
    # memory) are alike: a longer path read as an 18% faster SVC fit in the other process
    folder = root / hashlib.sha1(marker_text.encode()).hexdigest()
    marker = folder / ".commit"
    if marker.is_file() and marker.read_text(encoding="ascii") == marker_text:
        return folder
    target = base / plant.path
    if not target.is_file():
        raise BenchError(f"plant {plant.name}: {plant.path} is not in {base}")
    partial = root / f".{folder.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(base, partial)
    (partial / plant.path).write_text(
        target.read_text(encoding="utf-8") + plant.code, encoding="utf-8"
    )
    (partial / ".commit").write_text(marker_text, encoding="ascii")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


@dataclass(frozen=True)
class Judgement:
    """A run of ``regressions`` against what it had to find: with no plant (A/A), nothing
    called; with one, the slowdown found (a target called slower) and nothing called outside
    what the plant touches."""

    expected: bool
    false_calls: tuple[str, ...]  # "label: verdict", called and not the plant's to call
    missed: tuple[str, ...]  # targets not called slower ("label: verdict")
    targets: dict[str, float | None]  # each target's HEAD / BASE


def judge(plant: Plant | None, rows: Sequence[tuple[str, str, float | None]]) -> Judgement:
    """``rows`` (label, verdict, HEAD / BASE) judged against ``plant`` (None: A/A); a verdict
    in ``interleaved.CALLS`` is a call."""
    false_calls, missed, targets = [], [], {}
    for label, verdict, ratio in rows:
        if plant is not None and plant.must(label) and verdict != "skipped":
            targets[label] = ratio
            if verdict != SLOWER:
                missed.append(f"{label}: {verdict}")
        elif verdict in CALLS and not (plant is not None and plant.may(label)):
            false_calls.append(f"{label}: {verdict}")
    found = plant is None or len(missed) < len(targets)
    return Judgement(found and not false_calls, tuple(false_calls), tuple(missed), targets)
