"""Alembic's environment: runs the revisions on the connection `runner` hands over (inside its
transaction and lock), or, for the `alembic` command line (alembic.ini at the top), on the
database SCREENING_DATABASE_URL names."""
from __future__ import annotations

from alembic import context

from campaigns.records.migrations.runner import context_options


def run(connection) -> None:
    context.configure(connection=connection, **context_options(connection.dialect.name))
    with context.begin_transaction():  # inside runner's transaction this adds none
        context.run_migrations()


def run_from_command_line() -> None:
    from campaigns.records.db import make_engine
    from campaigns.settings import get_settings

    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        run(connection)
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("the revisions run on a database, not as SQL text (--sql is not supported)")
elif "connection" in context.config.attributes:
    run(context.config.attributes["connection"])
else:
    run_from_command_line()
