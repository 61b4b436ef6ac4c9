"""The `screening` console script.

Each subcommand lives in its own module with an `add(commands)` function that builds
its parser and sets its handler; COMMANDS below is the one place they are registered.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional

from campaigns.cli import campaign, db, escalations, export, households, poster, report, run, users
from campaigns.cli.common import Subparsers

COMMANDS: tuple[Callable[[Subparsers], None], ...] = (households.add, campaign.add, run.add, export.add,
                                                            escalations.add, report.add, users.add, db.add,
                                                            poster.add)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="screening", description="Outbound health screening.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed the help or the usage error
        return exc.code if isinstance(exc.code, int) else 1
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
