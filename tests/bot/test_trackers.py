"""The tracker store the Rasa server uses (bot/trackers.py), on a real SQLite file and a real
PostgreSQL database: it hands out exactly what Rasa's own SQL tracker store would load, while
another store on the same database (a replica) takes turns of the same conversation, after a
save that failed, after retention deleted the conversation, with a bounded memory; and the real
bot, its turns shared out between two such stores, says and stores what it does with Rasa's."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from bot.channels.conversation import hang_up
from bot.endpoints import tracker_store
from bot import trackers
from bot.trackers import KeptSQLTrackerStore
from campaigns.records.conversations import delete_old_conversations

DOMAIN = Domain.from_dict({"slots": {"note": {"type": "text", "mappings": [{"type": "custom"}]}}})


def _run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path}/trackers.db"


@pytest.fixture
def stores(database_url):
    """A factory of stores on one database, each as a Rasa server of its own builds it from the
    endpoints (`rasas_own`: Rasa's SQLTrackerStore); their connections are closed after the test."""
    made: list[TrackerStore] = []

    def make(rasas_own: bool = False, **options) -> TrackerStore:
        config = {**tracker_store(database_url), **options, **({"type": "SQL"} if rasas_own else {})}
        store = TrackerStore.create(EndpointConfig.from_dict(config), domain=DOMAIN)
        made.append(store)
        return store

    yield make
    for store in made:
        store.engine.dispose()


def _rows(store, sender: str) -> list[tuple[str, str]]:
    with store.engine.connect() as connection:
        return [(kind, json.loads(data).get("text") or json.loads(data).get("name") or "") for kind, data in
                connection.execute(sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                                   {"s": sender})]


async def _turn(store, sender: str, text: str) -> list[str]:
    """One turn as Rasa's processor takes it: get or create, update, save; the user texts it saw."""
    tracker = await store.get_or_create_tracker(sender)
    seen = [event.text for event in tracker.events if isinstance(event, UserUttered)]
    for event in (UserUttered(text), ActionExecuted("utter_answer"), BotUttered(f"re: {text}"),
                  ActionExecuted("action_listen")):
        tracker.update(event)
    await store.save(tracker)
    return seen


def _texts(rows) -> list[str]:
    return [text for kind, text in rows if kind == "user"]


def _same_as_rasas(kept, rasas, sender: str) -> None:
    ours, theirs = _run(kept.retrieve(sender)), _run(rasas.retrieve(sender))
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert list(ours.events) == list(theirs.events)
        assert ours.current_state(EventVerbosity.ALL) == theirs.current_state(EventVerbosity.ALL)


def test_the_endpoint_makes_this_store_with_the_urls_options_and_rasa_wraps_it_with_its_engine(pg_url):
    store = TrackerStore.create(EndpointConfig.from_dict(tracker_store(f"{pg_url}?application_name=screening-bot")),
                                domain=DOMAIN)
    try:
        assert isinstance(store, KeptSQLTrackerStore)
        wrapped = FailSafeTrackerStore(store)  # as Agent wraps a tracker store
        wrapped.domain = DOMAIN
        assert wrapped._tracker_store.engine is store.engine  # where the channels tune it
        with store.engine.connect() as connection:
            assert connection.execute(sa.text("SHOW application_name")).scalar() == "screening-bot"
    finally:
        store.engine.dispose()


def test_two_replicas_taking_turns_of_one_conversation_each_see_the_others_and_store_each_event_once(stores):
    first, second, rasas = stores(), stores(), stores(rasas_own=True)
    sender, said = "+14155550301", []
    for n, store in enumerate([first, second, first, first, second, second, first, second, first]):
        seen = _run(_turn(store, sender, f"answer {n}"))
        assert seen == said  # every earlier turn, whichever replica took it
        said.append(f"answer {n}")
        _same_as_rasas(first, rasas, sender)
        _same_as_rasas(second, rasas, sender)
    rows = _rows(first, sender)
    assert _texts(rows) == said
    assert [kind for kind, _ in rows] == ["action"] + ["user", "action", "bot", "action"] * len(said)
    assert first.kept_reads > 0 and first.loads > 0 and second.kept_reads > 0  # the cache did serve


def test_turns_on_one_replica_are_served_from_memory_and_stored_once(stores):
    store, rasas = stores(), stores(rasas_own=True)
    sender = "+14155550302"
    for n in range(6):
        _run(_turn(store, sender, f"answer {n}"))
    assert _texts(_rows(store, sender)) == [f"answer {n}" for n in range(6)]
    assert (store.kept_reads, store.loads) == (5, 0)
    _same_as_rasas(store, rasas, sender)


def test_a_failed_save_leaves_no_phantom_events_and_the_next_save_stores_each_event_once(stores, database_url):
    store, rasas = stores(), stores(rasas_own=True)
    sender = "+14155550303"
    for n in range(2):
        _run(_turn(store, sender, f"answer {n}"))
    before = _rows(store, sender)
    _refuse_inserts(store.engine, "refused answer")
    tracker = _run(store.retrieve(sender))
    for event in (UserUttered("accepted part"), UserUttered("refused answer"), ActionExecuted("action_listen")):
        tracker.update(event)  # one turn: its first row would be accepted, its second is refused
    with pytest.raises(sa.exc.DBAPIError):
        _run(store.save(tracker))
    _allow_inserts(store.engine)
    assert _rows(store, sender) == before  # none of the turn was stored
    kept = store.kept_tracker(sender)  # nor kept in memory
    assert kept is None or "refused answer" not in [e.text for e in kept.events if isinstance(e, UserUttered)]
    again = _run(store.retrieve(sender))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["answer 0", "answer 1"]
    _same_as_rasas(store, rasas, sender)
    _run(store.save(tracker))  # the same tracker saved again, as a retry would: stored once
    _run(_turn(store, sender, "answer 2"))
    assert _texts(_rows(store, sender)) == ["answer 0", "answer 1", "accepted part", "refused answer", "answer 2"]
    _same_as_rasas(store, rasas, sender)


def _refuse_inserts(engine, text: str) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(sa.text(f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.data LIKE '%{text}%' "
                                       "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        else:
            connection.execute(sa.text("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                                       "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"))
            connection.execute(sa.text(f"CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW WHEN "
                                       f"(NEW.data LIKE '%{text}%') EXECUTE FUNCTION refuse()"))


def _allow_inserts(engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TRIGGER refuse" if engine.dialect.name == "sqlite"
                                   else "DROP TRIGGER refuse ON events"))


def test_a_tracker_handed_out_can_be_changed_without_changing_what_is_kept(stores):
    store, rasas = stores(), stores(rasas_own=True)
    sender = "+14155550304"
    _run(_turn(store, sender, "answer 0"))
    tracker = _run(store.retrieve(sender))
    tracker.update(SlotSet("note", "not saved"))
    tracker.update(UserUttered("not saved either"))
    next(e for e in tracker.events if isinstance(e, UserUttered)).text = "changed in place"
    tracker.latest_message.parse_data["intent"] = {"name": "changed"}
    again = _run(store.retrieve(sender))
    assert again.get_slot("note") is None
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["answer 0"]
    assert store.kept_reads == 2
    _same_as_rasas(store, rasas, sender)


def test_a_new_session_keeps_only_what_rasa_loads(stores):
    store, rasas = stores(), stores(rasas_own=True)
    sender = "+14155550305"
    _run(_turn(store, sender, "first session"))
    tracker = _run(store.retrieve(sender))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), SlotSet("note", "carried"),
                  ActionExecuted("action_listen"), UserUttered("second session")):
        tracker.update(event)
    _run(store.save(tracker))
    ours = _run(store.retrieve(sender))
    assert [e.text for e in ours.events if isinstance(e, UserUttered)] == ["second session"]
    assert ours.get_slot("note") == "carried"
    _same_as_rasas(store, rasas, sender)
    _run(_turn(store, sender, "still the second"))
    _same_as_rasas(store, rasas, sender)
    assert store.loads == 0


def test_a_conversation_deleted_by_retention_is_not_served_from_memory(stores):
    kept, other, rasas = stores(), stores(), stores(rasas_own=True)
    sender = "+14155550306"
    for n in range(2):
        _run(_turn(kept, sender, f"old {n}"))
    assert delete_old_conversations(kept.engine, older_than=timedelta(days=30), now=time.time() + 31 * 86_400) == 1
    assert _run(kept.retrieve(sender)) is None
    for n in range(2):
        _run(_turn(kept, sender, f"older {n}"))
    delete_old_conversations(kept.engine, older_than=timedelta(days=30), now=time.time() + 31 * 86_400)
    # The same conversation again, as long, from another replica: on SQLite even the ids come back.
    time.sleep(0.01)
    for n in range(2):
        _run(_turn(other, sender, f"new {n}"))
    ours = _run(kept.retrieve(sender))
    assert [e.text for e in ours.events if isinstance(e, UserUttered)] == ["new 0", "new 1"]
    _same_as_rasas(kept, rasas, sender)


def test_memory_is_bounded_by_count_and_by_bytes_and_a_dropped_conversation_loads_again(stores):
    by_count, by_bytes, rasas = stores(kept_trackers=3), stores(kept_bytes=6000), stores(rasas_own=True)
    senders = [f"+141555504{n:02d}" for n in range(10)]
    for store in (by_count, by_bytes):
        for sender in senders:
            _run(_turn(store, sender, f"{sender} from {id(store)}"))
            _run(_turn(store, sender, f"{sender} again"))
    assert by_count.kept_size()[0] == 3
    count, size = by_bytes.kept_size()
    assert 0 < count < 10 and size <= 6000
    for sender in senders:
        _same_as_rasas(by_count, rasas, sender)
    assert _texts(_rows(by_count, senders[0]))[-1] == f"{senders[0]} again"


def test_a_restarted_server_starts_with_nothing_kept_and_carries_on(stores):
    store, rasas = stores(), stores(rasas_own=True)
    sender = "+14155550307"
    _run(_turn(store, sender, "before the crash"))
    restarted = stores()
    assert _run(_turn(restarted, sender, "after")) == ["before the crash"]
    assert (restarted.kept_reads, restarted.loads) == (0, 1)
    _same_as_rasas(restarted, rasas, sender)


# --- the real bot -------------------------------------------------------------------------------

@pytest.fixture
def bot_with(screening_bot):
    """Puts a tracker store under the session's bot, as Agent does (wrapped), and takes it back after."""
    agent = screening_bot.agent
    original, wrapped = agent.tracker_store, {}

    def use(store) -> None:
        if id(store) not in wrapped:
            wrapped[id(store)] = FailSafeTrackerStore(store)
            wrapped[id(store)].domain = agent.domain
        agent.tracker_store = agent.processor.tracker_store = wrapped[id(store)]

    yield use
    agent.tracker_store = agent.processor.tracker_store = original


def test_the_bot_on_two_replicas_says_and_stores_what_it_does_on_rasas_store(
        db, stores, bot_with, screening_bot, event_loop_for_bot):
    from bot.demo import SCRIPTS

    replicas, rasas = [stores(), stores()], stores(rasas_own=True)
    _, lines = SCRIPTS[1]
    run = event_loop_for_bot.run_until_complete
    found = {}
    for label, turns in (("rasa", [rasas]), ("kept", replicas)):
        sender = f"+1415555{'0401' if label == 'rasa' else '0402'}"
        replies = []
        for n, line in enumerate(lines):  # two turns on one replica, two on the other, ...
            bot_with(turns[n // 2 % len(turns)])
            replies.append(run(screening_bot.send(sender, line, channel="chat")))
        bot_with(turns[len(lines) // 2 % len(turns)])
        hung_up = run(hang_up(screening_bot.agent, sender))  # written by the hang-up path, after a turn
        found[label] = (replies, hung_up, [kind for kind, _ in _rows(rasas, sender)])
    assert found["kept"] == found["rasa"]
    assert sum(store.kept_reads for store in replicas) > 0


def test_a_call_hung_up_mid_screening_is_closed_once_on_either_replica(db, stores, bot_with, screening_bot,
                                                                        event_loop_for_bot):
    first, second, rasas = stores(), stores(), stores(rasas_own=True)
    rasas.domain = screening_bot.agent.domain
    run = event_loop_for_bot.run_until_complete
    sender = "+14155550403"
    for n, line in enumerate(["report", "yes"]):
        bot_with((first, second)[n % 2])
        run(screening_bot.send(sender, line, channel="chat"))
    bot_with(first)
    assert run(hang_up(screening_bot.agent, sender)) is True
    bot_with(second)
    assert run(hang_up(screening_bot.agent, sender)) is False  # closed: seen by the other replica
    rows = _rows(rasas, sender)
    assert [name for kind, name in rows if kind == "action"].count("action_hang_up") == 1
    _same_as_rasas(first, rasas, sender)
    _same_as_rasas(second, rasas, sender)


def test_on_a_sqlite_file_connections_are_pooled_and_tuned(tmp_path):
    """Rasa's store on a SQLite file has no pool (SQLAlchemy 1.4): a connection, and its pragmas,
    for every read and write. Ours keeps one, in WAL with synchronous=NORMAL as the channels want."""
    store = TrackerStore.create(EndpointConfig.from_dict(tracker_store(f"sqlite:///{tmp_path}/pooled.db")),
                                domain=DOMAIN)
    try:
        connections: list[object] = []
        sa.event.listen(store.engine, "connect", lambda dbapi_connection, _: connections.append(dbapi_connection))
        for text in ("hello", "37.2", "no"):
            _run(_turn(store, "pooled", text))
            _run(store.retrieve("pooled"))
        assert len(connections) == 1
        assert _texts(_rows(store, "pooled")) == ["hello", "37.2", "no"]
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert store.engine.tuned_for_turns
    finally:
        store.engine.dispose()


def test_a_save_advances_the_kept_tracker_in_memory_and_it_stays_what_rasa_loads(stores):
    kept, rasas = stores(), stores(rasas_own=True)
    for text in ("hello", "37.2", "no", "cough"):
        _run(_turn(kept, "advanced", text))
    assert kept.built_advances == 4  # every turn's save (after the one creating it), none unpickling
    handed_out = _run(kept.retrieve("advanced"))
    handed_out.update(UserUttered("not saved"))  # the caller's copy: the kept object is not it
    _run(_turn(kept, "advanced", "fine"))
    assert kept.built_advances == 5
    _same_as_rasas(kept, rasas, "advanced")
    assert _texts(_rows(rasas, "advanced")) == ["hello", "37.2", "no", "cough", "fine"]


def test_trackers_kept_in_memory_are_bounded_and_one_dropped_is_unpickled(stores, monkeypatch):
    monkeypatch.setattr(trackers, "BUILT_TRACKERS", 1)
    kept, rasas = stores(), stores(rasas_own=True)
    for text in ("a1", "a2", "a3"):
        _run(_turn(kept, "first", text))
        _run(_turn(kept, "second", text.replace("a", "b")))  # it takes the one place
    # Only each conversation's first turn (right after the save creating it) found its own kept.
    assert kept.built_advances == 2 and len(kept._built) == 1
    for sender in ("first", "second"):
        _same_as_rasas(kept, rasas, sender)
