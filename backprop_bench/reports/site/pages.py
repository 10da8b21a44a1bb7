"""The HTML of the site: the page frame, tables, charts and panels, from checked inputs.

Every text that comes from a results folder is escaped (a folder may come from someone else's
clone); Markdown from a folder's own summary is rendered by Python-Markdown after escaping its
HTML, its images dropped and its links kept as text (their targets are files of the folder,
not pages of the site).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from backprop_bench.experiments.environment import blas_line
from backprop_bench.reports.site.assets import STYLESHEET, TABLE_SCRIPT
from backprop_bench.reports.site.charts import Chart

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def markdown(text: str) -> str:
    """``text`` (Markdown a results folder holds) as HTML: its own HTML escaped, images
    dropped, links as their text."""
    import markdown as python_markdown

    text = _LINK.sub(r"\1", _IMAGE.sub("", text))
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return python_markdown.markdown(text, extensions=["tables"])


def document(title: str, body: str, scripts: Sequence[str], home: bool = False) -> str:
    """A whole page: its title, the site's stylesheet and ``scripts`` (local files only)."""
    tags = "\n".join(f'<script src="{escape(src)}"></script>' for src in scripts)
    nav = "" if home else '<header><nav><a href="index.html">&larr; all results</a></nav></header>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{STYLESHEET}">
{tags}
<script src="{TABLE_SCRIPT}"></script>
</head>
<body>
{nav}
{body}
<footer><p class="lead">Built by <code>backprop-bench site</code> from the results folders
alone; it loads nothing from the network.</p></footer>
</body>
</html>
"""


def section(title: str, body: str, anchor: str = "") -> str:
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}>\n<h2>{escape(title)}</h2>\n{body}\n</section>"


def chart(item: Chart) -> str:
    """A plotly chart, drawn by the page's plotly.js; ``data-points`` is how many data points
    it marks (``Chart.points``)."""
    from plotly import io

    drawn = io.to_html(
        item.figure,
        include_plotlyjs=False,
        full_html=False,
        div_id=f"chart-{item.name}",
        config=PLOT_CONFIG,
    )
    name = escape(item.name)
    return f'<div class="chart" data-chart="{name}" data-points="{item.points}">{drawn}</div>'


def _cell(value: Any, text_columns: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return '<td data-sort=""></td>'
    if isinstance(value, float):
        shown = f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
        return f'<td data-sort="{value!r}">{escape(shown)}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td data-sort="{value}">{value:,}</td>'
    kind = ' class="text"' if text_columns else ""
    return f"<td{kind}>{escape(value)}</td>"


def table(
    frame: pd.DataFrame,
    name: str,
    cells: Mapping[str, Sequence[str]] | None = None,
    row_class: Sequence[str] | None = None,
) -> str:
    """``frame`` as a sortable table (click a heading); ``cells`` give ready HTML cells for
    some columns (an interval drawn as a bar), and ``row_class`` a class per row."""
    cells = cells or {}
    text = {c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
    rows = []
    for n, values in enumerate(frame.itertuples(index=False)):
        row = []
        for column, value in zip(frame.columns, values, strict=True):
            if column in cells:
                row.append(cells[column][n])
            else:
                value = value.item() if hasattr(value, "item") else value
                row.append(_cell(value, column in text))
        kind = f' class="{escape(row_class[n])}"' if row_class else ""
        rows.append(f"<tr{kind}>{''.join(row)}</tr>")
    head = "".join(
        f'<th class="text">{escape(c)}</th>' if c in text else f"<th>{escape(c)}</th>"
        for c in frame.columns
    )
    return (
        f'<div class="scroll"><table class="sortable" data-table="{escape(name)}">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{chr(10).join(rows)}\n</tbody></table></div>"
    )


def interval_cells(mean: pd.Series, low: pd.Series, high: pd.Series) -> list[str]:
    """Each row's 95% interval as a bar on one scale for the whole column, sortable by its
    lower end; empty where a row has none."""
    finite = pd.concat([low, high]).dropna()
    if finite.empty:
        return ['<td data-sort=""></td>'] * len(mean)
    start, end = float(finite.min()), float(finite.max())
    pad = max((end - start) * 0.05, 1e-9)
    start, end = start - pad, end + pad

    def at(value: float) -> float:
        return 100 * (value - start) / (end - start)

    cells = []
    for m, lo, hi in zip(mean, low, high, strict=True):
        if pd.isna(lo) or pd.isna(hi):
            cells.append('<td data-sort=""></td>')
            continue
        title = f"{lo:.4f} to {hi:.4f}"
        cells.append(
            f'<td class="nowrap" data-sort="{lo!r}" title="{title}">{lo:.4f}-{hi:.4f}'
            f'<span class="interval"><span class="ci" style="left:{at(lo):.2f}%;'
            f'width:{max(at(hi) - at(lo), 0.5):.2f}%"></span>'
            f'<span class="mean" style="left:{at(m):.2f}%"></span></span></td>'
        )
    return cells


def sentences(items: Iterable[str], css: str = "verdicts") -> str:
    """A list of Markdown sentences (``backticks`` and **bold**) as HTML."""
    lines = "".join(
        f"<li>{markdown(item).removeprefix('<p>').removesuffix('</p>')}</li>" for item in items
    )
    return f'<ul class="{css}">{lines}</ul>'


def reproduction_panel(
    sessions: Sequence[Mapping[str, Any]], this_run: Mapping[str, Any] | None
) -> str:
    """Which machine made the fits, with which BLAS and libraries, at which commit, and
    whether a fresh run reproduced them."""
    if not sessions:
        return '<div class="panel"><p>This folder records no machine.</p></div>'
    latest = sessions[-1]
    env = latest.get("environment", {})
    git = env.get("git") or {}
    commit = git.get("commit")
    code = (
        "outside git"
        if not commit
        else commit[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    )
    versions = ", ".join(
        f"{name} {version}"
        for name, version in sorted((env.get("versions") or {}).items())
        if version
    )
    lines = list((this_run or {}).get("reproduction") or [])
    if lines:
        verdict = (
            "<ul>" + "".join(f"<li>{escape(line.strip())}</li>" for line in lines[1:]) + "</ul>"
        )
    else:
        verdict = (
            "<p>No reproduction recorded: the run that wrote this folder did not re-fit "
            "committed results (<code>backprop-bench reproduce</code> records one).</p>"
        )
    facts = {
        "machine": f"{env.get('cpu', 'unknown')}, {env.get('cores', '?')} cores, "
        f"{env.get('memory_gb', '?')} GB",
        "BLAS": blas_line(env.get("blas") or []),
        "parallelism": f"{latest.get('jobs', '?')} fits at a time x "
        f"{latest.get('blas_threads_per_job', '?')} BLAS thread(s)",
        "libraries": versions or "not recorded",
        "code": code,
        "date": str(env.get("date", "not recorded")),
        "command": str(latest.get("command") or "not recorded"),
        "sessions": f"{len(sessions)} run(s) made these fits",
    }
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items())
    return (
        f'<div class="panel" id="reproduction"><dl>{rows}</dl><h3>Reproduction</h3>{verdict}</div>'
    )
