"""Conversation retention: deleting Rasa's stored conversations (the `events` table the Rasa
server's SQL tracker store writes) once their newest event is older than the retention period.

Plain SQL on purpose: this side never imports Rasa, and the table is Rasa's, not ours (the
migrations leave it alone). A conversation goes whole, by sender id, in batches, each batch
its own short transaction so the Rasa server is never held up for long. The screenings,
escalations and attempts a conversation produced are our own tables and stay.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import sqlalchemy as sa

log = logging.getLogger(__name__)
TABLE = "events"
BATCH = 500  # senders per transaction
CHECK_EVERY = 3600.0  # seconds: once an hour is plenty for a period counted in days

_OLD_SENDERS = sa.text(
    "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff LIMIT :batch")
# Checked again inside the DELETE: a conversation that woke up since the SELECT is kept whole.
_DELETE = sa.text(
    "DELETE FROM events WHERE sender_id IN :senders AND sender_id NOT IN "
    "(SELECT sender_id FROM events WHERE sender_id IN :senders AND timestamp >= :cutoff)"
).bindparams(sa.bindparam("senders", expanding=True))


def delete_old_conversations(engine: sa.engine.Engine, *, older_than: timedelta, now: float | None = None,
                             batch: int = BATCH) -> int:
    """Delete every conversation whose newest event is older than `older_than` before `now`
    (epoch seconds, as Rasa stamps its events; the wall clock by default). Commits each batch;
    returns how many conversations went. Nothing to do when the table does not exist."""
    if not sa.inspect(engine).has_table(TABLE):
        return 0
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    deleted = 0
    while True:
        with engine.begin() as connection:
            senders = list(connection.execute(_OLD_SENDERS, {"cutoff": cutoff, "batch": batch}).scalars())
            if senders:
                connection.execute(_DELETE, {"senders": senders, "cutoff": cutoff})
        deleted += len(senders)
        if len(senders) < batch:
            return deleted


class Retention:
    """Runs `delete_old_conversations` from the dispatcher's housekeeping, at most once an hour,
    off the event loop."""

    def __init__(self, engine: sa.engine.Engine, *, days: int, every: float = CHECK_EVERY) -> None:
        self.engine, self.older_than, self.every = engine, timedelta(days=days), every
        self._ran_at: float | None = None

    async def run(self) -> int:
        began = time.monotonic()
        if self._ran_at is not None and began - self._ran_at < self.every:
            return 0
        self._ran_at = began
        deleted = await asyncio.to_thread(delete_old_conversations, self.engine, older_than=self.older_than)
        if deleted:
            log.info("deleted %d conversations older than %d days", deleted, self.older_than.days)
        return deleted
