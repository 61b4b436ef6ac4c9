"""When Redis (the lock store) or PostgreSQL (trackers and records) goes away, the real Rasa
server answers 503 and names the store in one log line, with no password; nothing of the
refused turn is recorded; once the store is back, the conversation carries on at the same
question, and every screening is recorded once.

One live server (`python -m bot.serve`, one worker) on a database of its own on the test
PostgreSQL server and on a Redis of its own, so stopping either disturbs no other test.
PostgreSQL "goes away" for that database alone: it stops accepting connections and the open
ones are ended (ALLOW_CONNECTIONS false and pg_terminate_backend, which bind the superuser too).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.records.models import Household, Screening
from tests import live, redis_server
from tests.live import ACCOUNT_SID, AUTH_TOKEN, BOT_TOKEN, CALLER_ID
from tests.twilio_emulator import TwilioEmulator

REDIS_PASSWORD = "redis-secret-7731"
PG_PASSWORD = "pg-secret-4410"  # PostgreSQL trusts 127.0.0.1 and ignores it: it is here to be hidden
ASKS_TEMPERATURE = "temperature"
ASKS_SYMPTOMS = "fever, chills"  # the symptoms question lists them


@pytest.fixture(scope="module")
def own_redis():
    """A Redis of this module's own, with a password, restartable on its port."""
    server = redis_server.RedisServer(base=Path(tempfile.mkdtemp(prefix="outage-redis-")))
    binary = redis_server.ensure_binary()
    server.start(binary)
    server.binary = binary
    yield server
    server.stop()


def _redis_command(server) -> list[str]:
    return [server.binary, "--port", str(server.port), "--bind", "127.0.0.1", "--dir", str(server.base),
            "--save", "", "--appendonly", "no", "--requirepass", REDIS_PASSWORD]


