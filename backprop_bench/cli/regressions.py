"""`backprop-bench regressions BASE HEAD`: did HEAD make a benchmark slower? By default both
commits are measured in this run, interleaved (``experiments.interleaved``); ``--stored``
compares their stored asv results against the recorded noise floor
(results/benchmarks/noise_floor.csv)."""

from __future__ import annotations

import argparse
import pathlib
import time

from backprop_bench.cli.options import NOISE_FLOOR, add_asv_options


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "regressions",
        help="did HEAD make any benchmark slower than BASE? both measured in one run",
        description="Measure every benchmark of the asv suite on two commits in one run, "
        "interleaved: each commit's tree in long-lived processes of its own, in pairs of a "
        "BASE and a HEAD process laid out alike, each pair laid out otherwise; a pair's two "
        "processes sampled in turn (A B B A) on one core, or at once on two (--schedule "
        "duet), the pairs in turn. Prints HEAD / BASE for every benchmark with its 95% "
        "interval over the pairs, a verdict (slower or faster only "
        "when the whole interval is beyond the 5% margin) and the smallest change the run "
        "could have called; exits 1 when a benchmark is slower. --stored compares two stored "
        "asv result files against the recorded noise floor instead.",
    )
    parser.add_argument("base", metavar="BASE", help="the commit to compare against")
    parser.add_argument("head", metavar="HEAD", help="the commit under test")
    parser.add_argument(
        "--schedule",
        choices=("abba", "duet"),
        default="abba",
        help="abba: the two processes take turns on one core (default); duet: one core each, "
        "sampling at the same time",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=None,
        metavar="N",
        help="pairs of processes, each with another memory layout (default: 4); the interval "
        "is taken over them",
    )
    parser.add_argument(
        "--stored",
        action="store_true",
        help="compare the two commits' stored asv results (asv run), each benchmark against "
        "its recorded noise floor, instead of measuring them side by side",
    )
    parser.add_argument(
        "--run",
        action="store_true",
        help="with --stored: run the asv suite on both commits first",
    )
    add_asv_options(parser)
    parser.add_argument(
        "--noise-floor",
        default=f"results/benchmarks/{NOISE_FLOOR}.csv",
        metavar="CSV",
        help="with --stored: the recorded noise floor (default %(default)s)",
    )
    parser.add_argument(
        "--all", action="store_true", help="list every benchmark, not only the called ones"
    )
    parser.set_defaults(func=run_regressions)


def run_regressions(args: argparse.Namespace) -> int:
    from backprop_bench.errors import BenchError

    if args.stored and args.pairs is not None:
        raise BenchError("--pairs sets the processes that measure: --stored measures nothing")
    if args.run and not args.stored:
        raise BenchError("--run runs asv for --stored: without it, both commits are measured here")
    return _stored(args) if args.stored else _interleaved(args)


def _interleaved(args: argparse.Namespace) -> int:
    """Both commits measured in this run (``experiments.interleaved``)."""

    from backprop_bench.cli.asv_runs import resolve_commit
    from backprop_bench.cli.progress import benchmark_row
    from backprop_bench.experiments import environment, interleaved

    pairs = interleaved.check_pairs(interleaved.PAIRS if args.pairs is None else args.pairs)
    shas = [resolve_commit(name) for name in (args.base, args.head)]
    root = pathlib.Path(".asv/regressions")
    benchmarks = pathlib.Path("benchmarks")
    if not (benchmarks / "__init__.py").is_file():
        from backprop_bench.errors import BenchError

        raise BenchError("benchmarks/: no asv suite here; run regressions from the repository root")
    trees = [interleaved.checkout(sha, root) for sha in shas]
    log_path = root / f"{shas[0][:8]}-{shas[1][:8]}.log"
    print(
        f"regressions: {args.base} ({shas[0][:8]}) -> {args.head} ({shas[1][:8]}), "
        f"schedule {args.schedule}, {pairs} pairs of processes, on {environment.cpu_model()}, "
        f"{environment.host_line()}, "
        f"{environment.blas_line(environment.blas(), threads=False)}; the benchmarks set their "
        "own BLAS threads (BACKPROP_BENCH_ASV_BLAS_THREADS, 1 unless set)",
        flush=True,
    )

    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        rows = interleaved.compare(
            trees[0], trees[1], benchmarks, args.bench, schedule=args.schedule, pairs=pairs,
            log=log, progress=benchmark_row,
        )  # fmt: skip
    frame = interleaved.table(rows)
    called = frame[frame["verdict"].isin(interleaved.CALLS)]
    shown = frame if args.all else called
    if not shown.empty:
        print(shown.to_markdown(index=False, floatfmt=".4g"))
    counts = frame["verdict"].value_counts()
    widths = frame["detectable ±%"].dropna()
    print(
        f"{len(called)} of {len(frame)} benchmarks called ("
        + ", ".join(f"{counts[v]} {v}" for v in counts.index)
        + f") in {time.perf_counter() - start:.0f} s; a call needs the whole 95% interval "
        f"beyond ±{interleaved.MARGIN:.0%}"
        + (
            f"; the smallest change this run could call: ±{widths.median():.1f}% (median), "
            f"±{widths.max():.1f}% (largest)"
            if len(widths)
            else ""
        )
    )
    print(f"the processes' output: {log_path}")
    return 1 if (frame["verdict"] == interleaved.SLOWER).any() else 0


def _stored(args: argparse.Namespace) -> int:
    """Two stored asv result files, each benchmark against its recorded noise floor."""
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
