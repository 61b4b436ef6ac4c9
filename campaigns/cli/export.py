"""`screening export`: screening results to CSV (UTF-8 with a byte-order mark, so Excel reads every
script; `--no-bom` for a plain UTF-8 file)."""
from __future__ import annotations

import argparse
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records import export
from campaigns.cli.common import Subparsers, db_reason, engine, fail, plural


def _since(text: str):
    try:
        return export.parse_since(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add(commands: Subparsers) -> None:
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
    parser.add_argument("--no-bom", dest="bom", action="store_false",
                        help="no byte-order mark at the start (by default there is one, so that Excel reads the "
                             "file as UTF-8 and shows names in any script)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            count = export.export_to_path(
                session, path=args.out, campaign_id=args.campaign,
                since=args.since, abnormal_only=args.abnormal_only, bom=args.bom,
            )
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc.strerror or exc}")
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)}")
    print(f"wrote {plural(count, 'row')} to {args.out}")
    return 0
