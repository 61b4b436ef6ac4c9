"""The `screening` console script.

Each subcommand is one `_add_<name>` function that builds its parser and sets
its handler; all of them are listed in COMMANDS, the one place to register more.
A handler takes the parsed arguments and returns the exit code:
0 done, 1 the work failed (precise message on stderr), 2 bad usage (argparse).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from campaigns import export, store
from campaigns.settings import get_settings


def _since(text: str):
    try:
        return export.parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_export(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export", help="write screening results to a CSV file",
        description="Write one CSV line per person screened, oldest first.",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.csv",
                        help="the CSV file to write (replaced atomically)")
    parser.add_argument("--campaign", metavar="ID", help="only this campaign's screenings")
    parser.add_argument("--since", type=_since, metavar="DATE",
                        help="only screenings finished at or after DATE (YYYY-MM-DD, UTC, or ISO datetime)")
    parser.add_argument("--abnormal-only", action="store_true", help="only people judged abnormal")
    parser.set_defaults(handler=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    engine = _engine()
    if engine is None:
        return 1
    try:
        with Session(engine) as session:
            count = export.export_to_path(
                session, path=args.out, campaign_id=args.campaign,
                since=args.since, abnormal_only=args.abnormal_only,
            )
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    except sa.exc.SQLAlchemyError as exc:
        return _fail(f"database error: {_db_reason(exc)}")
    print(f"wrote {count} {'row' if count == 1 else 'rows'} to {args.out}")
    return 0


# Register new subcommands here (households import, campaign ..., run).
COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_export,)


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


def _engine() -> Optional[sa.engine.Engine]:
    """The configured database's engine, or None after telling the user why not."""
    try:
        url = get_settings().database_url
    except ValidationError as exc:
        _fail(f"bad settings: {exc}")
        return None
    try:
        return store.get_engine(url)
    except sa.exc.ArgumentError:
        # The message would repeat the URL, and with it any password.
        _fail("SCREENING_DATABASE_URL is not a valid database URL")
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        _fail(f"cannot open the database: {_db_reason(exc)}")
    return None


def _db_reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc)


def _fail(message: str) -> int:
    print(f"screening: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
