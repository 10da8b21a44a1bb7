"""``backprop-bench site``: every results folder as one page of a static site that works offline.

The site is plain files in one folder: ``index.html`` (each results folder, what it answered,
on which machine, when, at which commit, and a link to asv's site where one was built), one
page per results folder, the folder's CSV files to download (``<page>--<file>.csv``), the
suite's stylesheet and table script, and plotly.js (``assets``: from the plotly package,
checked against a pinned digest). Nothing is fetched from the network, to build or to view.

Each page is made from the files its command wrote, read through the suite's own readers
(``publish.read_results``, ``sweeps.read_description``, ``speed.read_speed``), so a malformed
folder is refused by name before anything is written:

- a comparison (runs.jsonl): the comparison table, sortable, each interval a bar; the
  verdicts; learning curves with the seed band; accuracy against fit time; the confusion
  matrices; the machine and reproduction panel;
- a sweep (sweep.json): per swept axis, test accuracy and fit time with selectors for model and
  dataset, log axes where the values are log-spaced, every fit a point with its values on
  hover; the fitted exponents and crossings; every fit as a table; the machine panel;
- speed (speed.csv): each ratio with its 95% interval and verdict, as a chart and a table;
- anchors, benchmarks and regression checks (anchors.csv, routines.md, kept check runs):
  their tables and plots as their command wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from backprop_bench.errors import BenchError
from backprop_bench.experiments.intervals import FASTER, SLOWER
from backprop_bench.files import atomic_write_bytes, atomic_write_text, child
from backprop_bench.reports import (
    anchors,
    publish,
    regression_checks,
    speed,
    sweeps,
    tables,
    verdicts,
)
from backprop_bench.reports.site import assets, charts
from backprop_bench.reports.site.pages import (
    chart,
    document,
    escape,
    interval_cells,
    markdown,
    reproduction_panel,
    section,
    sentences,
    table,
)

KINDS = ("comparison", "sweep", "speed", "anchors", "benchmarks", "regression-checks")
NOTES = {  # the Markdown files a page of tables as their command wrote them shows, in order
    "anchors": ("anchors.md",),
    "benchmarks": ("routines.md", "noise_floor.md", "summary.md"),
    "regression-checks": ("summary.md",),
}
COMPARISON_COLUMNS = {  # comparison.csv's column -> its heading on the page
    "model": "model",
    "status": "status",
    "n_seeds": "seeds",
    "test_accuracy_mean": "test acc. mean",
    "ci_low": "95% CI",
    "test_accuracy_std": "std",
    "train_accuracy_mean": "train acc.",
    "fit_seconds_median": "fit s",
    "predict_seconds_median": "predict s",
    "n_parameters": "parameters",
    "peak_memory_mb": "peak MB",
    "engine": "engine",
    "dtype": "dtype",
}
_BENCHMARKS_LINE = re.compile(r"commit (\w+) \(([\d-]+)\), machine ([^.]+)")


def folder_kind(folder: Path) -> str | None:
    """What a results folder holds (``KINDS``), by the file its command writes; ``None`` for
    a folder that is none of them."""
    for kind, name in (
        ("sweep", sweeps.SWEEP),
        ("comparison", publish.RUNS),
        ("speed", speed.SPEED_CSV),
        ("anchors", anchors.ANCHORS_CSV),
        ("benchmarks", "routines.md"),
    ):
        if (folder / name).is_file():
            return kind
    return "regression-checks" if regression_checks.is_check_folder(folder) else None


@dataclass
class Page:
    """One results folder's page: its file, what the index says of it, and its HTML body."""

    folder: Path
    kind: str
    name: str  # the page's file name, without .html
    title: str
    facts: dict[str, str] = field(default_factory=dict)
    body: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # more files the page links

    @property
    def file(self) -> str:
        return f"{self.name}.html"


