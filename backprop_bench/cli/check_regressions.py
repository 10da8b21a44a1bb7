"""`backprop-bench check-regressions`: does `regressions` call what it must, and nothing else?"""

from __future__ import annotations

import argparse

CHECK_FOLDER = "results/regression-checks"
BENCHMARKS_DOC = "docs/benchmarks.md"


def add(subparsers: argparse._SubParsersAction) -> None:
    from backprop_bench.experiments.planted import PLANTS

    parser = subparsers.add_parser(
        "check-regressions",
        help="run `regressions` on HEAD against itself and against planted slowdowns, "
        "repeatedly, and count its false calls and misses",
        description="Run `regressions`, every benchmark, on the HEAD commit against itself "
        "(A/A) and against each planted slowdown ("
        + ", ".join(PLANTS)
        + "), in turn, --runs times each. Each run is kept in its own folder as it ends, so "
        "an interrupted check goes on where it stopped; the summary (and the block of "
        "docs/benchmarks.md) is rebuilt from the kept runs after each one.",
    )
    parser.add_argument("--runs", type=int, default=10, help="runs of each (default 10)")
    parser.add_argument(
        "--plants",
        default=",".join(PLANTS),
        metavar="LIST",
        help="the planted slowdowns, comma-separated (default all; '' for A/A only)",
    )
    parser.add_argument("--no-aa", action="store_true", help="planted slowdowns only")
    parser.add_argument("--bench", metavar="REGEX", help="only the benchmarks matching REGEX")
    parser.add_argument(
        "--out", default=CHECK_FOLDER, metavar="DIR", help="the check folder (default %(default)s)"
    )
    parser.add_argument(
        "--readme",
        default=BENCHMARKS_DOC,
        metavar="PATH",
        help="the page whose regression-checks block to refresh (default %(default)s)",
    )
    parser.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    import pathlib
    import sys
    import time
    from datetime import datetime, timezone

    from backprop_bench.cli.asv_runs import resolve_commit
    from backprop_bench.cli.progress import benchmark_row
    from backprop_bench.errors import BenchError
    from backprop_bench.experiments import environment, interleaved, planted
    from backprop_bench.files import OutputFolder, check_output_folder, child
    from backprop_bench.reports import blocks, regression_checks

    if args.runs < 1:
        raise BenchError(f"--runs {args.runs}: give 1 or more")
    names = [name for name in args.plants.split(",") if name]
    unknown = [name for name in names if name not in planted.PLANTS]
    if unknown:
        raise BenchError(f"--plants: no plant {unknown[0]!r} (known: {', '.join(planted.PLANTS)})")
    experiments = ([] if args.no_aa else [regression_checks.AA]) + names
    if not experiments:
        raise BenchError("nothing to run: --no-aa and no --plants")
    benchmarks = pathlib.Path("benchmarks")
    if not (benchmarks / "__init__.py").is_file():
        raise BenchError("benchmarks/: no asv suite here; run check-regressions from the root")
    out = check_output_folder(args.out)
    regression_checks.read_runs(out)  # a malformed kept run is named before any work
    sha = resolve_commit("HEAD")
    root = pathlib.Path(".asv/regressions")
    base = interleaved.checkout(sha, root)
    heads = {regression_checks.AA: base}
    heads.update({name: planted.planted_tree(base, planted.PLANTS[name], root) for name in names})
    machine = f"{environment.cpu_model()}, {environment.host_line()}"
    blas = environment.blas_line(environment.blas(), threads=False)
    command = "backprop-bench check-regressions" + (
        f" --bench '{args.bench}'" if args.bench else ""
    )
    for number in range(1, args.runs + 1):
        for name in experiments:
            folder = child(child(out, name, "experiment"), f"{number:02d}", "run")
            if (folder / regression_checks.RUN).is_file():
                continue
            plant = planted.PLANTS.get(name)
            what = plant.what if plant else regression_checks.AA_WHAT
            print(f"check-regressions: {name} run {number} of {args.runs}: {what}", flush=True)
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            start = time.perf_counter()
            with OutputFolder(folder) as opened:
                opened.open()
                with open(root / f"check-{name}-{number:02d}.log", "w", encoding="utf-8") as log:
                    rows = interleaved.compare(
                        base, heads[name], benchmarks, args.bench, log=log, progress=benchmark_row
                    )
                wall = time.perf_counter() - start
                found = planted.judge(
                    plant,
                    [
                        (r.benchmark.label, r.verdict, r.interval.ratio if r.interval else None)
                        for r in rows
                    ],
                )
                table = interleaved.table(rows)
                detectable = table["detectable ±%"].dropna()
                run = {
                    "experiment": name,
                    "what": what,
                    "command": command,
                    "base": sha,
                    "head": sha if plant is None else f"{sha} + {name}",
                    "machine": machine,
                    "blas": blas,
                    "started": started,
                    "wall_seconds": round(wall, 1),
                    "benchmarks": len(rows),
                    "pairs": interleaved.PAIRS,
                    "expected": found.expected,
                    "false_calls": list(found.false_calls),
                    "missed": list(found.missed),
                    "targets": found.targets,
                    "detectable_median": round(float(detectable.median()), 2)
                    if len(detectable)
                    else None,
                }
                with opened.replace() as stage:
                    regression_checks.write_run(stage, run, table)
            verdict = "as required" if found.expected else "NOT as required"
            print(
                f"check-regressions: {name} run {number}: {verdict} in {wall:.0f} s "
                f"({len(found.false_calls)} false calls, {len(found.missed)} targets missed)",
                file=sys.stderr,
                flush=True,
            )
            regression_checks.write_summary(out, experiments, command)
            blocks.refresh(args.readme, out, "regression-checks")
    regression_checks.write_summary(out, experiments, command)
    if blocks.refresh(args.readme, out, "regression-checks"):
        print(f"{args.readme}: refreshed the regression-checks block")
    print((out / "summary.md").read_text(encoding="utf-8"))
    return 0
