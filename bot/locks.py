"""Rasa's Redis lock store without its race, for several Rasa workers and replicas.

Rasa 3.6's RedisLockStore changes a conversation's ticket lock by GET, change, SET. Two
replicas taking the lock for one conversation at the same instant both GET nothing, both
make a fresh lock, both take ticket 0 and both SET: each believes it holds the lock, the two
turns run at once on the same tracker, and the SQL tracker store (which appends the events
past the count it finds stored) loses or repeats events. Releasing races the same way: one
replica's cleanup can delete the lock while another still queues on it.

Here every change of a lock is one Redis transaction (WATCH, then MULTI/EXEC, retried when
another writer got in between), so tickets are unique and served in order.

A ticket that cannot be given back because Redis went away after the turn was saved is left to
expire (its lifetime): the turn is answered, not refused after it was recorded.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional

import redis.exceptions
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)


class SafeRedisLockStore(RedisLockStore):
    """endpoints.yml: `lock_store: {type: bot.locks.SafeRedisLockStore, url: host, port, db, password}`."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # Rasa builds a custom lock store from its endpoint
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Callable[[Optional[TicketLock], list], Optional[TicketLock]]) -> Any:
        """Apply `change` to the stored lock atomically: it gets the lock (or None) and a one-item
        list for its result, and returns the lock to store (or None to delete it); it runs again
        if another writer changed the key meanwhile."""
        key = self.key_prefix + conversation_id
        result: list[Any] = []

        def transaction(pipe) -> None:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            result[:] = [None]
            new = change(lock, result)
            pipe.multi()
            if new is None:
                pipe.delete(key)
            else:
                pipe.set(key, new.dumps())

        self.red.transaction(transaction, key)
        return result[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock, result):
            lock = lock or self.create_lock(conversation_id)
            result[0] = lock.issue_ticket(lock_lifetime)
            return lock

        try:
            return self._change(conversation_id, take)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock, _):
            if lock is None:
                return None
            lock.remove_expired_tickets()
            return lock

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give back the ticket, and delete the lock in the same step if no one else holds one."""
        def release(lock, _):
            if lock is None:
                return None
            lock.remove_ticket_for(ticket_number)
            return lock if lock.is_someone_waiting() else None

        try:
            self._change(conversation_id, release)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            log.warning("the lock store (Redis) cannot be reached to give back ticket %s of conversation %s; "
                        "it expires in %.0f s: %s", ticket_number, conversation_id, LOCK_LIFETIME,
                        type(error).__name__)