def _session_facts(sessions: Sequence[dict[str, Any]]) -> dict[str, str]:
    if not sessions:
        return {"machine": "not recorded", "date": "not recorded", "commit": "not recorded"}
    env = sessions[-1].get("environment", {})
    commit = (env.get("git") or {}).get("commit") or "outside git"
    return {
        "machine": f"{env.get('cpu', 'unknown')}, {env.get('cores', '?')} cores",
        "date": str(env.get("date", ""))[:10] or "not recorded",
        "commit": commit[:10],
    }


def _downloads(page: Page, names: Sequence[str]) -> str:
    """Copy the folder's ``names`` into the site beside the page, and link them."""
    links = []
    for name in names:
        path = page.folder / name
        if path.is_file():
            target = f"{page.name}--{name}"
            page.files[target] = path.read_bytes()
            links.append(f'<a href="{escape(target)}">{escape(name)}</a>')
    return f"<p>Download: {', '.join(links)}.</p>" if links else ""


def _machine(page: Page, sessions: Sequence[dict[str, Any]]) -> str:
    """The section on the machine that made a folder's fits, and its reproduction."""
    this_run = publish.read_environment(page.folder).get("this_run")
    return section("Machine and reproduction", reproduction_panel(sessions, this_run), "machine")


def comparison_page(page: Page) -> None:
    records, sessions = publish.read_results(page.folder)
    first = records[0]
    models = list(dict.fromkeys(r.model for r in records))
    page.title = f"{len(models)} models on {first.n_train:,} training images"
    page.facts = {"dataset": first.dataset, "models": ", ".join(models), **_session_facts(sessions)}
    size = f"{first.n_train:,} / {first.n_test:,}"
    shown = tables.comparison(records)
    shown = shown[[c for c in COMPARISON_COLUMNS if c in shown]].rename(columns=COMPARISON_COLUMNS)
    full = tables.comparison(records)
    bars = interval_cells(full["test_accuracy_mean"], full["ci_low"], full["ci_high"])
    body = [
        f"<h1>{escape(page.folder.name)}: {escape(page.title)}</h1>",
        f'<div class="lead">{markdown(tables.header(records, sessions))}</div>',
        section(
            "Comparison",
            table(shown, "comparison", {"95% CI": bars})
            + _downloads(page, ["comparison.csv", "runs.csv", "learning_curves.csv"]),
            "comparison",
        ),
    ]
    found = publish.folder_verdicts(page.folder, records)
    if found:
        rows = verdicts.verdicts_table(found)
        body.append(
            section(
                "Verdicts: is each difference real?",
                sentences(v.sentence() for v in found)
                + "<p>McNemar's exact test per paired fit, on the images exactly one of the two "
                "got right; the interval is over seeds (t) where there are several, else over "
                "the test images. Differences are first minus second.</p>"
                + table(rows, "verdicts"),
                "verdicts",
            )
        )
    curves = charts.learning_curves(records, f"{first.dataset} ({size}): test accuracy per epoch")
    timing = charts.accuracy_vs_fit_time(
        records, f"{first.dataset} ({size}): accuracy and fit time"
    )
    body.append(section("Learning curves", chart(curves), "learning-curves"))
    body.append(section("Accuracy against fit time", chart(timing), "accuracy-vs-fit-time"))
    matrices = [charts.confusion(records, model, n) for n, model in enumerate(models)]
    grid = "".join(chart(m) for m in matrices if m is not None)
    body.append(
        section(
            "Confusion matrices (each model's median fit)",
            f'<div class="grid">{grid}</div>',
            "confusion",
        )
    )
    body.append(_machine(page, sessions))
    page.body = "\n".join(body)


