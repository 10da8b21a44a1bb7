"""`backprop-bench speed`: the network against MLPClassifier, and the rungs of the gradient."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from backprop_bench.cli.options import add_readme, check_count


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "speed",
        help="time the network against its peers (MLPClassifier, JAX, PyTorch), in float64 and "
        "float32, and its gradient routines",
        description="Side by side in one process: 20 epochs of mnist-000 against "
        "MLPClassifier with the same architecture, against the same network in JAX (jax-mlp) "
        "and PyTorch (torch-mlp) where their extras are installed, and against itself in "
        "float32; then each rung of the gradient (loop, per_unit, per_sample, vectorised) "
        "against the next at batch 50. Each ratio is the geometric mean of the paired repeats' "
        "ratios with its 95% interval and a verdict (faster, slower, or no detectable "
        "difference); repeats go on until every interval is within --half-width of its ratio, "
        "or for --time-cap seconds per part.",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed repeats at least (default 3, at least 2)"
    )
    parser.add_argument(
        "--half-width",
        type=float,
        metavar="PERCENT",
        help="repeat until every ratio's 95%% interval is within this many percent of it "
        "(default 3: experiments.speed.HALF_WIDTH)",
    )
    parser.add_argument(
        "--time-cap",
        type=float,
        metavar="SECONDS",
        help="stop repeating a part (training, the gradient routines) after this many seconds, "
        "reached or not (default 600: experiments.speed.TIME_CAP)",
    )
    parser.add_argument("--epochs", type=int, help="epochs per fit (default: the preset's 20)")
    parser.add_argument("--n-train", type=int, help="training subset size (default: all 60,000)")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="also write speed.csv, speed.md and summary.md to DIR, and refresh the README's "
        "generated speed block",
    )
    parser.add_argument(
        "--models",
        metavar="LIST",
        default="",
        help="models of your own to time against the network too, comma-separated: "
        "package.module:Name or an installed entry-point name (its whole fit is timed, with "
        "the network's epochs where it has an epochs parameter)",
    )
    add_readme(parser, "speed block (with --out)")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit the threads of BLAS and of XLA (JAX) for every contestant (default: as is)",
    )
    parser.set_defaults(func=run_speed)


def run_speed(args: argparse.Namespace) -> int:
    from backprop_bench.errors import BenchError
    from backprop_bench.experiments import speed
    from backprop_bench.experiments.models import resolve
    from backprop_bench.files import OutputFolder

    for option in ("epochs", "n_train", "blas_threads"):
        check_count("--" + option.replace("_", "-"), getattr(args, option), 1)
    check_count("--repeats", args.repeats, 2)  # an interval needs two
    if args.half_width is None:
        args.half_width = 100 * speed.HALF_WIDTH
    if args.time_cap is None:
        args.time_cap = speed.TIME_CAP
    for option, value in (("--half-width", args.half_width), ("--time-cap", args.time_cap)):
        if not value > 0:  # nan too
            raise BenchError(f"{option} {value}: give a number > 0")
    args.own = [name.strip() for name in args.models.split(",") if name.strip()]
    if args.own:
        resolve(args.own, speed.PRESET)  # a model of one's own is checked before any timing
    with OutputFolder(args.out) if args.out else contextlib.nullcontext() as folder:
        if folder is not None:
            folder.open()  # checked and locked before any timing
        return _run_speed(args, folder)


def _run_speed(args: argparse.Namespace, folder) -> int:
    """Time, print, and write into ``folder`` (an open ``OutputFolder``) with --out."""
    import dataclasses

    from threadpoolctl import threadpool_limits

    from backprop_bench.data.datasets import load
    from backprop_bench.data.preprocessing import prepare
    from backprop_bench.experiments import environment, speed
    from backprop_bench.reports import blocks
    from backprop_bench.reports import speed as speed_report
    from nets.network import DTYPES
    from nets.presets import PRESETS

    if args.blas_threads:
        environment.cap_threads(args.blas_threads)  # before JAX first runs
    preset = PRESETS[speed.PRESET]
    dataset = load(preset.dataset, progress=sys.stderr.isatty())
    data = {dtype: prepare(dataset, n_train=args.n_train, dtype=dtype) for dtype in DTYPES}
    peers, notes = speed.available_peers()
    peers += args.own

    def progress(message: str) -> None:
        print(message, file=sys.stderr)

    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        repeats = speed.Repeats(args.repeats, args.half_width / 100, args.time_cap)
        header = speed.header(data["float64"], repeats=repeats, notes=notes)
        for line in header.lines():
            print(line)
        comparisons = speed.time_training(
            data, epochs=args.epochs, repeats=repeats, peers=peers, progress=progress
        )
        rungs = dataclasses.replace(repeats, minimum=max(args.repeats, 5))
        comparisons += speed.time_rungs(repeats=rungs, progress=progress)
    print(speed_report.speed_markdown(speed_report.speed_table(comparisons)))
    if args.out:
        with folder.replace() as stage:
            written = speed_report.write_speed(comparisons, header, stage)
        for path in written:
            print(f"wrote {Path(args.out) / Path(path).name}")
        if blocks.refresh(args.readme, Path(args.out), "speed"):
            print(f"updated the generated speed block in {args.readme}")
    return 0
