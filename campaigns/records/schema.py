"""Adding the columns a table lacks, for a database made before migrations.

`create_all` creates missing tables but never adds a column to a table that exists, so a database
made by an older version lacks the columns added since (households.address and notes, the
escalation case columns). migrations/legacy.py adds them here, before it stamps the baseline:
each as a nullable column, or with its server default, so every row already there can take it.
Safe to run again, and by two processes at once (the loser of the race finds the column there).
"""
from __future__ import annotations

import sqlalchemy as sa

from campaigns.records.models import Household


def add_missing_columns(connection: sa.engine.Connection, *, table: sa.Table) -> list[str]:
    """Add the columns of `table` that the database's table lacks (nullable ones, or with a server
    default; a foreign key is kept); returns their names. The caller commits."""
    added = []
    for column in table.columns:
        if column.name in _present(connection, table.name):
            continue
        if not column.nullable and column.server_default is None:
            raise ValueError(f"{table.name}.{column.name} cannot be added to rows already there; migrate by hand")
        refs = "".join(f" REFERENCES {fk.column.table.name} ({fk.column.name})" for fk in column.foreign_keys)
        ddl = f"{sa.schema.CreateColumn(column).compile(dialect=connection.dialect)}{refs}"
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
