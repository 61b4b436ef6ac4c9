"""Carrier statuses are written in groups (one transaction, one commit for what arrives while the
last group is written), yet each lands exactly once and each callback is answered only once its
own row is committed: the real voice and SMS channels on a real Sanic server in this process,
on a real SQLite file and a real PostgreSQL database; PostgreSQL stopped in the middle of a group."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bot.channels import storage
from bot.channels.storage import StoreUnavailable, carrier_event
from bot.channels.twilio_base import TwilioWebhookConfig
from campaigns.records.models import Attempt, Campaign, CarrierEvent, Household
from tests import live

TOKEN = "status-batch-token"
NOW = datetime.now(timezone.utc)
ATTEMPTS = 40
STATUSES = ("ringing", "in-progress", "busy", "no-answer")  # never "completed": that one hangs up a turn


class StatusServer:
    """The voice and SMS channels' blueprints served by Sanic on 127.0.0.1, in a process of its own
    (tests/bot/status_server.py; Sanic 21 starts one app per process), on `database_url`."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        self.port = live.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = TwilioWebhookConfig(auth_token=TOKEN, public_url=self.url)
        self.log = tmp / "status_server.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.bot.status_server", str(self.port), TOKEN], cwd=live.ROOT,
                env={**os.environ, "SCREENING_DATABASE_URL": database_url}, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            live.wait_up(f"{self.url}/webhooks/voice/", self.proc, 60)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        live.stop_process(self.proc)

    def said(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def read(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return json.loads(answer.read())

    def callback(self, attempt_id: int, status: str) -> tuple[str, dict, str]:
        """A voice status callback as Twilio signs it: (URL, fields, signature)."""
        url = f"{self.url}/webhooks/voice/status?{urlencode({'ref': self.config.ref(attempt_id)})}"
        fields = {"CallSid": f"CA{attempt_id:032d}", "CallStatus": status}
        return url, fields, RequestValidator(TOKEN).compute_signature(url, fields)

    def post_all(self, callbacks: list[tuple[str, dict, str]]) -> list[int]:
        """All at once, each on its own connection; the HTTP status of each, in order."""
        async def post(session, url, fields, signature) -> int:
            async with session.post(url, data=fields, headers={"X-Twilio-Signature": signature}) as answer:
                await answer.read()
                return answer.status

        async def main() -> list[int]:
            connector = aiohttp.TCPConnector(limit=0, force_close=True)
            async with aiohttp.ClientSession(connector=connector) as session:
                return list(await asyncio.gather(*(post(session, *one) for one in callbacks)))

        return asyncio.run(main())


@pytest.fixture
def serve(tmp_path):
    """A factory: serve(engine) is a status server on that engine's database, stopped after the test."""
    started = []

    def make(engine) -> StatusServer:
        started.append(StatusServer(tmp_path, str(engine.url.render_as_string(hide_password=False))))
        return started[-1]

    yield make
    for server in started:
        server.stop()


def _attempts(engine, count: int = ATTEMPTS) -> list[int]:
    with Session(engine) as session:
        session.add(Campaign(id="c1", status="paused", spec_json=json.dumps({"language": "en"})))
        session.add_all(Household(id=f"H-{n}", phone=f"+1415555{n:04d}", timezone="UTC") for n in range(count))
        session.flush()
        attempts = [Attempt(campaign_id="c1", household_id=f"H-{n}", day=date.today(), round_no=1,
                            due_at=NOW, status="dialing") for n in range(count)]
        session.add_all(attempts)
        session.commit()
        return [attempt.id for attempt in attempts]


def _events(engine) -> list[tuple[int, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(CarrierEvent).order_by(CarrierEvent.id)).all()
        return [(row.attempt_id, row.status, row.carrier_ref) for row in rows]


@contextlib.contextmanager
def _commits(engine):
    """Counts the commits made on `engine` meanwhile (one per transaction the writer ran)."""
    seen: list[int] = []

    def counted(_connection) -> None:
        seen.append(1)

    sa.event.listen(engine, "commit", counted)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "commit", counted)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request):
    """A fresh database of each kind, read by the channels through SCREENING_DATABASE_URL."""
    yield request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def test_many_concurrent_callbacks_each_land_exactly_once_in_fewer_transactions(serve, store):
    ids = _attempts(store)
    status_server = serve(store)
    callbacks = [status_server.callback(attempt, status) for attempt in ids for status in STATUSES]
    repeated = callbacks + callbacks[::7]  # Twilio repeats some, at the same moment
    before = status_server.read("/commits")
    answers = status_server.post_all(repeated)
    commits = status_server.read("/commits") - before
    assert answers == [204] * len(repeated)
    stored = _events(store)
    expected = {(attempt, status, f"CA{attempt:032d}") for attempt in ids
                for status in ("ringing", "in_progress", "busy", "no_answer")}
    assert len(stored) == len(expected) and set(stored) == expected  # every one, once
    assert 1 <= commits < len(repeated) / 4, commits  # grouped: far fewer commits than callbacks


def test_a_repeat_inside_one_group_is_stored_once_and_said_so(store):
    attempt, = _attempts(store, 1)

    async def together():
        return await asyncio.gather(*(carrier_event(attempt_id=attempt, status=status, carrier_ref="CA1")
                                      for status in ("ringing", "ringing", "in_progress", "ringing")))

    with _commits(store) as commits:
        assert asyncio.run(together()) == [True, False, True, False]
    assert len(commits) == 1  # one group
    assert _events(store) == [(attempt, "ringing", "CA1"), (attempt, "in_progress", "CA1")]
    assert asyncio.run(together()) == [False, False, False, False]  # repeats of a committed group
    assert len(_events(store)) == 2


def test_a_group_is_stored_in_the_order_it_arrived(store):
    """Dispatchers apply events by id: a group keeps the order its callbacks came in."""
    attempt, = _attempts(store, 1)
    statuses = ["ringing", "in_progress", "no_answer", "busy", "failed", "canceled", "machine", "completed"]

    async def together():
        return await asyncio.gather(*(carrier_event(attempt_id=attempt, status=status, carrier_ref=f"CA{n}")
                                      for n, status in enumerate(statuses * 4)))

    with _commits(store) as commits:
        assert asyncio.run(together()) == [True] * 32
    assert len(commits) == 1
    assert [status for _, status, _ in _events(store)] == statuses * 4


def test_unknown_attempts_are_ignored_with_their_log_line_and_the_others_kept(store, caplog):
    attempt, = _attempts(store, 1)

    async def together():
        return await asyncio.gather(carrier_event(attempt_id=attempt + 1000, status="ringing", carrier_ref="CAx"),
                                    carrier_event(attempt_id=attempt, status="ringing", carrier_ref="CA1"),
                                    carrier_event(attempt_id=None, status="ringing", carrier_ref="CAy"))

    with caplog.at_level(logging.WARNING, logger="bot.channels.storage"):
        assert asyncio.run(together()) == [False, True, False]
    assert _events(store) == [(attempt, "ringing", "CA1")]
    said = [record.getMessage() for record in caplog.records]
    assert f"status ringing for unknown attempt {attempt + 1000} ignored" in said
    assert "status ringing for CAy names no attempt; ignored" in said


def test_unknown_attempts_over_http_are_answered_and_not_stored(serve, db):
    ids = _attempts(db, 2)
    status_server = serve(db)
    answers = status_server.post_all([status_server.callback(ids[0], "ringing"),
                                      status_server.callback(ids[1] + 500, "ringing")])
    assert answers == [204, 204]
    assert _events(db) == [(ids[0], "ringing", f"CA{ids[0]:032d}")]
    assert f"WARNING bot.channels.storage: status ringing for unknown attempt {ids[1] + 500} ignored" \
        in status_server.said()


def test_sms_delivery_failures_are_grouped_too(serve, db):
    ids = _attempts(db, 10)
    status_server = serve(db)

    def failed(attempt: int, code: str) -> tuple[str, dict, str]:
        url = f"{status_server.url}/webhooks/sms/status?{urlencode({'ref': status_server.config.ref(attempt)})}"
        fields = {"MessageSid": f"SM{attempt}", "MessageStatus": "undelivered", "ErrorCode": code}
        return url, fields, RequestValidator(TOKEN).compute_signature(url, fields)

    answers = status_server.post_all([failed(attempt, "21610" if n % 2 else "30003") for n, attempt in enumerate(ids)])
    assert answers == [204] * len(ids)
    with Session(db) as session:
        rows = session.exec(select(CarrierEvent).order_by(CarrierEvent.attempt_id)).all()
    assert [(row.attempt_id, row.status, row.opted_out) for row in rows] == \
        [(attempt, "failed", bool(n % 2)) for n, attempt in enumerate(ids)]


def test_a_bad_status_fails_alone_not_its_whole_group(db):
    """A fault that is not the store's (here a value that cannot be written) is its caller's alone:
    the group is written again one status at a time, and the others in it are stored."""
    ids = _attempts(db, 3)

    async def together():
        return await asyncio.gather(
            carrier_event(attempt_id=ids[0], status="ringing", carrier_ref="CA0"),
            carrier_event(attempt_id=ids[1], status="ringing", carrier_ref=object()),  # not text: refused
            carrier_event(attempt_id=ids[2], status="ringing", carrier_ref="CA2"), return_exceptions=True)

    first, bad, last = asyncio.run(together())
    assert (first, last) == (True, True) and not isinstance(bad, (bool, StoreUnavailable)), bad
    assert sorted(_events(db)) == sorted([(ids[0], "ringing", "CA0"), (ids[2], "ringing", "CA2")])


@contextlib.contextmanager
def _table_locked(url: str):
    """Writers to carrier_events wait: a transaction of the test's holds the table. Yields a
    function counting the transactions waiting for it."""
    engine = sa.create_engine(url)

    def waiters() -> int:
        with contextlib.closing(engine.raw_connection()) as other:
            cursor = other.cursor()
            cursor.execute("SELECT count(*) FROM pg_locks WHERE relation = 'carrier_events'::regclass AND NOT granted")
            return cursor.fetchone()[0]

    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sa.text("LOCK TABLE carrier_events IN ACCESS EXCLUSIVE MODE"))
        try:
            yield waiters
        finally:
            with contextlib.suppress(sa.exc.DBAPIError):
                transaction.rollback()
    engine.dispose()


