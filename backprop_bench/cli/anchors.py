"""`backprop-bench anchors`: published figures against the suite's own runs, in results/anchors/."""

from __future__ import annotations

import argparse
import sys

from backprop_bench.cli.options import add_cluster, add_readme


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "anchors",
        help="run the published figures the suite can run; verdict: matches, above, below",
        description="Every published figure of backprop_bench/experiments/anchors.json "
        "(article 000, Nielsen's book, the MNIST page, the Fashion-MNIST paper) against the "
        "suite's own run of the nearest experiment, through the comparisons' shared "
        "preprocessing and fit cache. Runs too long for 2 cores are listed as not run, with why.",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="ID", help="run only these anchors (default: all)"
    )
    parser.add_argument(
        "--jobs", type=int, help="fits run in parallel processes (default: one per core)"
    )
    parser.add_argument(
        "--out", default="results/anchors", metavar="DIR", help="default %(default)s"
    )
    add_readme(parser, "anchors block")
    add_cluster(parser)
    parser.set_defaults(func=run_anchors)


def run_anchors(args: argparse.Namespace) -> int:
    from backprop_bench.api import results_folder
    from backprop_bench.cli.fits import execute
    from backprop_bench.errors import BenchError
    from backprop_bench.experiments import anchors

    chosen = anchors.load_anchors()
    if args.only:
        unknown = sorted(set(args.only) - {anchor.id for anchor in chosen})
        if unknown:
            names = ", ".join(anchor.id for anchor in chosen)
            raise BenchError(f"unknown anchor(s) {unknown}: choose from {names}")
        chosen = [anchor for anchor in chosen if anchor.id in args.only]
    with results_folder(args.out) as folder:  # one run at a time writes it
        found = execute(args, lambda options: anchors.run_anchors(chosen, options), folder)
        return _publish(args, folder, found)


def _publish(args: argparse.Namespace, folder, found) -> int:
    """Write the anchors' table, records and environment into ``folder`` (an open
    ``OutputFolder``), print them and refresh the README's block; ``found`` is what
    ``run_anchors`` returned."""
    from backprop_bench.experiments import environment
    from backprop_bench.files import atomic_write_text, to_json, write_jsonl
    from backprop_bench.reports import anchors as report
    from backprop_bench.reports import blocks
    from backprop_bench.reports.requirements import REQUIREMENTS, write_requirements

    out = folder.path
    results, comparison = found
    records = [record for anchor in results for record in anchor.records]
    sessions = list(comparison.sessions) if comparison else []
    table = report.anchors_table(results)
    last = sessions[-1]["environment"] if sessions else environment.describe()
    machine = (
        f"Machine: {last['cpu']}, {environment.blas_line(last['blas'], threads=False)}; "
        f"{len(records)} fits."
    )
    markdown = report.anchors_markdown(table, machine)
    with folder.replace() as stage:
        # fits.jsonl, not runs.jsonl: a folder of anchors is not one comparison to render
        write_jsonl(stage / "fits.jsonl", [record.to_dict() for record in records])
        atomic_write_text(stage / "anchors.csv", table.to_csv(index=False, float_format="%.6g"))
        atomic_write_text(stage / "anchors.md", markdown)
        document = {"sessions": sessions}
        atomic_write_text(stage / "environment.json", to_json(document))
        write_requirements(stage, sessions, records)
    print(markdown)
    print(f"wrote {out}/anchors.md, anchors.csv, fits.jsonl, environment.json and {REQUIREMENTS}")
    if blocks.refresh(args.readme, out, "anchors"):
        print(f"updated the generated anchors block in {args.readme}")
    crashed = [r for r in records if r.status == "crashed"]
    if crashed:
        print(f"backprop-bench anchors: error: {len(crashed)} fits crashed", file=sys.stderr)
        return 1
    return 0
