"""`backprop-bench site`: every results folder as one page of a static site that works offline."""

from __future__ import annotations

import argparse

from backprop_bench.cli.options import ASV_HTML

SITE_FOLDER = "site"


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "site",
        help="build a static site of the results: sortable tables, verdicts, interactive charts",
        description="Build one offline page per results folder (comparisons, sweeps, speed, "
        "anchors, benchmarks) and an index, as plain HTML, CSS, JS and CSV files: open "
        "index.html from the file system, no server and no network needed. The charts are "
        "plotly.js, copied from the plotly package and checked against a pinned digest.",
    )
    parser.add_argument(
        "folders",
        nargs="*",
        metavar="RESULTS",
        help="results folders (default: every folder under results/ that holds results)",
    )
    parser.add_argument(
        "--out",
        default=SITE_FOLDER,
        metavar="DIR",
        help="the site's folder, replaced whole (default %(default)s)",
    )
    parser.add_argument(
        "--asv-html",
        default=ASV_HTML,
        metavar="DIR",
        help="asv's site, linked from the index where it was built (default %(default)s)",
    )
    parser.set_defaults(func=run_site)


def run_site(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from backprop_bench.errors import BenchError
    from backprop_bench.files import SITE_SUFFIXES, OutputFolder
    from backprop_bench.reports import site

    folders = [Path(folder) for folder in args.folders] or site.default_folders()
    if not folders:
        raise BenchError("no results folders under results/: name some, or run a command first")
    out = Path(args.out)
    asv_index = Path(args.asv_html) / "index.html"
    link = None
    if asv_index.is_file():
        link = Path(os.path.relpath(asv_index.resolve(), out.resolve())).as_posix()
    with (
        OutputFolder(out, suffixes=SITE_SUFFIXES, holding="a site's folder") as folder,
        folder.replace() as stage,
    ):
        written = site.build(folders, stage, link)
    pages = sum(path.suffix == ".html" for path in written)
    print(f"{out}: {pages} pages, {len(written)} files; open {out / 'index.html'} in a browser")
    return 0
