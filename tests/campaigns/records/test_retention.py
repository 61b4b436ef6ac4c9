"""Conversation retention on real rows in Rasa's own `events` table, SQLite and PostgreSQL:
whole conversations go once their newest event is past the period, in batches; the rest stay."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from campaigns.outreach.clock import RealClock
from campaigns.outreach.dispatcher import Dispatcher
from campaigns.records.conversations import Retention, delete_old_conversations
from campaigns.settings import get_settings

DAY = 86_400.0
NOW = time.time()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    fixture = "db" if request.param == "sqlite" else "pg_db"
    engine = request.getfixturevalue(fixture)
    SQLTrackerStore.SQLEvent.__table__.create(engine)  # Rasa's own table, as its tracker store makes it
    return engine


def _add(engine, sender: str, *days_ago: float) -> None:
    with engine.begin() as connection:
        for ago in days_ago:
            stamp = NOW - ago * DAY
            connection.execute(sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                       "VALUES (:s, 'user', :t, :d)"),
                               {"s": sender, "t": stamp, "d": json.dumps({"event": "user", "timestamp": stamp})})


def _senders(engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id"))
        return dict(rows.all())


def test_conversations_past_retention_are_deleted_whole_and_in_batches(engine):
    for n in range(5):
        _add(engine, f"+1415555000{n}", 45, 40 - n)  # over 30 days old: all their events go
    _add(engine, "still-talking", 60, 31, 0.01)  # an old start, but a recent turn: kept whole
    _add(engine, "yesterday", 1)
    _add(engine, "just-inside", 29.9)
    deleted = delete_old_conversations(engine, older_than=timedelta(days=30), now=NOW, batch=2)
    assert deleted == 5
    assert _senders(engine) == {"still-talking": 3, "yesterday": 1, "just-inside": 1}


def test_nothing_to_do_without_the_events_table(db):
    assert delete_old_conversations(db, older_than=timedelta(days=30)) == 0


def test_a_conversation_that_wakes_up_mid_batch_is_kept(engine, monkeypatch):
    _add(engine, "sleeper", 40)
    with engine.connect() as probe:
        connection_class = type(probe)  # SQLAlchemy's future Connection, or the classic one
    real_execute = connection_class.execute

    def execute_then_wake(connection, statement, *args, **kwargs):
        if "DELETE" in str(statement):  # the resident answers between the SELECT and the DELETE
            real_execute(connection, sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                             "VALUES ('sleeper', 'user', :t, '{}')"), {"t": NOW})
        return real_execute(connection, statement, *args, **kwargs)

    monkeypatch.setattr(connection_class, "execute", execute_then_wake)
    assert delete_old_conversations(engine, older_than=timedelta(days=30), now=NOW) == 1  # counted, not deleted
    monkeypatch.undo()
    assert _senders(engine) == {"sleeper": 2}


def test_the_dispatchers_housekeeping_applies_the_retention_setting_at_most_hourly(engine, monkeypatch):
    monkeypatch.setenv("SCREENING_CONVERSATION_RETENTION_DAYS", "7")
    get_settings.cache_clear()
    _add(engine, "last-week", 8)
    _add(engine, "this-week", 6)
    dispatcher = Dispatcher(engine, clock=RealClock(), carrier=lambda d: None)
    asyncio.run(dispatcher.housekeeping())
    assert _senders(engine) == {"this-week": 1}
    _add(engine, "also-old", 9)
    asyncio.run(dispatcher.housekeeping())  # within the hour: not checked again
    assert set(_senders(engine)) == {"this-week", "also-old"}


def test_retention_runs_again_after_its_interval(db):
    SQLTrackerStore.SQLEvent.__table__.create(db)
    retention = Retention(db, days=30, every=0.0)
    _add(db, "a", 31)
    assert asyncio.run(retention.run()) == 1
    _add(db, "b", 31)
    assert asyncio.run(retention.run()) == 1


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_a_retention_below_one_day_is_refused(days, monkeypatch):
    from pydantic import ValidationError

    from campaigns.settings import Settings

    monkeypatch.setenv("SCREENING_CONVERSATION_RETENTION_DAYS", days)
    with pytest.raises(ValidationError, match="conversation_retention_days"):
        Settings()
