"""`backprop-bench noise-floor`: run the asv suite twice on one commit (an A/A pair) and record
how far apart the two runs were, benchmark by benchmark, in results/benchmarks/."""

from __future__ import annotations

import argparse
import pathlib

from backprop_bench.cli.options import NOISE_FLOOR, add_asv_options

AA_FOLDER = ".asv/aa"
"""Where the two runs' raw asv result files are kept (ignored by git, like the rest of .asv)."""


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "noise-floor",
        help="run the asv suite twice on one commit and record how much each benchmark moved",
        description="Run the asv suite twice, back to back, on one commit (an A/A pair), and "
        "write each benchmark's ratio between the two runs (its noise floor) to "
        "noise_floor.csv and noise_floor.md; `backprop-bench regressions` calls a change "
        "only beyond it. Run it on a quiet machine: what else runs meanwhile is measured too.",
    )
    parser.add_argument("--commit", default="HEAD", help="the commit to run (default %(default)s)")
    parser.add_argument(
        "--from",
        dest="from_files",
        nargs=2,
        metavar=("FIRST", "SECOND"),
        help="compute the floor from two asv result files of one commit instead of running asv",
    )
    add_asv_options(parser)
    parser.add_argument(
        "--out",
        default="results/benchmarks",
        metavar="DIR",
        help="where noise_floor.csv/.md go (default %(default)s)",
    )
    parser.add_argument("--readme", default="README.md", help="README whose block to refresh")
    parser.set_defaults(func=run_noise_floor)


def run_noise_floor(args: argparse.Namespace) -> int:
    from backprop_bench.cli.asv_runs import resolve_commit, run_asv
    from backprop_bench.files import OutputFolder
    from backprop_bench.reports import blocks, noise
    from backprop_bench.reports.asv_results import (
        machine_description,
        read_benchmarks_json,
        read_result_file,
    )

    out = pathlib.Path(args.out)
    with OutputFolder(out) as folder:
        folder.open()  # checked and locked before asv runs
        seconds: list[float] = []
        if args.from_files:
            first_file, second_file = (pathlib.Path(name) for name in args.from_files)
            noise.check_pair_files(first_file, second_file)
        else:
            sha = resolve_commit(args.commit)
            results = pathlib.Path(args.asv_results)
            first_file = pathlib.Path(AA_FOLDER) / f"{sha[:8]}-first.json"
            second_file = pathlib.Path(AA_FOLDER) / f"{sha[:8]}-second.json"
            for run, keep_as in (("first", first_file), ("second", second_file)):
                print(f"noise-floor: {run} run of {sha[:8]} (asv's progress follows)", flush=True)
                seconds.append(
                    run_asv(sha, keep_as, results=results, python=args.python, bench=args.bench)
                )
                print(f"noise-floor: {run} run took {seconds[-1]:.0f} s; kept as {keep_as}")
        described = read_benchmarks_json(args.asv_results)
        first = read_result_file(first_file, described)
        second = read_result_file(second_file, described)
        table = noise.aa_table(first, second, (first_file, second_file))
        machine = machine_description(pathlib.Path(args.asv_results), first["machine"].iloc[0])
        with folder.replace(whole=False) as stage:  # the benchmark report's files stay
            written = noise.write_noise_floor(
                stage / NOISE_FLOOR, table, first, second, seconds, machine
            )
        print(noise.summary_line(table))
        for path in written:
            print(f"wrote {out / path.name}")
        readme = pathlib.Path(args.readme)
        if blocks.refresh(readme, out, "benchmarks"):
            print(f"{out}: updated the generated benchmarks block in {readme}")
    return 0