def _restart_redis(server, *, up: bool) -> None:
    """Stop the Redis (up=False), or start it again on the same port (up=True)."""
    server.stop_process()
    if up:
        server.proc = subprocess.Popen(_redis_command(server), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if redis.Redis(port=server.port, password=REDIS_PASSWORD, socket_timeout=2).ping():
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not come back")


@pytest.fixture(scope="module")
def outage_server(tmp_path_factory, pg_server, own_redis, model_path):
    _restart_redis(own_redis, up=True)  # with its password from now on
    name = "outages"
    pg_server.create_database(name)
    database_url = pg_server.url(name).replace("postgres@", f"postgres:{PG_PASSWORD}@")
    tmp = tmp_path_factory.mktemp("outages")
    server = live.start(tmp, database_url=database_url, startup_seconds=300, extra_env={
        "SCREENING_REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{own_redis.port}/0", "SANIC_WORKERS": "1"})
    server.pg, server.db_name = pg_server, name
    yield server
    live.stop(server)
    pg_server.drop_database(name)


def _text(server, phone: str, text: str) -> tuple[int, str]:
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            return await emulator.text_us(phone, text)

    return asyncio.run(main())


def _post(server, path: str, body: dict, token: str | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{server.url}{path}", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _admin(server, statement: str, database: str = "postgres") -> None:
    with contextlib.closing(server.pg.connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(statement)


def _database(server, *, up: bool) -> None:
    """Let connections to the server's database in again, or refuse them and end the open ones."""
    _admin(server, f"ALTER DATABASE {server.db_name} WITH ALLOW_CONNECTIONS {'true' if up else 'false'}")
    if not up:
        _admin(server, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{server.db_name}'")


def _rows(server, phone: str) -> list[tuple]:
    engine = sa.create_engine(server.database_url)
    try:
        with Session(engine) as session:
            household = session.exec(select(Household).where(Household.phone == phone)).one()
            rows = session.exec(select(Screening).where(Screening.household_id == household.id)).all()
            return [(row.temperature_c, row.symptoms, row.channel, row.conversation_id) for row in rows]
    finally:
        engine.dispose()


def _events(server, sender: str) -> list[str]:
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return [f"{kind}:{data.get('name') or data.get('text') or ''}" for kind, data in
                    ((row[0], json.loads(row[1])) for row in connection.execute(sa.text(
                        "SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}))]
    finally:
        engine.dispose()


def _log_since(server, offset: int) -> str:
    return server.log.read_bytes()[offset:].decode(errors="replace")


def _mark(server) -> int:
    return server.log.stat().st_size


def test_redis_gone_is_a_503_with_one_log_line_and_the_conversation_carries_on_after(outage_server, own_redis):
    phone = "+14155550171"
    assert [_text(outage_server, phone, text)[0] for text in ("report", "yes")] == [200, 200]
    events = _events(outage_server, phone)
    mark = _mark(outage_server)
    _restart_redis(own_redis, up=False)
    try:
        assert _text(outage_server, phone, "36.6")[0] == 503
        assert _post(outage_server, "/webhooks/chat/webhook", {"sender": "outage-chat", "message": "hi"})[0] == 503
    finally:
        _restart_redis(own_redis, up=True)
    said = _log_since(outage_server, mark)
    lines = [line for line in said.splitlines() if "the lock store (Redis) cannot be reached: ConnectionError" in line]
    assert len(lines) == 2, said  # one a refused request
    assert "answered 503" in lines[0] and "Traceback" not in said and REDIS_PASSWORD not in said
    assert _events(outage_server, phone) == events  # the refused turn left nothing
    status, answer = _text(outage_server, phone, "36.6")  # the same answer, once Redis is back
    assert status == 200 and ASKS_SYMPTOMS in answer.lower(), answer
    assert [status for status, _ in (_text(outage_server, phone, "no symptoms"),)] == [200]
    status, answer = _text(outage_server, phone, "no")
    assert status == 200 and "Stay well" in answer, answer
    assert _rows(outage_server, phone) == [(36.6, "", "sms", phone)]


def test_database_gone_is_a_503_on_every_channel_with_one_log_line_each_and_the_conversation_carries_on(
        outage_server):
    phone = "+14155550172"
    assert [_text(outage_server, phone, text)[0] for text in ("report", "yes")] == [200, 200]
    events = _events(outage_server, phone)
    mark = _mark(outage_server)
    _database(outage_server, up=False)
    try:
        assert _text(outage_server, phone, "36.6")[0] == 503
        assert _post(outage_server, "/webhooks/chat/webhook", {"sender": "outage-chat-2", "message": "hi"})[0] == 503
        status, body = _post(outage_server, "/webhooks/outreach/say", {"attempt": 1, "channel": "sms", "text": "hi"},
                             token=BOT_TOKEN)
        assert (status, json.loads(body)) == (503, {"error": "the service is briefly unavailable; please try again "
                                                             "in a minute"})
    finally:
        _database(outage_server, up=True)
    said = _log_since(outage_server, mark)
    # One line per refused request: an open connection found closed, or a new one refused.
    lines = [line for line in said.splitlines() if "the database (PostgreSQL) cannot be reached: OperationalError: "
             in line and ("server closed the connection" in line or "not currently accepting connections" in line)]
    assert len(lines) == 3 and all("answered 503" in line for line in lines), said
    assert "Traceback" not in said and PG_PASSWORD not in said
    assert _events(outage_server, phone) == events
    status, answer = _text(outage_server, phone, "36.6")
    assert status == 200 and ASKS_SYMPTOMS in answer.lower(), answer
    assert [_text(outage_server, phone, text)[0] for text in ("no symptoms",)] == [200]
    status, answer = _text(outage_server, phone, "no")
    assert status == 200 and "Stay well" in answer, answer
    assert _rows(outage_server, phone) == [(36.6, "", "sms", phone)]


@contextlib.contextmanager
def _slow_save(server, sender: str, type_name: str):
    """Each `type_name` event saved for `sender` waits 5 s in the database, in the save's transaction."""
    _admin(server, "CREATE OR REPLACE FUNCTION outage_slow() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$", server.db_name)
    _admin(server, f"CREATE TRIGGER outage_slow BEFORE INSERT ON events FOR EACH ROW WHEN "
                   f"(NEW.sender_id = '{sender}' AND NEW.type_name = '{type_name}') EXECUTE FUNCTION outage_slow()",
           server.db_name)
    try:
        yield
    finally:
        _admin(server, "DROP TRIGGER IF EXISTS outage_slow ON events", server.db_name)


def _text_during_outage(server, phone: str, text: str) -> int:
    """Text `text`; once its turn is being saved (sleeping in the trigger), the database goes away."""
    answer: list[tuple[int, str]] = []
    sender = threading.Thread(target=lambda: answer.append(_text(server, phone, text)))
    sender.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _saving(server):
        time.sleep(0.05)
    assert _saving(server), "the turn was never saved"
    _database(server, up=False)
    sender.join(60)
    _database(server, up=True)
    return answer[0][0]


def _saving(server) -> bool:
    with contextlib.closing(server.pg.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event = 'PgSleep'",
                       (server.db_name,))
        return cursor.fetchone()[0] > 0


def test_the_database_going_away_while_a_turn_is_saved_leaves_none_of_the_turn_and_the_answer_is_asked_for_again(
        outage_server):
    phone = "+14155550173"
    assert [_text(outage_server, phone, text)[0] for text in ("report", "yes")] == [200, 200]
    events = _events(outage_server, phone)
    with _slow_save(outage_server, phone, "bot"):  # the user's event and the actions' are written by then
        assert _text_during_outage(outage_server, phone, "36.6") == 503
    assert _events(outage_server, phone) == events  # not half the turn: none of it
    status, answer = _text(outage_server, phone, "36.6")
    assert status == 200 and ASKS_SYMPTOMS in answer.lower(), answer
    after = _events(outage_server, phone)
    assert [e for e in after if e.startswith("user:")] == [e for e in events if e.startswith("user:")] + ["user:36.6"]


def test_the_database_going_away_as_the_screening_is_recorded_records_it_once(outage_server):
    phone = "+14155550174"
    for text in ("report", "yes", "36.6", "no symptoms"):
        assert _text(outage_server, phone, text)[0] == 200
    with _slow_save(outage_server, phone, "bot"):  # the screening is written by its action by then
        assert _text_during_outage(outage_server, phone, "no") == 503
    status, answer = _text(outage_server, phone, "no")  # the resident answers again
    assert status == 200 and "Stay well" in answer, answer
    assert _rows(outage_server, phone) == [(36.6, "", "sms", phone)]
