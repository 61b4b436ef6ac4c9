"""Campaign progress per round, and why a household was or was not contacted."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from campaigns.records import counts
from campaigns.records.local_times import stamped
from campaigns.records.models import Attempt, Campaign, Household, PlannedRound

UTC = ZoneInfo("UTC")


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
    """One line per planned round, in order; counted by records/counts.py like every other reader."""
    found = counts.tally(session, by=("day", "round_no"), campaign_id=campaign_id)
    rows = [RoundProgress(day, no, t.targeted, t.reached, t.due, t.dialling, t.unreachable, t.abnormal)
            for (day, no), t in found.items()]
    planned = {(r.day, r.round_no) for r in session.exec(
        select(PlannedRound).where(PlannedRound.campaign_id == campaign_id)).all()}
    rows += [RoundProgress(day, no, 0, 0, 0, 0, 0, 0) for day, no in planned - set(found)]
    return sorted(rows, key=lambda r: (r.day, r.round_no))


def household_log(session: Session, *, household_id: str, campaign_id: Optional[str] = None) -> list[Attempt]:
    """Every attempt made or planned for a household, oldest first."""
    query = select(Attempt).where(Attempt.household_id == household_id)
    if campaign_id:
        query = query.where(Attempt.campaign_id == campaign_id)
    return list(session.exec(query.order_by(Attempt.day, Attempt.round_no, Attempt.try_no)).all())


def why_not_contacted(household: Household, campaign: Optional[Campaign], *,
                      office: ZoneInfo = UTC) -> Optional[str]:
    """The standing reason a household is never dialled, if there is one; times in the office's zone."""
    if household.opted_out_at:
        return f"opted out on {stamped(household.opted_out_at, office)}: never contacted again"
    if household.wrong_number_at:
        return f"number marked wrong on {stamped(household.wrong_number_at, office)}: fix the number to contact it"
    if not household.phone:
        return "no phone number"
    return None
