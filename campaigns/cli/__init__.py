"""The `screening` console script.

Each subcommand lives in its own module with an `add(commands)` function that builds
its parser and sets its handler; COMMANDS below is the one place they are registered.
"""
from __future__ import annotations

# numpy and scipy.special first, on purpose. A dry run's bot loads its intent classifier with skops,
# which names each numpy and scipy function it trusts (about 300) by searching every module loaded,
# in the order they were loaded. Loaded before this package's 900 modules, they are found among the
# first few: the dry run starts about 1.2 s sooner; other commands start about 0.1 s later.
import numpy  # noqa: F401  isort: skip
import scipy.special  # noqa: F401  isort: skip

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
