"""`screening report daily|field-visits|follow-ups`: the daily summary as a table or CSV, and the two
printed lists as PDFs, counted and laid out as the console does (times in the office's zone)."""
from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.cli.common import Subparsers, db_reason, engine, fail, plural
from campaigns.records import local_times, summaries
from campaigns.records.models import Campaign
from campaigns.settings import get_settings

COLUMNS = ("targeted", "reached", "unreach.", "opted out", "screened", "abnormal", "urgent", "help")


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("report", help="the daily summary, the field-visit and follow-up lists",
                                 description="Reports for the office: the daily summary per community, and the "
                                             "field-visit and follow-up lists as PDFs (A4).")
    actions = parser.add_subparsers(dest="action", metavar="REPORT", required=True)
    daily = actions.add_parser("daily", help="one campaign day per community",
                               description="Households targeted, reached, unreachable and opted out; people "
                                           "screened, abnormal, urgent; help requests; per community.")
    daily.add_argument("--day", required=True, type=_day, metavar="YYYY-MM-DD", help="the campaign day (local)")
    daily.add_argument("--campaign", metavar="NAME", help="one campaign (default: every campaign)")
    daily.add_argument("--csv", action="store_true", help="CSV on standard output instead of a table")
    daily.set_defaults(handler=run_daily)
    visits = actions.add_parser("field-visits", help="households a day did not reach, as a PDF",
                                description="The field-visit list: households the day's calls did not reach, "
                                            "per community, with address, contact and attempts.")
    visits.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="the campaign day (default: today)")
    visits.add_argument("--campaign", metavar="NAME", help="one campaign (default: every campaign)")
    visits.add_argument("--community", metavar="NAME", help="one community (default: all, a page each)")
    visits.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
    visits.set_defaults(handler=run_field_visits)
    follow = actions.add_parser("follow-ups", help="open abnormal and urgent cases, as a PDF",
                                description="The follow-up list: open abnormal and urgent cases per community, "
                                            "oldest first, with the people and their readings.")
    follow.add_argument("--community", metavar="NAME", help="one community (default: all, a page each)")
    follow.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
    follow.set_defaults(handler=run_follow_ups)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def run_daily(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            if args.campaign and not _known(session, args.campaign):
                return fail(f"no campaign named {args.campaign!r}")
            summary = summaries.daily_summary(session, day=args.day, campaign_id=args.campaign)
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)}")
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(summaries.HEADER)
        writer.writerows(summaries.csv_lines(summary))
        return 0
    print(f"{summary.day.isoformat()}, {'campaign ' + summary.campaign if summary.campaign else 'every campaign'}")
    width = max([len("community"), *(len(line.community) for line in summary.lines)])
    print(f"  {'community':<{width}} " + " ".join(f"{name:>9}" for name in COLUMNS))
    for line in summary.lines:
        values = (line.households_targeted, line.reached, line.unreachable, line.opted_out, line.people_screened,
                  line.abnormal, line.urgent, line.help_requests)
        print(f"  {line.community:<{width}} " + " ".join(f"{value:>9}" for value in values))
    return 0


def run_field_visits(args: argparse.Namespace) -> int:
    from campaigns.console import list_documents  # fpdf2 and its fonts: only for the lists

    office = local_times.zone(get_settings().office_timezone)
    day = args.day or local_times.today(office)
    return _write_pdf(args.out, lambda session: list_documents.field_visit_pdf(
        session, day=day, campaign_id=args.campaign, community=args.community, office=office, mask=False,
        now=datetime.now(timezone.utc)))


def run_follow_ups(args: argparse.Namespace) -> int:
    from campaigns.console import list_documents

    office = local_times.zone(get_settings().office_timezone)
    return _write_pdf(args.out, lambda session: list_documents.follow_up_pdf(
        session, community=args.community, office=office, mask=False, now=datetime.now(timezone.utc)))


def _write_pdf(path: Path, make) -> int:
    from campaigns.console.printing import TooManyRows

    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            body = make(session)
        _write_atomically(path, body)
    except TooManyRows as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write {path}: {exc.strerror or exc}")
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)}")
    print(f"wrote {path} ({plural(len(body), 'byte')})")
    return 0


def _write_atomically(path: Path, body: bytes) -> None:
    """Through `<path>.tmp`, renamed when complete: a failed write leaves no half a PDF."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(body)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _known(session: Session, campaign_id: str) -> bool:
    return session.exec(select(Campaign.id).where(Campaign.id == campaign_id)).first() is not None
