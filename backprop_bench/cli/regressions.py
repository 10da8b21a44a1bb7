"""`backprop-bench regressions BASE HEAD`: which benchmarks changed between two commits by more
than their own recorded noise floor (results/benchmarks/noise_floor.csv)."""

from __future__ import annotations

import argparse
import pathlib

from backprop_bench.cli.options import NOISE_FLOOR, add_asv_options


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "regressions",
        help="compare two commits' asv results against each benchmark's noise floor",
        description="Compare the asv results of two commits on this machine and flag a "
        "benchmark only when its change exceeds its own noise floor (measured by "
        "`backprop-bench noise-floor`). Prints benchmark, base, head, ratio, noise floor and "
        "verdict; exits 1 when anything is flagged.",
    )
    parser.add_argument("base", metavar="BASE", help="the commit to compare against")
    parser.add_argument("head", metavar="HEAD", help="the commit under test")
    parser.add_argument(
        "--run",
        action="store_true",
        help="run the asv suite on both commits first (otherwise their results must exist)",
    )
    add_asv_options(parser)
    parser.add_argument(
        "--noise-floor",
        default=f"results/benchmarks/{NOISE_FLOOR}.csv",
        metavar="CSV",
        help="the recorded noise floor (default %(default)s)",
    )
    parser.add_argument(
        "--all", action="store_true", help="list every benchmark, not only the flagged ones"
    )
    parser.set_defaults(func=run_regressions)


def run_regressions(args: argparse.Namespace) -> int:
    from backprop_bench.cli.asv_runs import resolve_commit, run_asv
    from backprop_bench.errors import BenchError
    from backprop_bench.reports import noise
    from backprop_bench.reports.asv_results import read_asv_results, select_run

    floor = noise.read_noise_floor(args.noise_floor)  # before any run: a missing one is known now
    results = pathlib.Path(args.asv_results)
    shas = [resolve_commit(name) for name in (args.base, args.head)]
    if args.run:
        for name, sha in zip((args.base, args.head), shas, strict=True):
            print(f"regressions: running the suite on {name} ({sha[:8]})", flush=True)
            keep_as = pathlib.Path(".asv/regressions") / f"{sha[:8]}.json"
            run_asv(sha, keep_as, results=results, python=args.python, bench=args.bench)
    table = read_asv_results(results)
    runs = []
    for name, sha in zip((args.base, args.head), shas, strict=True):
        if not (table["commit"] == sha).any():
            raise BenchError(
                f"no asv results for {name} ({sha[:8]}) in {results}: run `asv run {sha[:8]}^!` "
                "or pass --run"
            )
        runs.append(select_run(table, sha, pathlib.Path(".")))
    base, head = runs
    where = [(run["machine"].iloc[0], run["env"].iloc[0]) for run in runs]
    if where[0] != where[1]:
        raise BenchError(
            f"{args.base} was run on {where[0][0]} ({where[0][1]}) and {args.head} on "
            f"{where[1][0]} ({where[1][1]}): compare runs of one machine and environment"
        )
    if args.bench:
        base, head = (run[run["benchmark"].str.contains(args.bench)] for run in (base, head))
    calls = noise.regression_table(base, head, floor)
    flagged = calls[calls["verdict"].isin(noise.FLAGGED)]
    print(
        f"{args.base} ({shas[0][:8]}) -> {args.head} ({shas[1][:8]}) on {where[0][0]}, "
        f"noise floor {args.noise_floor}"
    )
    shown = calls if args.all else flagged
    if not shown.empty:
        print(noise.regression_markdown(shown))
    moved = noise.reference_moves(calls)
    if moved:
        print(
            f"the machine's own fixed workloads, head/base: {moved} (benchmarks/machine.py; a "
            "change there is the machine's, not the code's); times' thresholds are widened by "
            f"{noise.machine_drift(calls):.3f}"
        )
    counts = calls["verdict"].value_counts()
    print(
        f"{len(flagged)} of {len(calls)} benchmarks changed beyond their noise floor ("
        + ", ".join(f"{counts[v]} {v}" for v in counts.index)
        + ")"
    )
    return 1 if len(flagged) else 0
