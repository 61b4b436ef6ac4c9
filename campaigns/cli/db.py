"""`screening db`: the database's schema revision, upgrading it, and checking it against the models."""
from __future__ import annotations

import argparse
from typing import Optional

import sqlalchemy as sa
from pydantic import ValidationError

from campaigns.cli.common import Subparsers, db_reason, fail
from campaigns.records.db import make_engine
from campaigns.records.migrations import runner
from campaigns.settings import get_settings

UPGRADE_HELP = """\
Bring the database SCREENING_DATABASE_URL names to the newest schema revision, and say from which
revision to which. An empty database gets every table; a database made before migrations gets the
tables, columns and indexes it lacks (merging open duplicate escalations into one case per
household and kind first, as `screening escalations merge` does), then the revisions. One
transaction: on an error nothing is changed. Safe to run again, and while other processes start.
`screening run`, the console and the bot do the same when they start."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("db", help="the database's schema: upgrade it, show its revision, check it",
                                 description="The database's schema, kept by migrations.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="bring the database to the newest revision",
                                 description=UPGRADE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    upgrade.set_defaults(handler=run_upgrade)
    current = actions.add_parser("current", help="the database's revision, and the newest",
                                 description="Show the database's revision and the newest one; changes nothing.")
    current.set_defaults(handler=run_current)
    check = actions.add_parser("check", help="compare the database's tables with the models",
                               description="Compare the database's tables, columns and indexes with the "
                                           "models; exit 1 and list what differs. Tables that are not "
                                           "ours, such as Rasa's `events`, are left out. Changes nothing.")
    check.set_defaults(handler=run_check)


def run_upgrade(args: argparse.Namespace) -> int:
    engine = _engine()
    if engine is None:
        return 1
    try:
        done = runner.upgrade(engine)
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"cannot upgrade the database, nothing was changed: {db_reason(exc)}")
    finally:
        engine.dispose()
    print("\n".join(done.lines()))
    return 0


def run_current(args: argparse.Namespace) -> int:
    engine = _engine()
    if engine is None:
        return 1
    try:
        with engine.connect() as connection:
            kind, revision = runner.kind_of(connection), runner.current(connection)
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"cannot read the database: {db_reason(exc)}")
    finally:
        engine.dispose()
    print(_current_line(kind, revision, runner.head()))
    return 0


def run_check(args: argparse.Namespace) -> int:
    engine = _engine()
    if engine is None:
        return 1
    try:
        with engine.connect() as connection:
            kind, revision = runner.kind_of(connection), runner.current(connection)
            differences = runner.differences(connection)
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"cannot read the database: {db_reason(exc)}")
    finally:
        engine.dispose()
    newest = runner.head()
    if revision == newest and not differences:
        print(f"The database matches the models, at revision {runner.describe(newest)}, the newest.")
        return 0
    print(_current_line(kind, revision, newest))
    for difference in differences if kind != "empty" else ():
        print(f"  {_difference_line(difference)}")
    return fail("the database differs from the models" + (": run `screening db upgrade`" if revision != newest else ""))


def _engine() -> Optional[sa.engine.Engine]:
    """The configured database's engine, its schema left as it is (unlike common.engine)."""
    try:
        return make_engine(get_settings().database_url)
    except ValidationError as exc:
        fail(f"bad settings: {exc}")
    except sa.exc.ArgumentError:  # the message would repeat the URL, and with it any password
        fail("SCREENING_DATABASE_URL is not a valid database URL")
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        fail(f"cannot open the database: {db_reason(exc)}")
    return None


def _current_line(kind: str, revision: Optional[str], newest: str) -> str:
    if kind == "empty":
        return f"The database is empty; `screening db upgrade` creates its tables at revision {runner.describe(newest)}."
    if kind == "unversioned":
        return ("The database was made before migrations (no revision); `screening db upgrade` brings it to "
                f"revision {runner.describe(newest)}.")
    if revision == newest:
        return f"The database is at revision {runner.describe(revision)}, the newest."
    return f"The database is at revision {runner.describe(revision)}; the newest is {runner.describe(newest)}."


def _difference_line(difference) -> str:
    """One of alembic's differences in words: ("add_column", None, "users", Column(...)) and the like."""
    if isinstance(difference, list):  # a column's changes come as a list of modify_* tuples
        return "; ".join(_difference_line(item) for item in difference)
    action, *details = difference
    verb, _, what = action.partition("_")
    if verb == "modify":
        _schema, table, column, _existing, found, wanted = details
        return f"{table}.{column}: {what} is {found} in the database, {wanted} in the models"
    thing = details[-1]
    if what == "column":
        name = f"{details[1]}.{thing.name}"
    elif what == "table":
        name = thing.name
    else:  # an index, constraint or foreign key: name it with its table
        name = f"{thing.name or ', '.join(column.name for column in thing.columns)} on {thing.table.name}"
    where = "missing from the database" if verb == "add" else "not in the models"
    return f"{where}: {what.replace('fk', 'foreign key')} {name}"
