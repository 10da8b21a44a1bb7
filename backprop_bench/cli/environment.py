"""`backprop-bench environment RESULTS`: the pip requirements that made a results folder."""

from __future__ import annotations

import argparse


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "environment",
        help="print the pip requirements, pinned, that made a results folder",
        description="Read a results folder's environment record (environment.json: every "
        "session that fitted its models) and print a pip requirements file pinned to the "
        "versions of the libraries that computed them, with the Python version and the "
        "commit of the code. The committed results folders carry it as requirements.txt.",
    )
    parser.add_argument("folder", metavar="RESULTS", help="a results folder, e.g. results/mnist")
    parser.set_defaults(func=run_environment)


def run_environment(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backprop_bench.errors import BenchError
    from backprop_bench.reports.publish import ENVIRONMENT, read_environment, read_records
    from backprop_bench.reports.requirements import records_requirements, requirements

    folder = Path(args.folder)
    if not (folder / ENVIRONMENT).is_file():
        raise BenchError(f"{folder}: no {ENVIRONMENT} here: not a results folder")
    sessions = read_environment(folder).get("sessions", [])
    for name in ("runs.jsonl", "fits.jsonl"):  # a comparison's or sweep's, the anchors'
        if (folder / name).is_file():
            records = read_records(folder / name)
            print(records_requirements(sessions, records, folder.name), end="")
            return 0
    print(requirements(sessions, None, folder.name), end="")  # every library recorded
    return 0
