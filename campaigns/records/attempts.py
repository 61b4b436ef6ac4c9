"""Data functions for contact attempts: claiming, recording outcomes, retries, recovery.

Keyword-only, each takes the session; the caller commits. A claim selects due rows, then
updates them re-checking `status = 'due'`, so two dispatchers never take the same row: on
PostgreSQL rows another dispatcher has locked are skipped (FOR UPDATE SKIP LOCKED) and
the selected ones stay locked until commit; on SQLite the re-check drops any row that
changed between the two statements.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.records.households import find_household_by_phone
from campaigns.records.models import (Outcome, ACTIVE_STATUSES, PENDING_STATUSES, Attempt, AttemptStatus, Escalation, Household,
                              Screening)

ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)
# How far a status may move: a late or repeated event never moves an attempt backwards.
_RANK = {AttemptStatus.due.value: 0, AttemptStatus.claimed.value: 1, AttemptStatus.dialing.value: 2,
         AttemptStatus.in_progress.value: 3}
FINAL_RANK = 9
UNSUCCESSFUL = (AttemptStatus.busy.value, AttemptStatus.no_answer.value, AttemptStatus.machine.value,
                AttemptStatus.failed.value, AttemptStatus.interrupted.value, AttemptStatus.dropped.value)


# What a dispatcher asks on every claim, built once with parameters: building such a statement took
# 0.1-0.2 ms, several times what SQLite took to run it.
_A = Attempt.__table__.c
_LINES_HELD = sa.select(sa.func.count()).where(
    _A.campaign_id == sa.bindparam("campaign_id"), _A.status.in_(ACTIVE),
    sa.or_(_A.status == AttemptStatus.claimed.value, _A.channel == "voice"))
_DUE = (sa.select(_A.id)
        .where(_A.status == AttemptStatus.due.value, _A.campaign_id == sa.bindparam("campaign_id"),
               _A.due_at <= sa.bindparam("now"))
        .order_by(_A.due_at, _A.id).limit(sa.bindparam("limit")))
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)
_CLAIM = (sa.update(Attempt.__table__)
          .where(_A.id.in_(sa.bindparam("ids", expanding=True)), _A.status == AttemptStatus.due.value)
          .values(status=AttemptStatus.claimed.value, worker=sa.bindparam("by"), claim_token=sa.bindparam("token"),
                  claimed_at=sa.bindparam("at")))
_CLAIMED = (select(Attempt, Household).join(Household, Household.id == Attempt.household_id)
            .where(Attempt.claim_token == sa.bindparam("token")).order_by(Attempt.due_at, Attempt.id))


def rank(status: str) -> int:
    return _RANK.get(status, FINAL_RANK)


def claim_due(session: Session, *, campaign_id: str, now: datetime, limit: int,
              worker: str) -> list[tuple[Attempt, Household]]:
    """Take up to `limit` due attempts of a campaign, oldest due first, for this worker."""
    if limit <= 0:
        return []
    token = uuid.uuid4().hex
    due = _DUE_LOCKED if session.get_bind().dialect.name == "postgresql" else _DUE
    # Two statements, not UPDATE ... WHERE id IN (SELECT ... LIMIT n): PostgreSQL may run such a
    # locking subquery again for each row it updates, and each run then finds further due rows.
    ids = list(session.execute(due, {"campaign_id": campaign_id, "now": now, "limit": limit}).scalars())
    if not ids:
        return []
    session.execute(_CLAIM, {"ids": ids, "by": worker, "token": token, "at": now},
                    execution_options={"synchronize_session": False})
    return list(session.exec(_CLAIMED, params={"token": token}).all())


def count_active(session: Session, *, campaign_id: str) -> int:
    """Attempts claimed, ringing or in a call: what counts against max concurrent calls.
    A text conversation waiting hours for a reply holds no line, so it does not count."""
    return session.execute(_LINES_HELD, {"campaign_id": campaign_id}).scalar_one()


def set_status(session: Session, *, attempt: Attempt, status: str, at: datetime,
               detail: Optional[str] = None) -> bool:
    """Move an attempt forward; False (and no change) for a late, repeated or backward status."""
    if rank(attempt.status) == FINAL_RANK or rank(status) <= rank(attempt.status) and rank(status) != FINAL_RANK:
        return False
    attempt.status = status
    if status == AttemptStatus.dialing.value:
        attempt.placed_at = attempt.placed_at or at
    elif status == AttemptStatus.in_progress.value:
        attempt.answered_at = attempt.answered_at or at
    elif rank(status) == FINAL_RANK:
        attempt.ended_at = at
    if detail:
        attempt.detail = detail[:500]
    session.add(attempt)
    return True


def placed_today(session: Session, *, campaign_id: str, household_id: str, day: date) -> list[Attempt]:
    """The household's attempts of the day, in order, callbacks included."""
    return list(session.exec(select(Attempt).where(
        Attempt.campaign_id == campaign_id, Attempt.household_id == household_id, Attempt.day == day,
    ).order_by(Attempt.round_no, Attempt.try_no)).all())