def sweep_page(page: Page) -> None:
    found = sweeps.analysis(page.folder)
    frame, description, axes = found["frame"], found["description"], found["axes"]
    sessions = found["sessions"]
    page.title = description["title"]
    page.facts = {
        "dataset": ", ".join(map(str, dict.fromkeys(frame["dataset"]))),
        "models": ", ".join(map(str, dict.fromkeys(frame["model"]))),
        **_session_facts(sessions),
    }
    summary = "\n".join(
        line for line in sweeps.sweep_summary(found).splitlines() if not line.startswith("![")
    )
    body = [
        f"<h1>{escape(page.folder.name)}: {escape(page.title)}</h1>",
        f'<div class="lead">{markdown(summary)}</div>',
    ]
    for number, axis in enumerate(axes):
        selectors = "".join(
            f'<label>{what} <select data-filter="{what}"><option value="">all</option>'
            + "".join(
                f'<option value="{escape(v)}">{escape(v)}</option>'
                for v in dict.fromkeys(map(str, frame[what]))
            )
            + "</select></label>"
            for what in ("model", "dataset")
        )
        found_charts = charts.sweep_axis(frame, axis, axes, number, found["exponents"])
        drawn = "".join(chart(c) for c in found_charts)
        body.append(
            section(
                f"Against {axis}",
                f'<div class="selectors">{selectors}</div>{drawn}',
                f"axis-{axis}",
            )
        )
    for name, title in (
        ("exponents", "Fitted exponents: time ∝ n_train^b"),
        ("crossings", "Where the network overtakes or falls behind"),
    ):
        if found[name] is not None and len(found[name]):
            body.append(section(title, table(found[name], name), name))
    every = frame.drop(columns=[c for c in ("reason", "ran_on") if c in frame])
    body.append(
        section(
            f"Every fit ({len(frame)})",
            table(every, "fits") + _downloads(page, ["sweep.csv"]),
            "fits",
        )
    )
    body.append(_machine(page, sessions))
    page.body = "\n".join(body)


def speed_page(page: Page) -> None:
    found = speed.read_speed(page.folder)
    page.title = "how fast, against what"
    page.facts = {
        "dataset": found.facts.get("data", "not recorded").split(",")[0],
        "models": "the network and its peers",
        "machine": found.facts.get("machine", "not recorded").split(", BLAS")[0],
        "date": found.facts.get("date", "not recorded"),
        "commit": "not recorded",
    }
    rows = found.table
    verdict = rows["a is"].where(rows["a is"].isin([FASTER, SLOWER]), "none")  # a row's class
    body = [
        f"<h1>{escape(page.folder.name)}: {escape(page.title)}</h1>",
        f'<div class="lead">{markdown(found.summary)}</div>',
        section("Ratios with their 95% intervals", chart(charts.speed_ratios(rows)), "ratios"),
        section(
            "Every measurement",
            table(rows, "speed", row_class=list(verdict)) + _downloads(page, [speed.SPEED_CSV]),
            "table",
        ),
    ]
    page.body = "\n".join(body)


def notes_page(page: Page) -> None:
    """An anchors, benchmarks or regression-checks folder: its Markdown tables as its command
    wrote them, with the plots they show copied beside the page."""
    parts = []
    for name in NOTES[page.kind]:
        path = page.folder / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        parts.append(section(name, markdown(text).replace("<table>", '<table class="sortable">')))
        for image in re.findall(r"!\[[^\]]*\]\(([^)\s]+\.png)\)", text):
            source = child(page.folder, image, f"{path}: image")
            if source.is_file():
                target = f"{page.name}--{source.name}"
                page.files[target] = source.read_bytes()
                parts.append(f'<img src="{escape(target)}" alt="{escape(source.name)}">')
    if page.kind == "regression-checks":
        runs = regression_checks.read_runs(page.folder)
        page.title = "does `regressions` call what it must, and nothing else?"
        page.facts = {
            "dataset": "mnist (the asv suite's subsets)",
            "models": ", ".join(dict.fromkeys(run["experiment"] for run in runs)),
            "machine": ", ".join(dict.fromkeys(run["machine"] for run in runs)),
            "date": max((run["started"][:10] for run in runs), default="not recorded"),
            "commit": ", ".join(dict.fromkeys(run["base"][:10] for run in runs)),
        }
    elif page.kind == "anchors":
        page.title = "published figures against ours"
        page.facts = _session_facts(publish.read_environment(page.folder).get("sessions", []))
        datasets = dict.fromkeys(map(str, anchors.read_anchors(page.folder)["dataset"]))
        page.facts.update(dataset=", ".join(datasets), models="the source articles' models")
    else:
        page.title = "asv benchmarks of one commit"
        first = (
            (page.folder / "summary.md").read_text(encoding="utf-8").split("\n", 1)[0]
            if (page.folder / "summary.md").is_file()
            else ""
        )
        found = _BENCHMARKS_LINE.search(first)
        commit, date, machine = found.groups() if found else ("not recorded",) * 3
        page.facts = {
            "dataset": "mnist (small)",
            "models": "the gradient routines, the baselines",
            "machine": machine,
            "date": date,
            "commit": commit,
        }
    page.body = f"<h1>{escape(page.folder.name)}: {escape(page.title)}</h1>\n" + "\n".join(parts)


