"""Options several commands share, declared once."""

from __future__ import annotations

import argparse


def add_readme(parser: argparse.ArgumentParser, blocks: str) -> None:
    """``--readme PATH``: the README whose generated ``blocks`` the command refreshes."""
    parser.add_argument(
        "--readme",
        metavar="PATH",
        default="README.md",
        help=f"README whose generated {blocks} to refresh, if it has them (default README.md)",
    )
