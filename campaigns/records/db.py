"""The database engine: one per URL, SQLite tuned for several processes, the schema brought to the
newest revision on first use (migrations/runner.py)."""
from __future__ import annotations

import sqlite3
import time
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

from campaigns.records.migrations import runner


@lru_cache(maxsize=8)
def get_engine(url: str) -> sa.engine.Engine:
    """One engine per database URL, its schema brought to the newest revision on first use: an
    empty database gets every table, an older one its migrations (runner.SchemaError if it cannot)."""
    engine = make_engine(url)
    try:
        runner.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def make_engine(url: str) -> sa.engine.Engine:
    """An engine for `url`, tuned as the processes here need, with the schema left as it is."""
    kwargs: dict = {}
    if url.startswith("sqlite"):
        _make_sqlite_dir(url)
        # The action server answers from several threads; SQLite needs to be told that's fine.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if not url.rstrip("/").endswith(":memory:") and url != "sqlite://":
            # SQLAlchemy 1.4 opens a new SQLite connection per session by default; the
            # dispatcher opens thousands of sessions, so keep connections pooled.
            kwargs["poolclass"] = sa.pool.QueuePool
    else:  # a connection the server closed (a restart, an outage) is replaced, not failed on
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(url, future=True, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _make_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the console and exports read while the action server writes. With WAL,
    # synchronous=NORMAL still survives a killed process; only a power cut may lose the
    # last commits, and it spares an fsync per commit (the dispatcher commits often).
    cursor = dbapi_connection.cursor()
    # Switching a new file to WAL answers "database is locked" at once, without the busy timeout,
    # while another connection switches it too (processes starting together): try again shortly.
    for tries_left in reversed(range(100)):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if not tries_left:
                raise
            time.sleep(0.02)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
