"""The actions never block their event loop: while an action waits on a slow database (a real
SQLite file whose write lock another connection holds for about a second), a coroutine on the
same loop keeps running on time, and the action's work is still recorded whole once the lock goes.
Both ways the actions run: on an action server (rasa_sdk's executor, as its webhook calls it) and
in the Rasa server's process (bot.inprocess.InProcessActions, as Rasa's RemoteAction calls it),
where the loop is the one every conversation's turn runs on."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3
import threading
import time

import sqlalchemy as sa
import pytest
from rasa_sdk.executor import ActionExecutor
from sqlmodel import Session, select

from bot.inprocess_actions import InProcessActions
from campaigns.records.models import Escalation, Household

HELD_S = 1.0  # how long the other connection keeps the database's write lock
TICK_S = 0.01


@contextlib.contextmanager
def write_locked(engine: sa.engine.Engine):
    """Another connection holds the database's write lock (BEGIN IMMEDIATE) for HELD_S seconds,
    taken after a full garbage collection (see run_watched)."""
    gc.collect()
    taken = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(engine.url.database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(HELD_S)
        connection.execute("ROLLBACK")
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        holder.join()


def action_server_call():
    """What the action server's webhook does with a call: rasa_sdk's executor."""
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    return executor.run


def rasa_server_call():
    """What the Rasa server does with a call when it runs the actions in its own process."""
    actions = InProcessActions("bot.actions")
    return lambda call: actions.request(json=call, method="post", timeout=10)


async def run_watched(run, call: dict) -> tuple[dict, float, float]:
    """The action's answer, how long it took, and the worst lateness of a 10 ms ticker beside it.
    The garbage collector is held off meanwhile: late in the whole suite the process holds several
    loaded models, and one full collection then stops every thread for about 0.2 s (0.16 s measured
    with three models loaded): a pause of the interpreter, not the action blocking its loop.
    (write_locked collects before it takes the lock, so the wait on the lock is not shortened.)"""
    gc.disable()
    try:
        return await _watched(run, call)
    finally:
        gc.enable()


async def _watched(run, call: dict) -> tuple[dict, float, float]:
    worst = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            worst = max(worst, time.perf_counter() - before - TICK_S)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)  # the ticker is running before the action starts
    started = time.perf_counter()
    try:
        answer = await run(call)
    finally:
        done.set()
        await ticker
    return answer, time.perf_counter() - started, worst


def action_call(action: str, sender: str, slots: dict) -> dict:
    tracker = {"sender_id": sender, "slots": slots, "events": [], "latest_input_channel": "rest",
               "latest_message": {"text": "I need help", "intent": {"name": "request_help"}, "metadata": {}},
               "active_loop": {}, "paused": False, "followup_action": None, "latest_action_name": "action_listen"}
    return {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}}


@pytest.mark.parametrize("make_run", [action_server_call, rasa_server_call], ids=["action-server", "in-rasa"])
def test_an_action_waiting_on_a_locked_database_leaves_its_event_loop_free(db, make_run):
    run = make_run()
    sender = "loop-walk-in-1"
    loop = asyncio.new_event_loop()
    try:
        with write_locked(db):  # the session start creates the walk-in's household: a write
            answer, took, worst = loop.run_until_complete(
                run_watched(run, action_call("action_session_start", sender, {})))
        slots = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
        assert took >= HELD_S * 0.8, took  # it did wait on the lock...
        assert worst < 0.2, worst  # ...and the loop kept serving meanwhile
        with write_locked(db):  # the help request opens a case: a write
            answer, took, worst = loop.run_until_complete(
                run_watched(run, action_call("action_request_help", sender, slots)))
        assert took >= HELD_S * 0.8, took
        assert worst < 0.2, worst
    finally:
        loop.close()
    assert [m["response"] for m in answer["responses"]] == ["utter_help_escalated"]
    with Session(db) as session:
        household = session.exec(select(Household)).one()  # the walk-in, the database's only household
        cases = session.exec(select(Escalation)).all()
    assert slots["household_id"] == household.id and household.walk_in
    assert [(c.household_id, c.kind, c.conversation_id, c.detail) for c in cases] == [
        (household.id, "help_request", sender, "resident said: I need help")]