def _database(pg_server, url: str, *, up: bool) -> None:
    """Stop taking connections and end the open ones (up=False), or take them again."""
    name = sa.engine.make_url(url).database
    with contextlib.closing(pg_server.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {'true' if up else 'false'}")
        if not up:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def _wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_postgresql_gone_mid_group_fails_every_callback_in_it_with_503_and_keeps_none(serve, pg_db, pg_url, pg_server):
    ids = _attempts(pg_db)
    status_server = serve(pg_db)
    first = status_server.callback(ids[0], "ringing")
    grouped = [status_server.callback(attempt, status) for attempt in ids[1:] for status in ("ringing", "busy")]
    with ThreadPoolExecutor(2) as pool:
        with _table_locked(pg_url) as waiters:
            ahead = pool.submit(status_server.post_all, [first])  # its group waits on the lock
            _wait_for(lambda: waiters() == 1)
            behind = pool.submit(status_server.post_all, grouped)  # these gather behind it
            _wait_for(lambda: status_server.read("/waiting") == len(grouped))
            _database(pg_server, pg_url, up=False)  # the lock's holder, and the writer, are cut off
        try:
            assert ahead.result(60) == [503] and behind.result(60) == [503] * len(grouped)
        finally:
            _database(pg_server, pg_url, up=True)
    said = [line for line in status_server.said() if "answered 503" in line]
    assert len(said) == 2 and said[-1].endswith(f"answered 503 to {len(grouped)} status callback(s)"), said
    assert all(line.startswith("ERROR bot.channels.storage: the database (PostgreSQL) cannot be reached: "
                               "OperationalError") for line in said), said
    assert _events(pg_db) == []  # nothing of either group
    assert status_server.post_all([first] + grouped) == [204] * (1 + len(grouped))  # Twilio's retries
    assert len(_events(pg_db)) == 1 + len(grouped)


def test_sqlite_busy_past_its_timeout_fails_the_group_with_503_and_keeps_none(db):
    """SQLite's own outage: the file locked by another writer past the busy timeout (a tenth of
    a second here; 30 s in the real engine)."""
    ids = _attempts(db, 5)
    blocker = sqlite3.connect(db.url.database, timeout=1)
    blocker.execute("BEGIN IMMEDIATE")
    impatient = sa.create_engine(db.url, connect_args={"timeout": 0.1, "check_same_thread": False})

    async def together():
        return await asyncio.gather(*(carrier_event(attempt_id=attempt, status="ringing", carrier_ref=f"CA{attempt}")
                                      for attempt in ids), return_exceptions=True)

    real = storage.get_engine
    storage.get_engine = lambda url: impatient
    try:
        answers = asyncio.run(together())
    finally:
        storage.get_engine = real
        blocker.rollback()
        blocker.close()
        impatient.dispose()
    assert all(isinstance(answer, StoreUnavailable) and answer.status_code == 503 for answer in answers), answers
    assert len({id(answer) for answer in answers}) == len(answers)  # one each, not one shared
    assert answers[0].reason.startswith("the database (SQLite) cannot be reached: OperationalError: database is locked")
    assert _events(db) == []
