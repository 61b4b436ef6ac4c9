"""Campaign progress per round, and why a household was or was not contacted."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.records.attempts import ACTIVE
from campaigns.records.models import Attempt, AttemptStatus, Campaign, Household, PlannedRound



@dataclass(frozen=True)
class RoundProgress:
    day: date
    round_no: int
    households: int  # planned for the round
    reached: int  # a conversation took place
    due: int  # households with an attempt still waiting
    dialling: int  # households being called right now
    unreachable: int  # every attempt of the round failed
    abnormal: int  # people judged abnormal in this round's conversations

    @property
    def done(self) -> int:
        return self.reached + self.unreachable

    def eta(self, calls_per_second: float) -> Optional[timedelta]:
        """Time to place what is still due at the campaign's pacing, in whole seconds rounded up
        (so never zero while something is due); None when nothing is due."""
        if self.due == 0:
            return None
        return timedelta(seconds=math.ceil(self.due / calls_per_second))


def round_progress(session: Session, *, campaign_id: str) -> list[RoundProgress]:
    """One line per planned round, in order."""
    a = Attempt.__table__.c
    per_household = (
        sa.select(a.day, a.round_no, a.household_id,
                  sa.func.max(sa.case((a.status == AttemptStatus.completed.value, 1), else_=0)).label("reached"),
                  sa.func.max(sa.case((a.status == AttemptStatus.due.value, 1), else_=0)).label("due"),
                  sa.func.max(sa.case((a.status.in_(ACTIVE), 1), else_=0)).label("active"),
                  sa.func.max(sa.case((a.placed_at.is_not(None), 1), else_=0)).label("placed"))
        .where(a.campaign_id == campaign_id)
        .group_by(a.day, a.round_no, a.household_id)
    ).subquery()
    s = per_household.c
    unreachable = sa.and_(s.reached == 0, s.due == 0, s.active == 0, s.placed == 1)
    query = (sa.select(s.day, s.round_no, sa.func.count(), sa.func.sum(s.reached), sa.func.sum(s.due),
                       sa.func.sum(s.active), sa.func.sum(sa.case((unreachable, 1), else_=0)))
             .group_by(s.day, s.round_no).order_by(s.day, s.round_no))
    abnormal = _abnormal_by_round(session, campaign_id)
    planned = {(r.day, r.round_no) for r in session.exec(
        select(PlannedRound).where(PlannedRound.campaign_id == campaign_id)).all()}
    rows = [RoundProgress(day, no, total, int(reached or 0), int(due or 0), int(active or 0), int(unr or 0),
                          abnormal.get((day, no), 0))
            for day, no, total, reached, due, active, unr in session.execute(query)]
    seen = {(r.day, r.round_no) for r in rows}
    rows += [RoundProgress(day, no, 0, 0, 0, 0, 0, 0) for day, no in planned - seen]
    return sorted(rows, key=lambda r: (r.day, r.round_no))


def _abnormal_by_round(session: Session, campaign_id: str) -> dict[tuple[date, int], int]:
    from campaigns.records.models import Screening

    a, sc = Attempt.__table__.c, Screening.__table__.c
    query = (sa.select(a.day, a.round_no, sa.func.count())
             .select_from(Attempt.__table__.join(Screening.__table__, sc.conversation_id == a.conversation_id))
             .where(a.campaign_id == campaign_id, sc.abnormal.is_(True))
             .group_by(a.day, a.round_no))
    return {(day, no): count for day, no, count in session.execute(query)}


def household_log(session: Session, *, household_id: str, campaign_id: Optional[str] = None) -> list[Attempt]:
    """Every attempt made or planned for a household, oldest first."""
    query = select(Attempt).where(Attempt.household_id == household_id)
    if campaign_id:
        query = query.where(Attempt.campaign_id == campaign_id)
    return list(session.exec(query.order_by(Attempt.day, Attempt.round_no, Attempt.try_no)).all())


def why_not_contacted(household: Household, campaign: Optional[Campaign]) -> Optional[str]:
    """The standing reason a household is never dialled, if there is one."""
    if household.opted_out_at:
        return f"opted out on {household.opted_out_at:%Y-%m-%d %H:%M} UTC: never contacted again"
    if household.wrong_number_at:
        return f"number marked wrong on {household.wrong_number_at:%Y-%m-%d %H:%M} UTC: fix the number to contact it"
    if not household.phone:
        return "no phone number"
    return None
