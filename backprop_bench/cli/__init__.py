"""The ``backprop-bench`` command line: one module per command (``fetch``, ``train``,
``speed``, ``compare`` with ``reproduce``, ``sweep``, ``anchors``, ``report``, ``noise-floor``,
``regressions``, ``check-regressions``, ``asv-site``, ``site``, ``environment``), each with an
``add(subparsers)`` that declares its arguments and sets ``func``. Library code never
prints; printing and progress bars happen here. Errors that are the user's to fix
(``BenchError``, ``nets.errors.NetsError``) become one line on stderr and exit status 1;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from backprop_bench.cli import (
    anchors,
    asv_site,
    check_regressions,
    compare,
    environment,
    fetch,
    noise_floor,
    regressions,
    report,
    site,
    speed,
    sweep,
    train,
)
from backprop_bench.errors import BenchError
from nets.errors import NetsError

#: Errors that are the user's to fix: one line, exit status 1.
USER_ERRORS = (BenchError, NetsError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-bench",
        description="A from-scratch NumPy backpropagation network against scikit-learn baselines.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (
        fetch,
        train,
        speed,
        compare,
        sweep,
        anchors,
        report,
        environment,
        noise_floor,
        regressions,
        check_regressions,
        asv_site,
        site,
    ):
        command.add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # an ASCII locale must not fail on a path
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "readme", None):  # a symlinked README is refused before any work
            from backprop_bench.reports.readme import check_readme

            check_readme(args.readme)
        return args.func(args) or 0
    except USER_ERRORS as error:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"backprop-bench {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"backprop-bench {args.command}: interrupted", file=sys.stderr)
        return 130
