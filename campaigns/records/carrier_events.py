"""Data functions for carrier events: statuses Twilio reported to the Rasa server's channels,
waiting for a dispatcher to apply them, and attempts whose status never came.

Like attempts, an event is taken with one UPDATE that re-checks it is still free, so two
dispatchers never apply the same one; a dead dispatcher's unapplied events are freed again.
Keyword-only, each takes the session; the caller commits.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.records.models import Attempt, AttemptStatus, CarrierEvent, utcnow

APPLIED = "applied:"  # prefix of taken_by once an event has been applied
# How long an attempt may wait for its final status before it is given one.
CALL_STATUS_WAIT = timedelta(hours=1)  # Twilio always ends a call well within this
TEXT_REPLY_WAIT = timedelta(hours=4)  # a resident who has not answered by then has not answered


def take(session: Session, *, worker: str, limit: int = 500) -> list[CarrierEvent]:
    """Up to `limit` events nobody has taken, oldest first, now this worker's."""
    table = CarrierEvent.__table__.c
    token = f"{worker}#{uuid.uuid4().hex[:8]}"
    free = sa.select(table.id).where(table.taken_by.is_(None)).order_by(table.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        free = free.with_for_update(skip_locked=True)
    ids = list(session.execute(free).scalars())  # two statements: see attempts.claim_due
    if not ids:
        return []
    session.execute(sa.update(CarrierEvent.__table__).where(table.id.in_(ids), table.taken_by.is_(None))
                    .values(taken_by=token), execution_options={"synchronize_session": False})
    return list(session.exec(select(CarrierEvent).where(CarrierEvent.taken_by == token)
                             .order_by(CarrierEvent.id)).all())


def mark_applied(session: Session, *, ids: list[int]) -> None:
    """Events applied: kept for the record, never taken again (`release` leaves them alone)."""
    table = CarrierEvent.__table__.c
    session.execute(sa.update(CarrierEvent.__table__).where(table.id.in_(ids))
                    .values(taken_by=sa.func.substr(sa.literal(APPLIED) + table.taken_by, 1, 128)),
                    execution_options={"synchronize_session": False})


def release(session: Session, *, workers: list[str]) -> int:
    """Events taken by dead workers and never applied become free again."""
    if not workers:
        return 0
    table = CarrierEvent.__table__.c
    taken = sa.or_(*[table.taken_by.like(f"{worker}#%") for worker in workers])
    result = session.execute(sa.update(CarrierEvent.__table__).where(taken).values(taken_by=None),
                             execution_options={"synchronize_session": False})
    return result.rowcount or 0


def overdue(session: Session, *, now: datetime) -> list[tuple[Attempt, str]]:
    """Placed attempts still waiting for a final status long after any would have come,
    each with the status to give it."""
    waiting = (AttemptStatus.dialing.value, AttemptStatus.in_progress.value)
    rows = session.exec(select(Attempt).where(
        Attempt.status.in_(waiting), Attempt.placed_at < now - CALL_STATUS_WAIT)).all()
    found = []
    for attempt in rows:
        text = attempt.channel != "voice"
        if text and attempt.placed_at >= now - TEXT_REPLY_WAIT:
            continue
        unanswered = attempt.status == AttemptStatus.dialing.value
        found.append((attempt, AttemptStatus.no_answer.value if unanswered else AttemptStatus.dropped.value))
    return found


def add_carrier_event(session: Session, *, attempt_id: int, status: str, carrier_ref: str,
                      detail: Optional[str] = None, opted_out: bool = False) -> bool:
    """Queue a carrier's status report for the dispatchers; False if it was already queued
    (Twilio may repeat a callback). Unknown attempts are refused by the foreign key."""
    values = _values(attempt_id=attempt_id, status=status, carrier_ref=carrier_ref, detail=detail,
                     opted_out=opted_out)
    result = session.execute(_insert(session).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def known_attempts(session: Session, *, ids: list[int]) -> set[int]:
    """Which of `ids` are attempts, in one query."""
    if not ids:
        return set()
    column = Attempt.__table__.c.id
    return set(session.execute(sa.select(column).where(column.in_(set(ids)))).scalars())


def add_carrier_events(session: Session, *, events: list[dict]) -> list[bool]:
    """`add_carrier_event` for several reports (each a dict of its keywords) at once: for each, whether
    it was stored; a repeat, of one already queued or of one before it in `events`, is not."""
    rows = [_values(**event) for event in events]
    first: dict[tuple, int] = {}
    for n, row in enumerate(rows):
        first.setdefault((row["carrier_ref"], row["status"]), n)
    if not first:
        return []
    table = CarrierEvent.__table__
    keys = sa.tuple_(table.c.carrier_ref, table.c.status)
    if session.get_bind().dialect.name == "postgresql":  # one statement, which says what it stored
        insert = _insert(session).values([rows[n] for n in first.values()]).on_conflict_do_nothing()
        stored = {tuple(row) for row in session.execute(insert.returning(*keys.clauses))}
    else:
        # SQLite (no RETURNING here): take the write lock first with a write that changes nothing,
        # so the repeats read next stay repeats until the commit; then one executemany.
        session.execute(sa.delete(table).where(sa.false()))
        queued = {tuple(row) for row in session.execute(sa.select(*keys.clauses).where(keys.in_(list(first))))}
        stored = set(first) - queued
        if stored:
            session.execute(_insert(session).on_conflict_do_nothing(),
                            [rows[n] for key, n in first.items() if key in stored])  # in arrival order
    return [first[key] == n and key in stored
            for n, key in enumerate((row["carrier_ref"], row["status"]) for row in rows)]


def _values(*, attempt_id: int, status: str, carrier_ref: str, detail: Optional[str] = None,
            opted_out: bool = False) -> dict:
    return dict(attempt_id=attempt_id, status=status, carrier_ref=carrier_ref[:64],
                detail=detail[:500] if detail else None, opted_out=opted_out, received_at=utcnow())


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(CarrierEvent.__table__)
