"""Two Rasa server replicas (`python -m bot.serve`, each running the actions in its own process;
`a` with a Sanic worker per core, `b` with one) on one database and one Redis, as behind a load
balancer: a conversation's turns may land on either, and two messages for one conversation at
the same instant are taken one after the other."""
from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.endpoints import workers
from campaigns.records.models import Household, Screening
from tests import live
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID
from tests.twilio_emulator import TwilioEmulator


def test_one_worker_per_core_only_with_redis():
    assert workers("redis://127.0.0.1:6379/0", 4) == 4
    assert workers(None, 4) == 1
    assert workers("redis://127.0.0.1:6379/0", 0) == 1


@pytest.fixture
def replicas(tmp_path, redis_server, redis_db, model_path):
    database_url = f"sqlite:///{tmp_path}/shared.db"
    env = {"SCREENING_REDIS_URL": redis_server.url(redis_db)}
    # `a` runs a Sanic worker per core (bot.serve's choice with Redis), `b` one.
    options = {"a": env, "b": {**env, "SANIC_WORKERS": "1"}}
    with ThreadPoolExecutor(2) as pool:
        started = list(pool.map(lambda name: live.start(tmp_path, database_url=database_url, extra_env=options[name],
                                                        log_name=f"{name}.log"), ("a", "b")))
    yield started
    for server in started:
        live.stop(server)


def _text(server: live.LiveServer, phone: str, text: str) -> tuple[int, str]:
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            return await emulator.text_us(phone, text)

    return asyncio.run(main())


def _events(database_url: str, sender: str) -> list[dict]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        found = [json.loads(data) for (data,) in rows]
    engine.dispose()
    return found


def _screenings(database_url: str, phone: str) -> list[Screening]:
    engine = sa.create_engine(database_url)
    with Session(engine) as session:
        household = session.exec(select(Household).where(Household.phone == phone)).one()
        rows = list(session.exec(select(Screening).where(Screening.household_id == household.id)).all())
    engine.dispose()
    return rows


def _turns_whole(events: list[dict]) -> bool:
    """Each user message is answered and listened after before the next one is read."""
    since_user = None
    for event in events:
        if event["event"] == "user":
            if since_user is not None:
                return False
            since_user = event
        elif event["event"] == "action" and event.get("name") == "action_listen":
            since_user = None
    return True


def assert_each_taken_once_in_order(both: list, database_url: str, sender: str) -> None:
    """Two messages sent at once ("yes" and "36.6", after "report") were both answered, each
    stored once, each turn whole, in the order they happened."""
    assert [status for status, _ in both] == [200, 200], both
    events = _events(database_url, sender)
    texts = [e.get("text") for e in events if e["event"] == "user"]
    assert sorted(texts) == ["36.6", "report", "yes"], texts  # each once: none lost, none doubled
    assert _turns_whole(events), [(e["event"], e.get("name") or e.get("text")) for e in events]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)  # stored in the order they happened


def test_turns_alternating_between_replicas_and_two_at_once_are_each_taken_once_in_order(replicas):
    a, b = replicas
    phone = "+14155550177"
    replies = [_text(server, phone, text) for server, text in ((a, "report"), (b, "yes"), (a, "36.6"),
                                                                  (b, "no symptoms"), (a, "no"))]
    assert [status for status, _ in replies] == [200] * 5, replies
    assert "Stay well" in replies[-1][1], replies
    rows = _screenings(a.database_url, phone)
    assert [(row.temperature_c, row.conversation_id) for row in rows] == [(36.6, phone)]
    assert _turns_whole(_events(a.database_url, phone))

    # Another conversation: two messages at the same instant, one to each replica.
    other = "+14155550178"
    assert _text(a, other, "report")[0] == 200
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda pair: _text(pair[0], other, pair[1]), [(a, "yes"), (b, "36.6")]))
    assert_each_taken_once_in_order(both, a.database_url, other)


def test_serve_gives_the_rasa_server_a_worker_per_core_with_redis_only(monkeypatch):
    import os

    from bot.serve import rasa_workers
    from campaigns.settings import get_settings

    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    monkeypatch.setenv("SCREENING_REDIS_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    assert rasa_workers() == str(os.cpu_count())
    monkeypatch.setenv("SANIC_WORKERS", "3")
    assert rasa_workers() == "3"
    monkeypatch.delenv("SANIC_WORKERS")
    monkeypatch.setenv("SCREENING_REDIS_URL", "")
    get_settings.cache_clear()
    assert rasa_workers() == "1"
    get_settings.cache_clear()
