"""Bringing a database to the newest revision, once per process start, safely from many processes.

A database is one of three kinds:
- empty (no table of ours; Rasa's `events` may be there): every table is created from the models
  and stamped at the newest revision, in one go (cheaper than replaying the revisions, and equal
  to them: tests/campaigns/records/test_migrations.py compares the two);
- made before migrations (tables of ours, no revision): `legacy` brings it to the baseline, which
  is stamped, then the revisions after it run;
- at a revision: the revisions after it run.

Every change is one transaction, taken under a lock (PostgreSQL: an advisory lock; SQLite: its
write lock), and the kind is looked at again once the lock is held, so two processes starting at
once on one database do the work once: the second finds it done.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from campaigns.records import keys, models, proofs  # noqa: F401  (registers every table on SQLModel.metadata)
from campaigns.records.migrations import legacy

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
BASELINE = "0001"  # the revision whose schema `legacy` brings an older database to
VERSION_TABLE = "alembic_version"
# Any fixed number: the key of the PostgreSQL advisory lock that start-ups take turns on.
PG_LOCK = 614_031_977


class SchemaError(sa.exc.SQLAlchemyError):
    """The database cannot be brought to this version's schema; the message says why."""


@dataclass(frozen=True)
class Upgrade:
    """What one upgrade found and did."""

    kind: str  # "empty", "unversioned" (made before migrations) or "versioned"
    before: Optional[str]  # the revision found
    after: str  # the revision the database is at now: the newest
    steps: tuple[str, ...] = ()  # what was done to a database made before migrations

    @property
    def changed(self) -> bool:
        return self.kind != "versioned" or self.before != self.after

    def lines(self) -> list[str]:
        if self.kind == "empty":
            return [f"The database was empty: created its tables at revision {describe(self.after)}, the newest."]
        if self.kind == "unversioned":
            return ["The database was made before migrations: brought it to the baseline.", *self.steps,
                    f"Upgraded it from revision {describe(BASELINE)} to {describe(self.after)}, the newest."]
        if not self.changed:
            return [f"The database is at revision {describe(self.after)}, the newest: nothing to do."]
        return [f"Upgraded the database from revision {describe(self.before)} to {describe(self.after)}."]


def config(connection: Optional[sa.engine.Connection] = None) -> Config:
    """Alembic's configuration, built here rather than read from a file, so it installs with the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection  # env.py runs on it, inside our transaction
    return cfg


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    return scripts().get_current_head()


def describe(revision: Optional[str]) -> str:
    """`0002 (users.language)`: a revision and its message."""
    if revision is None:
        return "none"
    try:
        found = scripts().get_revision(revision)
    except CommandError:  # an id it does not know
        found = None
    return f"{revision} ({found.doc})" if found is not None and found.doc else revision


def current(connection: sa.engine.Connection) -> Optional[str]:
    """The revision the database is stamped at, or None (no version table, or an empty one)."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def kind_of(connection: sa.engine.Connection) -> str:
    """empty, unversioned or versioned (see the module's docstring)."""
    if current(connection) is not None:
        return "versioned"
    ours = set(SQLModel.metadata.tables) & set(sa.inspect(connection).get_table_names())
    return "unversioned" if ours else "empty"


def upgrade(engine: sa.engine.Engine) -> Upgrade:
    """Bring the database to the newest revision (see the module's docstring); logs what it did."""
    newest = head()
    with engine.connect() as connection:  # most starts find it done: no lock
        if current(connection) == newest:
            return Upgrade("versioned", newest, newest)
    with engine.connect() as connection:
        _lock(connection)
        kind, before = kind_of(connection), current(connection)
        steps: list[str] = []
        if kind == "empty":
            SQLModel.metadata.create_all(connection)
            _stamp(connection, newest)
        elif before != newest:  # else another process did it while we waited for the lock
            if kind == "unversioned":
                try:
                    steps = legacy.adopt(connection)
                except ValueError as exc:  # a column the rows already there cannot take
                    raise SchemaError(f"the database cannot be brought to the baseline: {exc}") from exc
                _stamp(connection, BASELINE)
            elif not _known(before):
                raise SchemaError(f"the database is at revision {before}, which this version does not know: "
                                  "a newer version upgraded it; run that version, or restore a backup")
            command.upgrade(config(connection), "head")
        connection.commit()
    done = Upgrade(kind, before, newest, tuple(steps))
    if done.changed:
        for line in done.lines():
            log.info("%s", line)
    return done


def differences(connection: sa.engine.Connection) -> list:
    """Where the database's tables differ from the models, as alembic's autogenerate sees it;
    tables that are not ours (Rasa's `events`) are left out."""
    context = MigrationContext.configure(connection, opts=context_options(connection.dialect.name))
    return compare_metadata(context, SQLModel.metadata)


def context_options(dialect: str) -> dict:
    """What env.py and `differences` configure alembic with."""
    return dict(target_metadata=SQLModel.metadata, compare_type=True, include_name=ours,
                render_as_batch=dialect == "sqlite",  # SQLite alters most things by copying the table
                render_item=render_item)


def ours(name: Optional[str], type_: str, parent_names: dict) -> bool:
    """Only the models' tables are compared: Rasa's tracker store keeps its `events` in the same database."""
    return type_ != "table" or name in SQLModel.metadata.tables


def render_item(type_: str, obj, autogen_context) -> object:
    """New revisions name plain SQLAlchemy types, never the models' own, so they stay as written."""
    if type_ == "type" and isinstance(obj, models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String({obj.length})" if obj.length else "sa.String()"
    return False


def _lock(connection: sa.engine.Connection) -> None:
    """Take the start-up lock for the rest of the connection's transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
    elif connection.dialect.name == "sqlite":
        # The write lock now, not at the first write: a second process waits here (busy timeout),
        # then finds the work done. pysqlite leaves an explicit BEGIN alone, and commit() ends it.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _stamp(connection: sa.engine.Connection, revision: str) -> None:
    MigrationContext.configure(connection).stamp(scripts(), revision)


def _known(revision: Optional[str]) -> bool:
    try:
        return scripts().get_revision(revision) is not None
    except CommandError:
        return False
