"""Households no round reached in a whole day get a field-visit escalation: one open case per
household, which each further unreachable day updates (its count, and the days in its detail).

A day is over for a household once its calling window of that day has closed in its own
time zone. Only days with at least one attempt really placed count: a household that
opted out, or a round canceled by staff, is not "unreachable".
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.outreach import schedule
from campaigns.records.escalations import notify_opened, raise_case
from campaigns.records.models import (PENDING_STATUSES, Attempt, AttemptStatus, EscalationKind, Household,
                              UnreachableDay)


def last_closed_day(now: datetime, window: schedule.Window, tz: ZoneInfo) -> date:
    """The latest local day whose calling window has closed by `now`."""
    day = now.astimezone(tz).date() + timedelta(days=1)
    while schedule.window_bounds(day, window, tz)[1] > now:
        day -= timedelta(days=1)
    return day


def find_unreachable(session: Session, *, campaign_id: str, zone: str, through: date) -> list[tuple[str, date]]:
    """(household, day) pairs of the zone, up to `through`, placed but never reached, not yet escalated."""
    a, h, u = Attempt.__table__.c, Household.__table__.c, UnreachableDay.__table__.c
    pending = [s.value for s in PENDING_STATUSES]

    def count(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    query = (
        sa.select(a.household_id, a.day)
        .join(Household.__table__, h.id == a.household_id)
        .where(a.campaign_id == campaign_id, h.timezone == zone, a.day <= through,
               ~sa.exists().where(u.campaign_id == campaign_id, u.household_id == a.household_id, u.day == a.day))
        .group_by(a.household_id, a.day)
        .having(sa.and_(count(a.placed_at.is_not(None)) > 0,
                        count(a.status == AttemptStatus.completed.value) == 0,
                        count(a.status == AttemptStatus.skipped.value) == 0,
                        count(a.status.in_(pending)) == 0))
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def escalate_unreachable(session: Session, *, campaign_id: str, window: schedule.Window, zones: list[str],
                         now: datetime) -> int:
    """Raise a field visit for each household and unreachable day (a new case, or the household's
    open one updated); returns the household-days. Commits."""
    raised = 0
    for zone in zones:
        through = last_closed_day(now, window, ZoneInfo(zone))
        for household_id, day in find_unreachable(session, campaign_id=campaign_id, zone=zone, through=through):
            household = session.get(Household, household_id)
            case = raise_case(
                session, household=household, kind=EscalationKind.field_visit, at=now,
                detail=f"campaign {campaign_id}: not reached on {day.isoformat()} after every attempt of the day")
            session.add(UnreachableDay(campaign_id=campaign_id, household_id=household_id, day=day,
                                       escalation_id=case.escalation.id))
            session.commit()
            notify_opened([case], household)  # a new case once; a further day tells nobody again
            raised += 1
    return raised
