"""`backprop-bench sweep FILE.toml`: many configurations, one plan, a tidy table and plots."""

from __future__ import annotations

import argparse

from backprop_bench.cli.options import add_allow_large, add_cluster, add_readme


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="fit every configuration a TOML file declares; a tidy table and plots per axis",
        description="Read a sweep file (datasets, training-set sizes, seeds, models, a grid of "
        "parameters per model; see sweeps/scaling.toml), check all of it, then fit every "
        "configuration through the same planning, shared preprocessing, fit cache and records "
        "as `compare` (finished fits are cached: an interrupted sweep resumes). Writes "
        "sweep.csv (one row per fit), plots against each swept axis, fitted exponents of time "
        "against n_train, and a summary.",
    )
    parser.add_argument("file", metavar="FILE.toml", help="the sweep file")
    parser.add_argument(
        "--jobs", type=int, help="fits run in parallel processes (default: one per core)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="results folder (default: the file's `out`, else "
        "results/FILE-NAME)"
    )  # fmt: skip
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the dataset's IDX files")
    add_readme(parser, "block for the results folder")
    add_cluster(parser)
    add_allow_large(parser)
    parser.set_defaults(func=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backprop_bench import api
    from backprop_bench.cli.fits import execute, finish, report_run
    from backprop_bench.experiments import sweeps

    sweep = sweeps.read_sweep(args.file, allow_large=args.allow_large)
    out = Path(args.out or sweep.out)
    with api.results_folder(out) as folder:  # one run at a time writes it

        def run(options) -> object:
            return api.sweep(sweep, out=folder, data_dir=args.data_dir, options=options)

        outcome = execute(args, run, folder)
        print((out / "summary.md").read_text(encoding="utf-8"))
        report_run(outcome.comparison, outcome.paths, out)
        return finish(args, outcome.comparison, out, "sweep")