def days_of(session: Session, *, campaign_id: str,
            keys: list[tuple[str, date]]) -> dict[tuple[str, date], list[Attempt]]:
    """placed_today for many households at once: one query for a whole claimed batch."""
    if not keys:
        return {}
    rows = session.exec(select(Attempt).where(
        Attempt.campaign_id == campaign_id, Attempt.household_id.in_({h for h, _ in keys}),
        Attempt.day.in_({d for _, d in keys})).order_by(Attempt.round_no, Attempt.try_no)).all()
    found: dict[tuple[str, date], list[Attempt]] = {key: [] for key in keys}
    for row in rows:
        if (row.household_id, row.day) in found:
            found[(row.household_id, row.day)].append(row)
    return found


def add_attempt(session: Session, *, after: Attempt, due_at: datetime, kind: str,
                day: Optional[date] = None, round_no: Optional[int] = None, detail: Optional[str] = None) -> Attempt:
    """A further attempt for the same household: a retry in the round, or a callback."""
    day = day or after.day
    round_no = round_no or after.round_no
    last = session.exec(select(sa.func.max(Attempt.try_no)).where(
        Attempt.campaign_id == after.campaign_id, Attempt.household_id == after.household_id,
        Attempt.day == day, Attempt.round_no == round_no)).one() or 0
    attempt = Attempt(campaign_id=after.campaign_id, household_id=after.household_id, day=day,
                      round_no=round_no, try_no=last + 1, kind=kind, channel=after.channel,
                      due_at=due_at, status=AttemptStatus.due.value, detail=detail)
    session.add(attempt)
    session.flush()
    return attempt


def pending_in_round(session: Session, *, attempt: Attempt) -> bool:
    """Whether another attempt of the same household and round is still waiting or running."""
    query = select(Attempt.id).where(
        Attempt.campaign_id == attempt.campaign_id, Attempt.household_id == attempt.household_id,
        Attempt.day == attempt.day, Attempt.round_no == attempt.round_no, Attempt.id != attempt.id,
        Attempt.status.in_([s.value for s in PENDING_STATUSES]))
    return session.exec(query).first() is not None


def screening_written(session: Session, *, conversation_id: str) -> bool:
    query = select(Screening.id).where(Screening.conversation_id == conversation_id)
    return session.exec(query).first() is not None


def escalation_raised(session: Session, *, conversation_id: str) -> bool:
    query = select(Escalation.id).where(Escalation.conversation_id == conversation_id)
    return session.exec(query).first() is not None


def callback_asked(session: Session, *, conversation_id: str) -> Optional[tuple[Optional[datetime]]]:
    """(time or None,) when the conversation ended with a callback request, else None."""
    row = session.exec(select(Screening).where(
        Screening.conversation_id == conversation_id, Screening.person_index == 0,
        Screening.outcome == Outcome.callback_requested.value)).first()
    return None if row is None else (row.callback_at,)


def release_claims(session: Session, *, workers: list[str]) -> int:
    """Claimed attempts of dead workers that were never placed go back to due."""
    if not workers:
        return 0
    table = Attempt.__table__.c
    result = session.execute(
        sa.update(Attempt.__table__)
        .where(table.worker.in_(workers), table.status == AttemptStatus.claimed.value)
        .values(status=AttemptStatus.due.value, worker=None, claim_token=None, claimed_at=None),
        execution_options={"synchronize_session": False})
    return result.rowcount or 0


def running_of(session: Session, *, workers: list[str]) -> list[Attempt]:
    """Attempts of dead workers that were ringing or in a conversation."""
    if not workers:
        return []
    running = (AttemptStatus.dialing.value, AttemptStatus.in_progress.value)
    return list(session.exec(select(Attempt).where(Attempt.worker.in_(workers), Attempt.status.in_(running))).all())


def open_text_attempt(session: Session, *, phone: str) -> Optional[tuple[Attempt, Household]]:
    """The SMS conversation a campaign has open with this phone number, newest first."""
    household = find_household_by_phone(session, phone=phone)
    if household is None:
        return None
    attempt = session.exec(
        select(Attempt).where(Attempt.household_id == household.id, Attempt.channel == "sms",
                              Attempt.status.in_((AttemptStatus.dialing.value, AttemptStatus.in_progress.value)))
        .order_by(Attempt.id.desc())
    ).first()
    return (attempt, household) if attempt is not None else None


def open_links(session: Session) -> list[tuple[Attempt, str, bool]]:
    """Chat-link attempts still open (texted, or opened on the page), each with its household's
    time zone and whether a screening of its conversation was written."""
    screened = sa.exists().where(Screening.conversation_id == Attempt.conversation_id)
    query = (sa.select(Attempt, Household.timezone, screened.label("screened"))
             .join(Household, Household.id == Attempt.household_id)
             .where(Attempt.channel == "chat_link",
                    Attempt.status.in_((AttemptStatus.dialing.value, AttemptStatus.in_progress.value)))
             .order_by(Attempt.id))
    return [(attempt, zone, bool(done)) for attempt, zone, done in session.execute(query)]
