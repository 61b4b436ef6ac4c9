"""A store that cannot be reached is told from any other fault, named without a password, and a
turn whose action finds its database gone is abandoned whole: the real model and actions
in-process, on a real PostgreSQL database that stops taking connections mid-conversation."""
from __future__ import annotations

import contextlib
import json

import pytest
import redis
import sqlalchemy as sa
from rasa.utils.endpoints import ClientResponseError
from sqlmodel import Session, select

from bot.channels.storage import StoreUnavailable, store_unavailable
from campaigns.records.models import Screening


def _raised(call):
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


def test_a_redis_that_is_not_there_is_the_lock_store_unreachable_without_its_password():
    error = _raised(lambda: redis.Redis(host="127.0.0.1", port=1, password="hunter2-redis").ping())
    down = store_unavailable(RuntimeError("Rasa's LockError"))  # not a store: nothing to say
    assert down is None
    try:
        raise RuntimeError("Error while acquiring lock") from error  # as Rasa's LockError wraps it
    except RuntimeError as wrapped:
        down = store_unavailable(wrapped)
    assert down.reason == "the lock store (Redis) cannot be reached: ConnectionError: Error 111 connecting to " \
                          "127.0.0.1:1. Connection refused."
    assert down.status_code == 503 and "127.0.0.1" not in str(down)


def test_a_database_that_is_not_there_is_named_with_the_drivers_first_line_only():
    engine = sa.create_engine("postgresql+psycopg2://screen:hunter2-pg@127.0.0.1:1/screening")
    error = _raised(lambda: engine.connect())
    down = store_unavailable(error)
    assert down.reason == ('the database (PostgreSQL) cannot be reached: OperationalError: connection to server at '
                           '"127.0.0.1", port 1 failed: Connection refused')
    # What an action server answers when an action's database is gone: rasa_sdk's 500 with the error's text.
    body = json.dumps({"error": str(error), "request_body": {"next_action": "action_finish_screening"}})
    reported = store_unavailable(ClientResponseError(500, "Internal Server Error", body))
    assert reported.reason.startswith("the database (of the action server) cannot be reached: "
                                      "ClientResponseError: (psycopg2.OperationalError) connection to server at")
    assert store_unavailable(ClientResponseError(500, "Internal Server Error", '{"error": "KeyError: x"}')) is None


def test_an_action_server_that_is_not_there_is_a_jammed_turn_not_a_store_outage():
    """Rasa wraps the refused connection to the action server (aiohttp's, around a
    ConnectionRefusedError); the turn gets a way forward, not a 503."""
    import asyncio

    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import EndpointConfig

    async def refused():
        await EndpointConfig("http://127.0.0.1:1/webhook").request(method="post", json={})

    error = _raised(lambda: asyncio.run(refused()))
    try:
        raise RasaException("Failed to execute custom action") from error  # as RemoteAction.run does
    except RasaException as wrapped:
        assert store_unavailable(wrapped) is None
    assert isinstance(error.__cause__ or error.__context__, ConnectionRefusedError) or "refused" in str(error).lower()


def test_a_password_in_an_error_message_is_hidden():
    error = ConnectionRefusedError("cannot reach postgresql://screen:hunter2@db:5432/x (password=hunter3)")
    assert store_unavailable(error).reason == ("a store cannot be reached: ConnectionRefusedError: cannot reach "
                                               "postgresql://screen:***@db:5432/x (password=***")


@contextlib.contextmanager
def _database_gone(pg_server, url: str):
    name = sa.engine.make_url(url).database
    with contextlib.closing(pg_server.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            yield
        finally:
            cursor.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")


def test_an_action_whose_database_is_gone_abandons_the_whole_turn_and_the_answer_is_taken_once_it_is_back(
        screening_bot, event_loop_for_bot, pg_db, pg_url, pg_server):
    sender = "+14155550181"

    def say(text: str):
        return event_loop_for_bot.run_until_complete(
            screening_bot.converse(sender, text, channel="sms", metadata={"phone": sender}))

    for text in ("report", "yes", "36.6", "no symptoms"):
        say(text)
    tracker = event_loop_for_bot.run_until_complete(screening_bot.agent.tracker_store.retrieve(sender))
    kept = [event.as_dict() for event in tracker.events]
    with _database_gone(pg_server, pg_url):
        with pytest.raises(StoreUnavailable) as refused:  # the screening's action cannot record it
            say("no")
    assert refused.value.reason.startswith("the database (PostgreSQL) cannot be reached: OperationalError")
    tracker = event_loop_for_bot.run_until_complete(screening_bot.agent.tracker_store.retrieve(sender))
    assert [event.as_dict() for event in tracker.events] == kept  # the tracker stays in memory: nothing of the turn
    reply = say("no")
    assert "Stay well" in reply.texts[-1], reply.texts
    with Session(pg_db) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id == sender)).all()
    assert [(row.temperature_c, row.channel) for row in rows] == [(36.6, "sms")]
