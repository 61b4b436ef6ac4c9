"""`screening escalations merge`: bring a database to one open case per household and kind, adding
to an older database the escalation columns and index this version needs."""
from __future__ import annotations

import argparse

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.cli.common import Subparsers, db_reason, engine, fail, plural
from campaigns.records import escalation_merge
from campaigns.records.models import utcnow

MERGE_HELP = """\
Merge the escalations that are open (or acknowledged) more than once for the same household and
kind into one case each, and an open abnormal case into the household's open urgent case. No row
is deleted: each merged row is resolved with a note and points at the case it joined
(merged_into), so it leaves the queue. Older open cases get their people in words.

`screening db upgrade` does this merge for a database written by an earlier version, with the
escalation columns (raised_count, last_raised_at, people, merged_into) and the unique index that
keeps one open case per household and kind; so do `screening run`, the console and the bot when
they start. All of it is one transaction, and it is safe to run again."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("escalations", help="the escalation cases: merge open duplicates, upgrade the table",
                                 description="The escalation cases staff work through.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = actions.add_parser("merge", help="merge open duplicates into one case per household and kind; "
                                             "adds the columns and index an older database lacks",
                               description=MERGE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    merge.set_defaults(handler=run_merge)


def run_merge(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            escalation_merge.lock_escalations(session)
            added = escalation_merge.add_missing_columns(session)
            report = escalation_merge.merge_open_cases(session, now=utcnow())
            created = escalation_merge.create_open_case_index(session)
            left = escalation_merge.count_open(session)
            session.commit()
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error, nothing was changed: {db_reason(exc)}")
    for line in _lines(added, report, created, left):
        print(line)
    return 0


def _lines(added: list[str], report: escalation_merge.MergeReport, created: bool, left: int) -> list[str]:
    lines = [f"Added the columns {', '.join(added)} to escalations."] if added else []
    if report.merged:
        lines.append(f"Merged {plural(report.merged, 'escalation')} into {plural(report.cases, 'case')}; "
                     "each points at its case (merged_into) and left the queue.")
    else:
        lines.append("No open duplicates to merge.")
    if report.reworded:
        lines.append(f"Wrote the people of {plural(report.reworded, 'older case')} in words.")
    if created:
        lines.append(f"Created the index {escalation_merge.INDEX}: one open case per household and kind.")
    lines.append(f"{plural(left, 'open case')} in the queue.")
    return lines
