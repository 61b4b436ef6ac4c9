"""Conversations survive a restart: the Rasa server keeps its trackers in the project database
(Rasa's SQL tracker store, table `events`), so a fresh server, after the old one was killed,
carries on at the same question with the earlier answers kept. SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import signal

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.endpoints import EndpointsError, lock_store, tracker_store
from campaigns.records.models import Household, Screening
from tests import live
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID
from tests.twilio_emulator import TwilioEmulator


def test_tracker_store_is_built_from_a_sqlite_url():
    assert tracker_store("sqlite:///out/screening.db") == {"type": "bot.trackers.KeptSQLTrackerStore", "dialect": "sqlite",
                                                            "db": "out/screening.db"}


def test_tracker_store_is_built_from_a_postgresql_url_with_its_password_and_options():
    assert tracker_store("postgresql+psycopg2://screen:p%40ss@db.internal:5433/screening?sslmode=require") == {
        "type": "bot.trackers.KeptSQLTrackerStore", "dialect": "postgresql+psycopg2", "db": "screening", "url": "db.internal",
        "port": 5433, "username": "screen", "password": "p@ss", "query": {"sslmode": "require"}}


def test_a_bad_database_url_is_named_without_its_password():
    with pytest.raises(EndpointsError) as error:
        tracker_store("not a url :secret-password@")
    assert "SCREENING_DATABASE_URL" in str(error.value) and "secret-password" not in str(error.value)


def test_lock_store_is_built_from_a_redis_url():
    assert lock_store("redis://:s%3Acret@cache.internal:6390/2") == {
        "type": "bot.locks.SafeRedisLockStore", "url": "cache.internal", "port": 6390, "db": 2, "password": "s:cret"}
    assert lock_store("redis://localhost") == {"type": "bot.locks.SafeRedisLockStore", "url": "localhost", "port": 6379, "db": 0}


@pytest.mark.parametrize("url", ["redis://", "http://localhost:6379", "redis://h:port/0", "redis://h/x"])
def test_a_bad_redis_url_is_refused(url):
    with pytest.raises(EndpointsError, match="SCREENING_REDIS_URL"):
        lock_store(url)


def _texts(server: live.LiveServer, phone: str, *texts: str) -> list[tuple[int, str]]:
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            return [await emulator.text_us(phone, text) for text in texts]

    return asyncio.run(main())


def _events(engine, sender: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                                       {"s": sender}).scalars())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_conversation_carries_on_after_the_server_is_killed_and_restarted(backend, request, tmp_path, model_path):
    database_url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path}/live.db"
    engine = sa.create_engine(database_url)
    phone = "+14155550142"
    first = live.start(tmp_path, database_url=database_url, log_name="first.log")
    try:
        replies = _texts(first, phone, "report", "yes")
        assert [status for status, _ in replies] == [200, 200]
        assert "temperature" in replies[-1][1].lower()
        written = _events(engine, phone)
        assert "user" in written and "action" in written
    finally:
        live.stop_process(first.proc, signal.SIGKILL)  # a crash: nothing is flushed on the way out
    second = live.start(tmp_path, database_url=database_url, log_name="second.log")
    try:
        replies = _texts(second, phone, "36.6", "no symptoms", "no")
    finally:
        live.stop(second)
    assert [status for status, _ in replies] == [200] * 3, replies
    assert "Stay well" in replies[-1][1], replies
    with Session(engine) as session:
        walk_in = session.exec(select(Household).where(Household.phone == phone)).one()
        rows = session.exec(select(Screening).where(Screening.household_id == walk_in.id)).all()
    assert [(row.temperature_c, row.channel, row.conversation_id) for row in rows] == [(36.6, "sms", phone)]
    assert len(_events(engine, phone)) > len(written)
    engine.dispose()


def test_a_redis_url_that_is_not_one_is_refused_without_showing_it(monkeypatch):
    from pydantic import ValidationError

    from campaigns.settings import Settings

    monkeypatch.setenv("SCREENING_REDIS_URL", "http://:hunter2@cache:6379/0")
    with pytest.raises(ValidationError) as error:
        Settings()
    assert "redis_url" in str(error.value) and "hunter2" not in str(error.value)
