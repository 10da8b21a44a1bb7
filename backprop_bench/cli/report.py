"""`backprop-bench report`: tables and plots rebuilt from finished runs and asv results."""

from __future__ import annotations

import argparse
import sys

from backprop_bench.cli.options import ASV_RESULTS, add_pairs, add_readme
from backprop_bench.errors import BenchError

ANCHORS_FOLDER = "results/anchors"  # written by `backprop-bench anchors`
SPEED_FOLDER = "results/speed"  # written by `backprop-bench speed --out results/speed`


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="rebuild tables and plots from finished runs and from asv results",
        description="Rebuild every results folder's tables and plots from its runs.jsonl "
        "(no data, no fitting), and the benchmark tables and plots from asv's results.",
    )
    parser.add_argument(
        "folders",
        nargs="*",
        metavar="DIR",
        help="results folders to rebuild (default: every results/*/ holding a runs.jsonl)",
    )
    parser.add_argument(
        "--asv-results",
        metavar="DIR",
        help=f"asv's results folder (default {ASV_RESULTS}, skipped if it holds none)",
    )
    parser.add_argument(
        "--asv-out",
        default="results/benchmarks",
        metavar="DIR",
        help="where the benchmark report goes (default %(default)s)",
    )
    parser.add_argument("--commit", help="the asv commit to report (default: the latest)")
    add_readme(parser, "results and benchmarks blocks")
    add_pairs(parser)
    parser.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backprop_bench.experiments.anchors import reported_by
    from backprop_bench.files import OutputFolder
    from backprop_bench.reports import blocks, publish
    from backprop_bench.reports import sweeps as sweep_report

    folders = [Path(folder) for folder in args.folders] or sorted(
        path.parent for path in Path("results").glob(f"*/{publish.RUNS}")
    )
    readme = Path(args.readme)
    inputs = (publish.RUNS, publish.ENVIRONMENT, publish.TEST_LABELS, sweep_report.SWEEP)
    for folder in folders:
        if not folder.is_dir():
            raise BenchError(f"{folder}: no such results folder")
        # locked while it is read and rebuilt: a run writing it meanwhile is refused, and
        # this one reads the files of one run, never a mix of two
        with OutputFolder(folder, "results folder") as opened:
            opened.open()
            sweep = (folder / sweep_report.SWEEP).is_file()  # a sweep's keeps its description
            kind = "sweep" if sweep else "comparison"
            _check_inputs(folder, sweep)
            with opened.replace(keep=inputs) as stage:
                if sweep:
                    written = sweep_report.render_sweep(stage)
                else:
                    if args.pairs:
                        publish.name_pairs(stage, args.pairs, folder)
                    written = publish.render(stage, reported_by())
            print(f"{folder}: rebuilt {len(written)} tables and plots")
            if blocks.refresh(readme, folder, kind):
                print(f"{folder}: updated the generated results block in {readme}")
    for kind, folder in (("speed", SPEED_FOLDER), ("anchors", ANCHORS_FOLDER)):
        if not args.folders and blocks.refresh(readme, Path(folder), kind):
            print(f"{folder}: updated the generated {kind} block in {readme}")
    if not _report_benchmarks(args) and not folders:
        raise BenchError(
            "nothing to report: no results/*/runs.jsonl and no asv results "
            f"({args.asv_results or ASV_RESULTS}); run `backprop-bench reproduce` or `asv run`"
        )
    return 0


def _check_inputs(folder, sweep: bool) -> None:
    """Read every file the report is built from, in ``folder`` itself, so that a malformed
    one is named where the user has it; a ``BenchError`` names the file, line and field."""
    from backprop_bench.reports import publish
    from backprop_bench.reports import sweeps as sweep_report

    records, _ = publish.read_results(folder, one_test_set=not sweep)
    publish.read_environment(folder)
    if records and not sweep:
        publish.read_test_labels(folder, records[0].n_test)
    if sweep:
        sweep_report.read_description(folder)


def _report_benchmarks(args: argparse.Namespace) -> bool:
    """Write the asv benchmark report; whether there was one. Problems with asv results the
    user named (--asv-results, --commit) are errors; with the default folder, a note."""
    from pathlib import Path

    named = args.asv_results is not None or args.commit is not None
    folder = Path(args.asv_results or ASV_RESULTS)
    if not folder.is_dir():
        if named:
            raise BenchError(f"no asv results in {folder}: run `asv run` first")
        return False
    from backprop_bench.files import OutputFolder
    from backprop_bench.reports import blocks
    from backprop_bench.reports.asv_report import write_benchmark_report

    try:
        with OutputFolder(args.asv_out) as out, out.replace(whole=False) as stage:
            paths = write_benchmark_report(folder, stage, commit=args.commit)
    except BenchError as error:
        if named:
            raise
        print(f"backprop-bench report: no benchmark report: {error}", file=sys.stderr)
        return False
    print(f"{args.asv_out}: wrote {len(paths)} benchmark tables and plots")
    readme = Path(args.readme)
    if blocks.refresh(readme, Path(args.asv_out), "benchmarks"):
        print(f"{args.asv_out}: updated the generated benchmarks block in {readme}")
    return True
