"""Planning: a round becomes one due attempt row per household, written set-wise.

Households are grouped by time zone, because a round's due time is a local wall-clock
time: one INSERT ... SELECT per zone, so a million households plan in seconds and memory
does not grow with the list. A round is planned once (planned_rounds), in one transaction.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.outreach import schedule
from campaigns.outreach.campaign_file import CampaignSpec
from campaigns.records import proofs
from campaigns.records.models import AttemptKind, Attempt, AttemptStatus, CampaignMember, Household, PlannedRound, UTCDateTime

# Rounds are written this long before their first household is due, so a dispatcher
# that restarts or falls behind still finds them.
PLAN_AHEAD = timedelta(hours=12)


def eligible(campaign_id: str, spec: CampaignSpec):
    """The SQL condition selecting the campaign's households that may be contacted."""
    households = Household.__table__.c
    # A walk-in is somebody who wrote in: a number that only ever texted is not on a list the
    # office gave, so no campaign dials it unless its owner proved it with a texted code.
    condition = sa.and_(households.opted_out_at.is_(None), households.wrong_number_at.is_(None),
                        households.phone.is_not(None),
                        sa.or_(households.walk_in.is_(False), households.phone.in_(proofs.proved_phones())))
    selection = spec.households
    if selection.mode == "community":
        condition = sa.and_(condition, households.community == selection.community)
    elif selection.mode == "file":
        members = CampaignMember.__table__.c
        condition = sa.and_(condition, sa.exists().where(
            members.campaign_id == campaign_id, members.household_id == households.id))
    return condition


def zones(session: Session, *, campaign_id: str, spec: CampaignSpec) -> list[str]:
    households = Household.__table__.c
    query = sa.select(households.timezone).where(eligible(campaign_id, spec)).distinct()
    return [row[0] for row in session.execute(query)]


def rounds_to_plan(session: Session, *, campaign_id: str, spec: CampaignSpec, now: datetime,
                   zone_names: list[str]) -> list[tuple[date, int]]:
    """Rounds not yet planned whose earliest due time (over the zones) is within PLAN_AHEAD."""
    planned = {(row[0], row[1]) for row in session.execute(
        sa.select(PlannedRound.day, PlannedRound.round_no).where(PlannedRound.campaign_id == campaign_id))}
    window, due = spec.window(), []
    tzs = [ZoneInfo(name) for name in zone_names]
    for day in spec.days():
        for round_no in range(1, len(spec.schedule.rounds) + 1):
            if (day, round_no) in planned or not tzs:
                continue
            first = min(schedule.round_times(day, spec.schedule.rounds, window, tz)[round_no - 1] for tz in tzs)
            if first - now <= PLAN_AHEAD:
                due.append((day, round_no))
    return due


def plan_round(session: Session, *, campaign_id: str, spec: CampaignSpec, day: date, round_no: int,
               now: datetime, zone_names: list[str]) -> int:
    """Write the round's attempts (none for a household that already has one) and mark it planned.

    A round whose time has passed starts now, if the round has not ended yet for that zone."""
    attempts, households = Attempt.__table__, Household.__table__.c
    window, total = spec.window(), 0
    for name in zone_names:
        tz = ZoneInfo(name)
        due = schedule.round_times(day, spec.schedule.rounds, window, tz)[round_no - 1]
        ends = schedule.round_end(day, round_no, spec.schedule.rounds, window, tz)
        if now >= ends:
            continue  # too late for this round in this zone
        existing = sa.select(attempts.c.id).where(
            attempts.c.household_id == households.id, attempts.c.campaign_id == campaign_id,
            attempts.c.day == day, attempts.c.round_no == round_no)
        select = sa.select(
            sa.literal(campaign_id), households.id, sa.literal(day, sa.Date()), sa.literal(round_no),
            sa.literal(1), sa.literal(AttemptKind.round.value), sa.literal(spec.channels[0].type),
            sa.literal(max(due, now), UTCDateTime()), sa.literal(AttemptStatus.due.value),
        ).where(eligible(campaign_id, spec), households.timezone == name, ~sa.exists(existing))
        insert = attempts.insert().from_select(
            ["campaign_id", "household_id", "day", "round_no", "try_no", "kind", "channel", "due_at", "status"],
            select)
        total += session.execute(insert).rowcount or 0
    session.add(PlannedRound(campaign_id=campaign_id, day=day, round_no=round_no, households=total, planned_at=now))
    return total


def plan_due_rounds(session: Session, *, campaign_id: str, spec: CampaignSpec, now: datetime) -> int:
    """Plan every round that is close enough; commits each round on its own. Returns attempts written."""
    zone_names = zones(session, campaign_id=campaign_id, spec=spec)
    written = 0
    for day, round_no in rounds_to_plan(session, campaign_id=campaign_id, spec=spec, now=now,
                                        zone_names=zone_names):
        written += plan_round(session, campaign_id=campaign_id, spec=spec, day=day, round_no=round_no,
                              now=now, zone_names=zone_names)
        session.commit()
    return written
