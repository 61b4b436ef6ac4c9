"""Starting, pausing, resuming and stopping a campaign. Keyword-only data functions; the caller commits."""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.outreach import planner
from campaigns.outreach.campaign_file import CampaignSpec, spec_to_json
from campaigns.records.models import (Attempt, AttemptStatus, Campaign, CampaignMember, CampaignStatus, Household,
                              PlannedRound)

# action -> (statuses it may start from, the status it leads to)
TRANSITIONS = {
    "pause": ((CampaignStatus.running,), CampaignStatus.paused),
    "resume": ((CampaignStatus.paused,), CampaignStatus.running),
    "stop": ((CampaignStatus.running, CampaignStatus.paused), CampaignStatus.stopped),
}


class CampaignError(Exception):
    """A campaign command that cannot be done; the message says why and what to do."""


def start_campaign(session: Session, *, spec: CampaignSpec, source: str, now: datetime) -> tuple[Campaign, int]:
    """Start (or start again after a stop) a campaign; returns it and how many households it covers."""
    campaign = session.get(Campaign, spec.name)
    if campaign is not None and campaign.status in (CampaignStatus.running.value, CampaignStatus.paused.value):
        raise CampaignError(f"campaign {spec.name!r} is already {campaign.status}; "
                            f"use 'screening campaign stop {spec.name}' first to start it again from the file")
    if campaign is None:
        campaign = Campaign(id=spec.name, spec_json="{}", created_at=now)
    else:
        _forget_unplaced(session, campaign_id=spec.name)
    campaign.source, campaign.spec_json = source, spec_to_json(spec)
    campaign.status, campaign.updated_at = CampaignStatus.running.value, now
    session.add(campaign)
    session.flush()
    if spec.households.mode == "file":
        _load_members(session, campaign_id=spec.name, path=spec.households.file)
    count = session.execute(sa.select(sa.func.count()).select_from(Household.__table__)
                            .where(planner.eligible(spec.name, spec))).scalar_one()
    if count == 0:
        raise CampaignError(f"no household to contact: {describe_selection(spec)} has no household "
                            "with a phone that has not opted out (import a list with 'screening households import')")
    return campaign, count


def _forget_unplaced(session: Session, *, campaign_id: str) -> None:
    """Started again: its rounds are planned afresh. Attempts canceled without being placed
    (by the stop) go, and so do the planned-round marks, which would otherwise keep every round
    already planned from being dialled again; households already called keep their attempts."""
    table = Attempt.__table__.c
    session.execute(sa.delete(Attempt.__table__).where(
        table.campaign_id == campaign_id, table.status == AttemptStatus.canceled.value, table.placed_at.is_(None)),
        execution_options={"synchronize_session": False})
    session.execute(sa.delete(PlannedRound.__table__).where(PlannedRound.__table__.c.campaign_id == campaign_id),
                    execution_options={"synchronize_session": False})


def describe_selection(spec: CampaignSpec) -> str:
    selection = spec.households
    if selection.mode == "community":
        return f"community {selection.community!r}"
    if selection.mode == "file":
        return f"the list {selection.file}"
    return "the household table"


def _load_members(session: Session, *, campaign_id: str, path: Path) -> None:
    session.execute(sa.delete(CampaignMember.__table__).where(CampaignMember.campaign_id == campaign_id))
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            column = next((name for name in reader.fieldnames or [] if name.strip().lower() == "household_id"), None)
            if column is None:
                raise CampaignError(f"{path}: no household_id column")
            ids = {row[column].strip() for row in reader if (row.get(column) or "").strip()}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CampaignError(f"{path}: cannot read the household list: {exc}") from None
    known = set(session.exec(select(Household.id).where(Household.id.in_(ids))).all()) if ids else set()
    missing = sorted(ids - known)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CampaignError(f"{path}: {len(missing)} household_id(s) not imported yet: {shown}")
    session.execute(CampaignMember.__table__.insert(),
                    [{"campaign_id": campaign_id, "household_id": h} for h in sorted(known)])


def change_status(session: Session, *, campaign_id: str, action: str, now: datetime) -> tuple[Campaign, int]:
    """Pause, resume or stop; returns the campaign and, for a stop, how many due attempts were canceled."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        known = session.exec(select(Campaign.id).order_by(Campaign.id)).all()
        hint = f"; known: {', '.join(known)}" if known else "; none has been started"
        raise CampaignError(f"no campaign named {campaign_id!r}{hint}")
    allowed, target = TRANSITIONS[action]
    if campaign.status not in {s.value for s in allowed}:
        raise CampaignError(f"campaign {campaign_id!r} is {campaign.status}; cannot {action} it")
    campaign.status, campaign.updated_at = target.value, now
    session.add(campaign)
    canceled = 0
    if action == "stop":
        table = Attempt.__table__.c
        canceled = session.execute(
            sa.update(Attempt.__table__)
            .where(table.campaign_id == campaign_id, table.status == AttemptStatus.due.value)
            .values(status=AttemptStatus.canceled.value, ended_at=now, detail="canceled: the campaign was stopped"),
            execution_options={"synchronize_session": False}).rowcount or 0
    return campaign, canceled


def finish_if_done(session: Session, *, campaign_id: str, spec: CampaignSpec, zones: list[str],
                   now: datetime) -> bool:
    """Mark a running campaign finished once every round was planned, nothing is pending and
    the last day's window has closed everywhere. Returns whether it was marked."""
    from zoneinfo import ZoneInfo

    from campaigns.outreach import schedule
    from campaigns.records.models import PENDING_STATUSES, PlannedRound

    rounds = len(spec.days()) * len(spec.schedule.rounds)
    planned = session.execute(sa.select(sa.func.count()).select_from(PlannedRound.__table__)
                              .where(PlannedRound.campaign_id == campaign_id)).scalar_one()
    pending = session.exec(select(Attempt.id).where(
        Attempt.campaign_id == campaign_id, Attempt.status.in_([s.value for s in PENDING_STATUSES]))).first()
    closes = max((schedule.window_bounds(spec.days()[-1], spec.window(), ZoneInfo(z))[1] for z in zones),
                 default=now)
    if planned < rounds or pending is not None or now < closes:
        return False
    campaign = session.get(Campaign, campaign_id)
    campaign.status, campaign.updated_at = CampaignStatus.finished.value, now
    session.add(campaign)
    return True
