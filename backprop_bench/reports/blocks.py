"""The registry of the README's generated blocks: which folder fills which block, and how.

Every block is made from files its command already wrote into a results folder (never
recomputed from the records), with links relative to that folder; ``refresh`` makes the links
relative to the README and puts the text between the block's markers (``readme.replace_block``).

| kind | block | its text |
|---|---|---|
| ``comparison`` | the folder's name (``mnist``) | the folder's summary.md (``publish.render``) |
| ``sweep`` | the folder's name (``scaling``) | the folder's summary.md (``sweeps.render_sweep``) |
| ``speed`` | ``speed`` | summary.md and a link to speed.md (``speed_block``) |
| ``anchors`` | ``anchors`` | the summary of anchors.csv |
| ``benchmarks`` | ``benchmarks`` | the routine table and plot, the noise floor, links |
| ``regression-checks`` | ``regression-checks`` | summary.md, in docs/benchmarks.md |
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from backprop_bench.reports import anchors, asv_report
from backprop_bench.reports.readme import relative_link, replace_block

SUMMARY = "summary.md"


def summary(folder: Path) -> str | None:
    """``folder``'s summary.md, as its command wrote it; ``None`` when it has none."""
    path = folder / SUMMARY
    return path.read_text(encoding="utf-8") if path.is_file() else None


def speed_block(folder: Path) -> str | None:
    """The speed folder's summary.md and a link to its table, speed.md."""
    text = summary(folder)
    return None if text is None else f"{text}\nThe table, with every time: [speed.md](speed.md)."


#: kind -> (the block's name, or None for the folder's own name; its text from the folder)
BLOCKS: dict[str, tuple[str | None, Callable[[Path], str | None]]] = {
    "comparison": (None, summary),
    "sweep": (None, summary),
    "speed": ("speed", speed_block),
    "anchors": ("anchors", anchors.readme_block),
    "benchmarks": ("benchmarks", asv_report.readme_block),
    "regression-checks": ("regression-checks", summary),
}

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def linked_from(text: str, prefix: str) -> str:
    """``text`` with each relative Markdown link target prefixed with ``prefix``, and its text
    too where the text is the target (``[a.md](a.md)``); web addresses, anchors and absolute
    paths are left as they are."""

    def relink(match: re.Match[str]) -> str:
        label, target = match.groups()
        if "://" in target or target.startswith(("#", "/")):
            return match.group(0)
        return f"[{prefix + label if label == target else label}]({prefix}{target})"

    return _LINK.sub(relink, text)


def refresh(readme: str | os.PathLike, folder: str | os.PathLike, kind: str) -> bool:
    """Put ``folder``'s block of ``kind`` (``BLOCKS``) in the README, links relative to it;
    whether the README had that block and the folder the files to fill it."""
    name, text_of = BLOCKS[kind]
    folder = Path(folder)
    text = text_of(folder)
    if text is None:
        return False
    prefix = relative_link(readme, folder) + "/"
    return replace_block(readme, name or folder.name, linked_from(text, prefix))
