"""Shared fixtures: the real trained model, the real actions in-process, a fresh database per test."""
from __future__ import annotations

import asyncio
import itertools
import socket

import pytest
from sqlmodel import Session, select

from campaigns.records.db import get_engine
from campaigns.records.models import Escalation, Household, OptOut, Screening
from campaigns.settings import get_settings

_senders = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """Any connection beyond this machine fails: tests never reach a live service."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            raise ConnectionRefusedError(f"tests may not reach {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A fresh SQLite database, used by the actions through SCREENING_DATABASE_URL."""
    url = f"sqlite:///{tmp_path}/screening.db"
    monkeypatch.setenv("SCREENING_DATABASE_URL", url)
    get_settings.cache_clear()
    yield get_engine(url)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def model_path():
    from bot.model import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def event_loop_for_bot():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def screening_bot(model_path):
    from bot.inprocess import InProcessBot

    return InProcessBot.load(model_path)


class Resident:
    """One resident chatting with the real model and actions; reads back what was stored."""

    def __init__(self, bot, loop, engine, sender_id: str, channel: str, metadata: dict | None):
        self.bot, self.loop, self.engine = bot, loop, engine
        self.sender_id, self.channel, self.metadata = sender_id, channel, metadata
        self.transcript: list[tuple[str, list[str]]] = []

    def say(self, text: str, metadata: dict | None = None) -> list[str]:
        meta = metadata if metadata is not None else self.metadata
        replies = self.loop.run_until_complete(
            self.bot.send(self.sender_id, text, channel=self.channel, metadata=meta)
        )
        self.transcript.append((text, replies))
        return replies

    def talk(self, *texts: str) -> list[str]:
        """Say each line in turn; returns the replies to the last one."""
        replies: list[str] = []
        for text in texts:
            replies = self.say(text)
        return replies

    def _all(self, model, *where):
        with Session(self.engine) as session:
            return session.exec(select(model).where(*where).order_by(model.id)).all()

    def rows(self) -> list[Screening]:
        return self._all(Screening, Screening.conversation_id == self.sender_id)

    def escalations(self) -> list[Escalation]:
        return self._all(Escalation, Escalation.conversation_id == self.sender_id)

    def opt_outs(self) -> list[OptOut]:
        return self._all(OptOut, OptOut.conversation_id == self.sender_id)

    def household(self) -> Household:
        rows = self.rows()
        with Session(self.engine) as session:
            if rows:
                return session.get(Household, rows[0].household_id)
            return session.exec(select(Household).where(Household.phone == self.sender_id)).one()


@pytest.fixture
def resident(screening_bot, event_loop_for_bot, db):
    """A factory: resident() is a new sender (a fresh E.164 number the carrier proved) on the chat channel."""

    def make(sender_id: str | None = None, channel: str = "rest", metadata: dict | None = None) -> Resident:
        sender = sender_id or f"+1415555{next(_senders):04d}"
        if metadata is None and sender.startswith("+"):
            metadata = {"phone": sender}  # a number the carrier proved, as the SMS channel says it
        return Resident(screening_bot, event_loop_for_bot, db, sender, channel, metadata)

    return make


# --- PostgreSQL: a real server for the session, a fresh database per test -------------------------

_pg_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server on 127.0.0.1, installed if missing. It fails, never skips: CI needs it."""
    from tests import pg

    try:
        server, problem = pg.start_server(), ""
    except pg.PgError as error:
        server, problem = None, str(error)
    if server is None:  # failed outside the except block, so the report is the message alone
        pytest.fail(f"PostgreSQL for the tests could not be set up: {problem}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh, empty PostgreSQL database (t_<n>), dropped after the test."""
    name = f"t_{next(_pg_databases)}"
    pg_server.create_database(name)
    url = pg_server.url(name)
    yield url
    # get_engine is cached: close the pooled connections of the test's engine before forgetting it.
    get_engine(url).dispose()
    get_engine.cache_clear()
    pg_server.drop_database(name)


@pytest.fixture
def pg_db(pg_url, monkeypatch):
    """Like `db`, on PostgreSQL: SCREENING_DATABASE_URL points at a fresh database; yields its engine."""
    monkeypatch.setenv("SCREENING_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    yield get_engine(pg_url)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, model_path):
    """The real Rasa server and action server, started once for the Twilio end-to-end tests."""
    from tests import live

    server = live.start(tmp_path_factory.mktemp("live"))
    yield server
    live.stop(server)


@pytest.fixture
def live_db(live_server, monkeypatch):
    """The live server's database, also used by this process (the dispatcher, the assertions)."""
    monkeypatch.setenv("SCREENING_DATABASE_URL", live_server.database_url)
    get_settings.cache_clear()
    yield get_engine(live_server.database_url)
    get_settings.cache_clear()