BUILDERS = {
    "comparison": comparison_page,
    "sweep": sweep_page,
    "speed": speed_page,
    "anchors": notes_page,
    "benchmarks": notes_page,
    "regression-checks": notes_page,
}


def plan(folders: Sequence[Path]) -> list[Page]:
    """A page per results folder, named after it (``mnist.html``); a ``BenchError`` for a
    folder that does not exist or holds no results, before anything is read."""
    pages, names = [], set()
    for folder in folders:
        if not folder.is_dir():
            raise BenchError(f"{folder}: no such results folder")
        kind = folder_kind(folder)
        if kind is None:
            raise BenchError(
                f"{folder}: not a results folder (no runs.jsonl, sweep.json, speed.csv, "
                "anchors.csv, routines.md or check runs)"
            )
        base = re.sub(r"[^A-Za-z0-9_.-]", "-", folder.resolve().name).strip(".") or "results"
        name, n = base, 2
        while name in names or name == "index":
            name, n = f"{base}-{n}", n + 1
        names.add(name)
        pages.append(Page(folder, kind, name, title=folder.name))
    return pages


def index_page(pages: Sequence[Page], asv_link: str | None) -> str:
    rows = pd.DataFrame(
        [
            {
                "results": page.name,
                "kind": page.kind,
                "what it answered": page.title,
                **{
                    k: page.facts.get(k, "")
                    for k in ("dataset", "models", "machine", "date", "commit")
                },
            }
            for page in pages
        ]
    )
    links = [
        f'<td class="text"><a href="{escape(p.file)}">{escape(p.name)}</a></td>' for p in pages
    ]
    asv = (
        f'<p>Speed history across commits: <a href="{escape(asv_link)}">the asv site</a>.</p>'
        if asv_link
        else "<p>No asv site was found; <code>backprop-bench asv-site</code> builds one.</p>"
    )
    body = (
        '<h1>backprop-bench results</h1>\n<p class="lead">A from-scratch NumPy '
        "backpropagation network against scikit-learn's baselines: each results folder, what "
        "it answered, and on which machine.</p>\n" + table(rows, "index", {"results": links}) + asv
    )
    return document("backprop-bench results", body, [], home=True)


def build(
    folders: Sequence[Path], stage: Path, asv_link: str | None = None, progress=print
) -> list[Path]:
    """Write the site of ``folders`` into the empty folder ``stage``; ``asv_link`` is the
    address of asv's site, where one was built. Every folder is read and every page made
    before the first file is written."""
    pages = plan(folders)
    assets.check_libraries()
    plotly = assets.plotly_js()
    for page in pages:
        BUILDERS[page.kind](page)
        progress(f"{page.folder}: {page.kind} page {page.file}")
    written = [atomic_write_bytes(stage / plotly.name, plotly.data)]
    for own in (assets.STYLESHEET, assets.TABLE_SCRIPT):
        written.append(atomic_write_bytes(stage / own, assets.own(own).data))
    for page in pages:
        text = document(f"{page.folder.name}: {page.title}", page.body, [plotly.name])
        written.append(atomic_write_text(child(stage, page.file, "page"), text))
        for name, data in page.files.items():
            written.append(atomic_write_bytes(child(stage, name, "file"), data))
    written.append(atomic_write_text(stage / "index.html", index_page(pages, asv_link)))
    return written


def default_folders(root: Path = Path("results")) -> list[Path]:
    """Every folder under ``root`` that holds results (``folder_kind``), in name order."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and folder_kind(p) is not None)
