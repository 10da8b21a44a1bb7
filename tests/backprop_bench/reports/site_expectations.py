"""What each page of the site must show, worked out from a results folder's own CSV files,
independently of the code that builds the site: the rows of its tables, its verdict
sentences, and how many data points each chart marks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[3]
RESULTS = REPO / "results"
N_CLASSES = 10


def folders() -> list[Path]:
    """The committed results folders: every folder under results/."""
    return sorted(p for p in RESULTS.iterdir() if p.is_dir())


def kind(folder: Path) -> str:
    for name, found in (("sweep.json", "sweep"), ("runs.jsonl", "comparison"),
                        ("speed.csv", "speed"), ("anchors.csv", "anchors"),
                        ("routines.md", "benchmarks")):  # fmt: skip
        if (folder / name).is_file():
            return found
    return "regression-checks" if list(folder.glob("*/*/run.json")) else "none"


def verdict_sentences(folder: Path) -> list[str]:
    """The verdict sentences of verdicts.md, as a reader sees them (no Markdown marks)."""
    text = (folder / "verdicts.md").read_text(encoding="utf-8")
    return [line[2:].replace("`", "") for line in text.splitlines() if line.startswith("- ")]


def chart_points(folder: Path) -> dict[str, int]:
    """Chart name -> the data points it must mark."""
    found = kind(folder)
    if found == "comparison":
        runs = pd.read_csv(folder / "runs.csv")
        ok = runs[runs["status"] == "ok"]
        curves = pd.read_csv(folder / "learning_curves.csv")
        points = {
            "learning-curves": len(curves.drop_duplicates(["model", "epoch"])),
            "accuracy-vs-fit-time": int((ok["fit_seconds"] > 0).sum()),
        }
        for n, model in enumerate(dict.fromkeys(runs["model"])):
            if model in set(ok["model"]):
                points[f"confusion-{n}"] = N_CLASSES * N_CLASSES
        return points
    if found == "sweep":
        axes = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))["axes"]
        fits = pd.read_csv(folder / "sweep.csv")
        ok = fits[fits["status"] == "ok"]
        points = {}
        for n, axis in enumerate(axes):
            others = [a for a in axes if a != axis]
            for column in ("test_accuracy", "fit_seconds"):
                measured = ok.dropna(subset=[column])
                means = measured.drop_duplicates(["model", "dataset", *others, axis])
                name = f"sweep-{n}-{column.replace('_', '-')}"
                points[name] = len(means) + len(measured)
        return points
    if found == "speed":
        return {"speed-ratios": len(pd.read_csv(folder / "speed.csv"))}
    return {}


def table_rows(folder: Path) -> dict[str, int]:
    """Table name -> its number of rows, for the tables a page must hold."""
    found = kind(folder)
    if found == "comparison":
        return {
            "comparison": len(pd.read_csv(folder / "comparison.csv")),
            "verdicts": len(pd.read_csv(folder / "verdicts.csv")),
        }
    if found == "sweep":
        return {"fits": len(pd.read_csv(folder / "sweep.csv"))}
    if found == "speed":
        return {"speed": len(pd.read_csv(folder / "speed.csv"))}
    return {}


def text_of(html: str) -> str:
    """A page's text, tags dropped and white space collapsed."""
    text = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    for entity, char in (("&#x27;", "'"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"),
                         ("&amp;", "&")):  # fmt: skip
        text = text.replace(entity, char)
    return re.sub(r"\s+", " ", text)
