"""Bringing an older database's tables up to the models: columns added since the first release.

`create_all` (records/db.py) creates missing tables but never adds a column to a table that exists,
so a column added later (households.address and notes) is added here, as a nullable column with
no default: every row already there reads it as empty. Safe to run again, and by two processes
at once (the loser of the race finds the column there).
"""
from __future__ import annotations

import sqlalchemy as sa

from campaigns.records.models import Household


def add_missing_columns(connection: sa.engine.Connection, *, table: sa.Table) -> list[str]:
    """Add the nullable columns of `table` that the database's table lacks; returns their names.
    The caller commits."""
    added = []
    for column in table.columns:
        if column.name in _present(connection, table.name):
            continue
        if not column.nullable or column.foreign_keys or column.server_default is not None:
            raise ValueError(f"{table.name}.{column.name} cannot be added to rows already there; migrate by hand")
        ddl = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
        if connection.dialect.name == "postgresql":  # waits for a concurrent add, then does nothing
            connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {ddl}"))
        else:
            try:  # SQLite: a failed statement leaves the transaction as it was
                connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
            except sa.exc.OperationalError:
                if column.name not in _present(connection, table.name):  # not a concurrent add: a real error
                    raise
                continue
        added.append(column.name)
    return added


def upgrade_households(connection: sa.engine.Connection) -> list[str]:
    """The household columns this version reads (address, notes), added to an older database."""
    return add_missing_columns(connection, table=Household.__table__)


def _present(connection: sa.engine.Connection, table_name: str) -> set[str]:
    return {column["name"] for column in sa.inspect(connection).get_columns(table_name)}
