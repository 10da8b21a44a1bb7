"""`backprop-bench asv-site`: ``asv publish``, then make the site work without internet."""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

from backprop_bench.cli.options import ASV_HTML


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "asv-site",
        help="publish asv's site and serve its scripts from local copies (works offline)",
        description="Run `asv publish`, then copy the scripts and stylesheet its pages load "
        "from public CDNs (jQuery, flot, Bootstrap, stupidtable, blueimp-md5) from their npm "
        "packages (checked against pinned sha512 digests, cached) into the site, and point "
        "the pages at them. View it with `asv preview`.",
    )
    parser.add_argument(
        "--html", default=ASV_HTML, metavar="DIR", help="asv's html_dir (default %(default)s)"
    )
    parser.add_argument(
        "--no-publish", action="store_true", help="only rewrite an already published site"
    )
    parser.set_defaults(func=run_asv_site)


def run_asv_site(args: argparse.Namespace) -> int:
    from backprop_bench.errors import BenchError
    from backprop_bench.reports.asv_site import make_offline

    if not args.no_publish:
        done = subprocess.run([sys.executable, "-m", "asv", "publish"], check=False)
        if done.returncode != 0:
            raise BenchError(f"`asv publish` failed (exit status {done.returncode}); see above")
    written = make_offline(pathlib.Path(args.html))
    print(f"{args.html}: {len(written)} files written; the site loads nothing from the internet")
    print("view it with `asv preview` (then open the address it prints)")
    return 0
