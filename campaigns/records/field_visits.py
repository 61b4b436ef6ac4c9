"""The field-visit list: the households a campaign day did not reach, per community, with where to
find them (address and notes, when the list gave them), whom to ask for, and the attempts made.

A household is on it when the day's attempts were placed and none completed, none was skipped (an
opted-out household is not visited): the unreachable rule of records/counts.py. One that still has an
attempt due or under way is listed as "still being tried", so a list printed before the calling
window closes says so. Streams: attempts are read in batches and folded a household at a time.
Keyword-only data functions taking the session.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.counts import NO_COMMUNITY
from campaigns.records.models import ACTIVE_STATUSES, Attempt, AttemptStatus, Household

BATCH_ROWS = 1000
_A, _H = Attempt.__table__.c, Household.__table__.c
_PENDING = (AttemptStatus.due.value, *(status.value for status in ACTIVE_STATUSES))


@dataclass(frozen=True)
class AttemptMade:
    at: datetime  # when it was placed
    campaign_id: str
    channel: str
    status: str  # the outcome: busy, no_answer, failed...
    detail: Optional[str]


@dataclass(frozen=True)
class FieldVisit:
    household_id: str
    community: str  # NO_COMMUNITY when the list gave none
    contact_name: Optional[str]
    phone: Optional[str]  # E.164; the caller masks it for viewers
    address: Optional[str]
    notes: Optional[str]
    members: int
    still_trying: bool  # an attempt is still due or under way
    attempts: list[AttemptMade]  # placed, oldest first


def field_visits(session: Session, *, day: date, campaign_id: Optional[str] = None,
                 community: Optional[str] = None) -> Iterator[FieldVisit]:
    """The day's unreached households by community (NO_COMMUNITY last), then household id."""
    missed = _not_reached(day, campaign_id)
    query = (sa.select(_H.id, _H.community, _H.contact_name, _H.phone, _H.address, _H.notes, _H.members,
                       missed.c.pending, _A.placed_at, _A.campaign_id, _A.channel, _A.status, _A.detail)
             .select_from(missed.join(Household.__table__, _H.id == missed.c.household_id)
                          .join(Attempt.__table__, _A.household_id == missed.c.household_id))
             .where(*_scope(day, campaign_id), _A.placed_at.is_not(None))
             .order_by(_H.community.is_(None), _H.community, _H.id, _A.placed_at, _A.id))
    if community is not None:
        query = query.where(_community_is(community))
    rows = session.execute(query.execution_options(yield_per=BATCH_ROWS))
    for _, group in itertools.groupby(rows, key=lambda row: row.id):
        yield _visit(list(group))


def _not_reached(day: date, campaign_id: Optional[str]):
    """Households of the day placed, never reached, never skipped; with whether an attempt is pending."""
    def flag(condition):
        return sa.func.max(sa.case((condition, 1), else_=0))

    return (sa.select(_A.household_id, flag(_A.status.in_(_PENDING)).label("pending"))
            .where(*_scope(day, campaign_id)).group_by(_A.household_id)
            .having(sa.and_(flag(_A.placed_at.is_not(None)) == 1,
                            flag(_A.status == AttemptStatus.completed.value) == 0,
                            flag(_A.status == AttemptStatus.skipped.value) == 0))).subquery()


def _scope(day: date, campaign_id: Optional[str]) -> list:
    return [_A.day == day, *([_A.campaign_id == campaign_id] if campaign_id is not None else [])]


def _community_is(community: str):
    return _H.community.is_(None) if community == NO_COMMUNITY else _H.community == community


def _visit(rows: list) -> FieldVisit:
    first = rows[0]
    return FieldVisit(
        household_id=first.id, community=first.community or NO_COMMUNITY, contact_name=first.contact_name,
        phone=first.phone, address=first.address, notes=first.notes, members=first.members or 1,
        still_trying=bool(first.pending),
        attempts=[AttemptMade(row.placed_at, row.campaign_id, row.channel, row.status, row.detail) for row in rows])
