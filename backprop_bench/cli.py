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
    parser = subparsers.add_parser("fetch", help="download (or find), verify and cache a dataset")
    parser.add_argument("name", help="dataset name")
    parser.set_defaults(func=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    raise BenchError("fetch is not written yet")
