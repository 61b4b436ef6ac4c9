"""The Redis lock store the Rasa server uses with several workers or replicas, on a real Redis:
two replicas taking the lock for one conversation at the same instant get distinct tickets and
take turns, where Rasa 3.6's own RedisLockStore can hand both of them the lock."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.locks import SafeRedisLockStore
from rasa.utils.endpoints import EndpointConfig

def _replicas(redis_server, db, cls=SafeRedisLockStore, n=2):
    return [cls(host="127.0.0.1", port=redis_server.port, db=db) for _ in range(n)]


def _at_once(*calls):
    """Run each call on its own thread, all released by one barrier; their results, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_built_from_its_endpoint_as_rasa_builds_a_custom_lock_store(redis_server, redis_db):
    store = SafeRedisLockStore(endpoint_config=EndpointConfig(
        url="127.0.0.1", type="bot.locks.SafeRedisLockStore", port=redis_server.port, db=redis_db))
    assert store.issue_ticket("c") == 0 and store.issue_ticket("c") == 1


def test_two_replicas_taking_one_conversations_lock_at_once_get_distinct_tickets(redis_server, redis_db):
    first, second = _replicas(redis_server, redis_db)
    for n in range(200):
        conversation = f"+1415555{n:04d}"
        tickets = _at_once(lambda: first.issue_ticket(conversation), lambda: second.issue_ticket(conversation))
        assert sorted(tickets) == [0, 1], (conversation, tickets)
        assert len(first.get_lock(conversation).tickets) == 2


def test_releasing_at_once_never_drops_a_ticket_still_waiting(redis_server, redis_db):
    first, second, third = _replicas(redis_server, redis_db, n=3)
    for n in range(100):
        conversation = f"c{n}"
        a, b, c = (store.issue_ticket(conversation) for store in (first, second, third))
        _at_once(lambda: first.cleanup(conversation, a), lambda: second.cleanup(conversation, b))
        assert [t.number for t in third.get_lock(conversation).tickets] == [c]
        third.cleanup(conversation, c)
        assert third.get_lock(conversation) is None


def test_turns_for_one_conversation_on_two_replicas_run_one_at_a_time_in_ticket_order(redis_server, redis_db):
    replicas = _replicas(redis_server, redis_db, n=4)
    log: list[tuple[str, int]] = []

    def turn(store, name):
        async def hold():
            async with store.lock("resident", wait_time_in_seconds=0.01) as lock:
                log.append(("start", name))
                await asyncio.sleep(0.05)
                log.append(("end", name))
                return lock

        asyncio.run(hold())

    _at_once(*[lambda s=s, i=i: turn(s, i) for i, s in enumerate(replicas)])
    assert len(log) == 8
    assert all(log[i][0] == "start" and log[i + 1] == ("end", log[i][1]) for i in range(0, 8, 2)), log
    assert sorted(name for kind, name in log if kind == "start") == [0, 1, 2, 3]
    assert replicas[0].get_lock("resident") is None
