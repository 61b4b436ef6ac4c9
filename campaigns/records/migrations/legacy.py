"""Bringing a database made before migrations (by `create_all`, of this or an older version) to the
baseline revision, so that it can be stamped there and upgraded like any other.

What an older version's database may lack, and what is done about it:
- whole tables added since: created as the baseline has them, with their indexes;
- columns added since (households.address and notes; escalations.raised_count, last_raised_at,
  people, merged_into): added by `schema.add_missing_columns`, so rows already there take them;
- indexes added since (escalations.conversation_id's; the unique index of open cases): created.
  Before the unique index of open cases, an older database's open duplicates are merged into one
  case per household and kind, as `screening escalations merge` does (no row is deleted).

The merge reads through the models, so it must run before any later revision changes
escalations, screenings or households (the tests build such an older database and would fail).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records import escalation_merge, schema
from campaigns.records.migrations import baseline
from campaigns.records.models import utcnow


def adopt(connection: sa.engine.Connection) -> list[str]:
    """Add what the database lacks of the baseline (see the module's docstring); returns what was
    done, in words. Runs in the caller's transaction; the caller commits."""
    tables = baseline.metadata()
    present = set(sa.inspect(connection).get_table_names())
    missing = [table for table in tables.sorted_tables if table.name not in present]
    tables.create_all(connection, tables=missing)
    steps = [f"Created the tables {', '.join(table.name for table in missing)}."] if missing else []
    added = [f"{table.name}.{name}" for table in tables.sorted_tables if table.name in present
             for name in schema.add_missing_columns(connection, table=table)]
    if added:
        steps.append(f"Added the columns {', '.join(added)}.")
    inspector = sa.inspect(connection)
    for table in (table for table in tables.sorted_tables if table.name in present):
        indexed = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda index: index.name):
            if index.name in indexed:
                continue
            if index.name == escalation_merge.INDEX:
                steps.extend(_merge_open_cases(connection))
            index.create(connection)
            steps.append(f"Created the index {index.name}.")
    return steps


def _merge_open_cases(connection: sa.engine.Connection) -> list[str]:
    """One open case per household and kind, so that the unique index of open cases can be made."""
    with Session(bind=connection) as session:
        escalation_merge.lock_escalations(session)
        report = escalation_merge.merge_open_cases(session, now=utcnow())  # flushes; our caller commits
    steps = []
    if report.merged:
        steps.append(f"Merged {_plural(report.merged, 'open duplicate escalation')} into "
                     f"{_plural(report.cases, 'case')}; each is resolved and points at its case (merged_into).")
    if report.reworded:
        steps.append(f"Wrote the people of {_plural(report.reworded, 'older case')} in words.")
    return steps


def _plural(count: int, words: str) -> str:
    return f"{count} {words}" if count == 1 else f"{count} {words}s"
