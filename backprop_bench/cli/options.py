"""Options several commands share, declared once, and the checks and defaults behind them:
the command modules import this, never each other."""

from __future__ import annotations

import argparse

from backprop_bench.errors import BenchError

ASV_RESULTS = ".asv/results"
ASV_HTML = ".asv/html"  # asv.conf.json's html_dir: where `asv publish` builds its site
"""asv's results folder, as asv.conf.json sets it."""

NOISE_FLOOR = "noise_floor"
"""Base name of the committed noise floor: noise_floor.csv (read by ``regressions``) and .md."""


def add_readme(parser: argparse.ArgumentParser, blocks: str) -> None:
    """``--readme PATH``: the README whose generated ``blocks`` the command refreshes."""
    parser.add_argument(
        "--readme",
        metavar="PATH",
        default="README.md",
        help=f"README whose generated {blocks} to refresh, if it has them (default README.md)",
    )


def model_pairs(text: str) -> list[str]:
    """``"svc:mlp,svc-000:linear"`` -> ["svc:mlp", "svc-000:linear"] (argparse type): each a
    FIRST:SECOND, split where the models are known (``publish.split_pairs``: a model named by
    import path, ``package.module:Name``, holds a colon of its own)."""
    items = [item.strip() for item in text.split(",")]
    for item in items:
        first, colon, second = item.partition(":")
        if not colon or not first or not second or first == second:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not a pair of two model names as FIRST:SECOND"
            )
    return items


def add_pairs(parser: argparse.ArgumentParser) -> None:
    """``--pairs A:B,C:D``: pairs of models to compare image by image, beside the network."""
    parser.add_argument(
        "--pairs",
        type=model_pairs,
        default=[],
        metavar="A:B,...",
        help="pairs of models to test against each other too (the network is always tested "
        "against every model); kept with the results folder",
    )


def add_cluster(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS`` / ``--cluster local:N``: run the fits on a Dask cluster."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the fits on the Dask cluster whose scheduler is at ADDRESS "
        "(tcp://host:8786); needs the [dask] extra",
    )
    group.add_argument(
        "--cluster",
        metavar="local:N",
        help="run the fits on a Dask LocalCluster of N worker processes started for this run; "
        "needs the [dask] extra",
    )


def add_allow_large(parser: argparse.ArgumentParser) -> None:
    """``--allow-large``: run a plan beyond reason (see ``planning.check_fit_count``)."""
    parser.add_argument(
        "--allow-large",
        action="store_true",
        help="run a plan that is beyond reason: more than 10,000 fits, more than a day by the "
        "estimates, or more parallel fits (--jobs) than cores",
    )


def check_count(option: str, value: int | None, minimum: int) -> None:
    """A count option ``value`` (None: not given) of at least ``minimum``; else a BenchError."""
    if value is not None and value < minimum:
        raise BenchError(f"{option} must be an integer >= {minimum}; got {value}")


def add_asv_options(parser: argparse.ArgumentParser) -> None:
    """--python, --bench and --asv-results: ``noise-floor`` and ``regressions``."""
    parser.add_argument(
        "--python",
        metavar="PY",
        help="passed to asv run: 'same' measures this environment's installed package "
        "(default: asv builds each commit in its own environment)",
    )
    parser.add_argument(
        "--bench", type=regex, metavar="REGEX", help="only the benchmarks matching REGEX"
    )
    parser.add_argument(
        "--asv-results",
        default=ASV_RESULTS,
        metavar="DIR",
        help="asv's results folder, as asv.conf.json sets it (default %(default)s)",
    )


def regex(text: str) -> str:
    """``text``, if it is a regular expression (argparse type for --bench)."""
    import re

    try:
        re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a regular expression ({error})"
        ) from None
    return text
