"""The report of ``backprop-bench speed``: its table and its sentences.

``experiments.speed`` measures (``SideBySide`` records, ``records.Header``); this module only
renders what it measured: ``speed.csv`` and ``speed.md`` (the header lines, then the table) and
``summary.md``, the sentences the README shows (``blocks.speed_block``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backprop_bench.errors import BenchError
from backprop_bench.experiments.intervals import FASTER, NO_DIFFERENCE, SLOWER
from backprop_bench.experiments.records import FLOAT32, Header, SideBySide
from backprop_bench.files import atomic_write_text

SPEED_CSV = "speed.csv"
TEXT_COLUMNS = ("measurement", "a", "b", "a is")
NUMBER_COLUMNS = ("a median (s)", "b median (s)", "ratio a/b", "95% CI low", "95% CI high",
                  "half-width %", "ratio min", "ratio max", "repeats")  # fmt: skip


def speed_table(comparisons: list[SideBySide]) -> pd.DataFrame:
    """One row per comparison: the two medians, the ratio a/b (the geometric mean of the
    repeats' own ratios) with its 95% interval, its half-width, the verdict for a, and the
    smallest and largest of the repeats' ratios."""
    found = [c.interval for c in comparisons]
    return pd.DataFrame(
        {
            "measurement": [c.measurement for c in comparisons],
            "a": [c.a for c in comparisons],
            "a median (s)": [c.a_seconds for c in comparisons],
            "b": [c.b for c in comparisons],
            "b median (s)": [c.b_seconds for c in comparisons],
            "ratio a/b": [round(i.ratio, 3) for i in found],
            "95% CI low": [round(i.low, 3) for i in found],
            "95% CI high": [round(i.high, 3) for i in found],
            "half-width %": [round(100 * i.half_width, 1) for i in found],
            "a is": [i.verdict for i in found],
            "ratio min": [round(min(c.ratios), 3) for c in comparisons],
            "ratio max": [round(max(c.ratios), 3) for c in comparisons],
            "repeats": [len(c.a_times) for c in comparisons],
        }
    )


def speed_markdown(table: pd.DataFrame) -> str:
    """The table as GitHub Markdown, times to three significant figures."""
    return table.to_markdown(index=False, floatfmt=".3g")


def write_speed(comparisons: list[SideBySide], header: Header, out_dir: str) -> list[Path]:
    """Write ``speed.csv``, ``speed.md`` (header lines, then the table) and ``summary.md`` (what
    the README shows) into ``out_dir``."""
    folder = Path(out_dir)
    table = speed_table(comparisons)
    lines = "\n".join(f"{line}  " for line in header.lines())
    markdown = f"{lines}\n\n{speed_markdown(table)}"
    return [
        atomic_write_text(folder / SPEED_CSV, table.to_csv(index=False)),
        atomic_write_text(folder / "speed.md", markdown + "\n"),
        atomic_write_text(folder / "summary.md", speed_summary(comparisons, header)),
    ]


@dataclass(frozen=True)
class SpeedFolder:
    """What ``write_speed`` left in a folder, read back: the table, the summary's text, and
    the header's facts (``date``, ``data``, ``machine``)."""

    table: pd.DataFrame
    summary: str
    facts: dict[str, str]


def read_speed(folder: Path) -> SpeedFolder:
    """``folder``'s speed.csv, checked (its columns, positive numbers, an interval around each
    ratio, a known verdict), with summary.md and speed.md's header; a ``BenchError`` names the
    file, the row and the column at fault."""
    path = folder / SPEED_CSV
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: not a readable table ({error})") from None
    missing = [c for c in (*TEXT_COLUMNS, *NUMBER_COLUMNS) if c not in table]
    if missing:
        raise BenchError(f"{path}: no column {missing[0]!r}")
    for column in NUMBER_COLUMNS:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = table.index[~(values > 0)]
        if len(bad):
            raise BenchError(
                f"{path} row {bad[0] + 1}: {column} {table[column][bad[0]]!r} is not a positive "
                "number"
            )
        table[column] = values
    outside = table.index[~((table["95% CI low"] <= table["ratio a/b"])
                            & (table["ratio a/b"] <= table["95% CI high"]))]  # fmt: skip
    if len(outside):
        raise BenchError(f"{path} row {outside[0] + 1}: the ratio lies outside its interval")
    unknown = table.index[~table["a is"].isin([FASTER, SLOWER, NO_DIFFERENCE])]
    if len(unknown):
        raise BenchError(f"{path} row {unknown[0] + 1}: a is {table['a is'][unknown[0]]!r}")
    for column in TEXT_COLUMNS:
        table[column] = table[column].astype(str)
    summary = folder / "summary.md"
    header = folder / "speed.md"
    facts: dict[str, str] = {}
    if header.is_file():
        lines = header.read_text(encoding="utf-8").split("\n\n", 1)[0].splitlines()
        when = re.match(r"backprop-bench speed, ([\d-]+)", lines[0] if lines else "")
        if when:
            facts["date"] = when.group(1)
        for line in lines[1:]:
            name, _, value = line.strip().partition(": ")
            if name in ("data", "machine"):
                facts[name] = value
    text = summary.read_text(encoding="utf-8") if summary.is_file() else ""
    return SpeedFolder(table, text, facts)


def _ratio(comparison: SideBySide, digits: int) -> str:
    """ "0.55 (95% CI 0.54-0.57)"."""
    found = comparison.interval
    return f"{found.ratio:.{digits}f} (95% CI {found.low:.{digits}f}-{found.high:.{digits}f})"


def _verdict(comparison: SideBySide, faster: str, slower: str) -> str:
    """The verdict on a against b in words: ``faster``, ``slower``, or no detectable
    difference where the interval spans 1."""
    verdict = comparison.interval.verdict
    return {FASTER: faster, SLOWER: slower}.get(verdict, "no detectable difference")


def _reached(comparisons: list[SideBySide], header: Header) -> str:
    """Which intervals reached the half-width the run aimed at."""
    widths = [c.interval.half_width for c in comparisons]
    reached = sum(width <= header.half_width for width in widths)
    return (
        f"The contestants were {header.repeats}: {reached} of {len(widths)} intervals came "
        f"within ±{header.half_width:.0%}; the half-widths run from ±{min(widths):.1%} to "
        f"±{max(widths):.1%}."
    )


def speed_summary(comparisons: list[SideBySide], header: Header) -> str:
    """The speed results in sentences, for the README (the table is speed.md)."""
    by_topic = {c.topic: c for c in comparisons if c.topic}
    rungs = {(c.a, c.b): c for c in comparisons if not c.topic}
    lines = [
        f"Measured by `backprop-bench speed` ({header.when}; {header.machine}). "
        "Each ratio is the geometric mean of the repeats' own ratios (the two timed back to "
        "back), with its 95% interval over the repeats. " + _reached(comparisons, header),
        "",
    ]
    if "mlp" in by_topic:
        only, evaluated = by_topic["mlp"], by_topic["mlp, evaluated"]
        lines.append(
            f"- **The network against MLPClassifier** ({only.measurement}): the network took "
            f"{_ratio(only, 2)} of MLPClassifier's time ({only.a_seconds:.1f} s against "
            f"{only.b_seconds:.1f} s, training only): {_verdict(only, 'faster', 'slower')}; "
            f"{_ratio(evaluated, 2)} counting the evaluation on the training and test sets it "
            f"runs after every epoch: {_verdict(evaluated, 'faster', 'slower')}."
        )
    for name, library, how in (
        ("jax-mlp", "JAX", "the same initial weights, batches and steps"),
        ("torch-mlp", "PyTorch", "the same settings, PyTorch's own random numbers"),
    ):
        if name in by_topic:
            peer = by_topic[name]
            lines.append(
                f"- **The network against itself in {library}** (`{name}`, {how}): the network "
                f"took {_ratio(peer, 2)} of {library}'s time ({peer.a_seconds:.1f} s against "
                f"{peer.b_seconds:.1f} s, training only): {_verdict(peer, 'faster', 'slower')}."
            )
    known = {"mlp", "mlp, evaluated", "jax-mlp", "torch-mlp", FLOAT32}
    for name, own in by_topic.items():
        if name not in known:  # a model of one's own, named with --models
            lines.append(
                f"- **The network against `{name}`** ({own.b}): the network took "
                f"{_ratio(own, 2)} of its time ({own.a_seconds:.1f} s against "
                f"{own.b_seconds:.1f} s; the network training only, `{name}` its whole fit): "
                f"{_verdict(own, 'faster', 'slower')}."
            )
    if FLOAT32 in by_topic:
        single = by_topic[FLOAT32]
        lines.append(
            f"- **float32 against float64** (the network, training only): float32 took "
            f"{_ratio(single, 2)} of float64's time ({single.a_seconds:.1f} s against "
            f"{single.b_seconds:.1f} s), {1 / single.ratio:.2f}x as fast: "
            f"{_verdict(single, 'float32 is faster', 'float32 is slower')}."
        )
    steps = [
        f"{a} → {b} {_ratio(c, 1)}x"
        for (a, b), c in rungs.items()
        if (a, b) != ("loop", "vectorised")
    ]
    if steps:
        whole = rungs.get(("loop", "vectorised"))
        total = f"; loop → vectorised {_ratio(whole, 0)}x in all" if whole else ""
        lines.append(
            f"- **What vectorising the gradient buys** ({next(iter(rungs.values())).measurement}"
            f"), each rung's time per sample over the next one's: {', '.join(steps)}{total}."
        )
    lines += [f"- {note}" for note in header.notes]
    return "\n".join(lines) + "\n"
