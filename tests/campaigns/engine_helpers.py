"""Shared helpers for the campaign-engine tests: specs, households, and a started campaign
driven by the real dispatcher and the simulated carrier on a virtual clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from sqlmodel import Session, select

from campaigns.outreach import lifecycle
from campaigns.outreach.campaign_file import CampaignSpec, parse_campaign
from campaigns.carriers.simulated import SimulatedCarrier, Timings
from campaigns.outreach.clock import VirtualClock
from campaigns.outreach.dispatcher import Dispatcher
from campaigns.records.models import (Attempt, AttemptStatus, Campaign, CampaignStatus, Escalation, Household,
                              Screening, UnreachableDay)
from campaigns.carriers.residents import SimResident

TIMINGS = Timings()  # the simulated carrier's defaults: ring 2 s, busy 3 s, no answer 30 s...
IDLE_STEP = timedelta(hours=1)
MAX_STEPS = 5000  # a run that needs more is stuck (time no longer moves): fail, don't hang


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def campaign_data(**fields: Any) -> dict:
    """A campaign file as parsed YAML: one day (2024-03-05), rounds 09:00 and 16:00, window 08:00-20:00."""
    data = {
        "name": "c1",
        "schedule": {"start": "2024-03-05", "days": 1, "rounds": ["09:00", "16:00"]},
        "calling_window": {"start": "08:00", "end": "20:00"},
    }
    data.update(fields)
    return data


def make_spec(path: Path = Path("campaigns/c1.yml"), **fields: Any) -> CampaignSpec:
    return parse_campaign(campaign_data(**fields), path=path)


def household(id: str, phone: Optional[str], tz: str = "UTC", **fields: Any) -> Household:
    return Household(id=id, phone=phone, timezone=tz, **fields)


def add(engine, *rows) -> None:
    with Session(engine) as session:
        for row in rows:
            session.add(row)
        session.commit()


def start(engine, spec: CampaignSpec, now: datetime) -> None:
    with Session(engine) as session:
        lifecycle.start_campaign(session, spec=spec, source="test", now=now)
        session.commit()


def change(engine, campaign_id: str, action: str, now: datetime) -> int:
    with Session(engine) as session:
        _, canceled = lifecycle.change_status(session, campaign_id=campaign_id, action=action, now=now)
        session.commit()
    return canceled


def attempts(engine, household_id: Optional[str] = None) -> list[Attempt]:
    with Session(engine) as session:
        query = select(Attempt).order_by(Attempt.household_id, Attempt.day, Attempt.round_no, Attempt.try_no)
        if household_id:
            query = query.where(Attempt.household_id == household_id)
        return list(session.exec(query).all())


def rows(engine, model, *where) -> list:
    with Session(engine) as session:
        return list(session.exec(select(model).where(*where)).all())


def escalations(engine, household_id: str, kind: str) -> list[Escalation]:
    return rows(engine, Escalation, Escalation.household_id == household_id, Escalation.kind == kind)


def unreachable_days(engine, household_id: str) -> list[UnreachableDay]:
    return rows(engine, UnreachableDay, UnreachableDay.household_id == household_id)


def screenings(engine, household_id: str) -> list[Screening]:
    with Session(engine) as session:
        return list(session.exec(select(Screening).where(Screening.household_id == household_id)
                                 .order_by(Screening.id)).all())


class Run:
    """A campaign started at `begin` and dialled by the real dispatcher through the simulated
    carrier, on a virtual clock driven as a dry run drives it."""

    def __init__(self, engine, spec: CampaignSpec, *, begin: datetime, residents: dict[str, SimResident],
                 bot=None, started: bool = False) -> None:
        self.engine, self.spec = engine, spec
        if not started:
            start(engine, spec, begin)
        self.clock = VirtualClock(begin)
        self.residents = residents
        self.dispatcher = Dispatcher(engine, clock=self.clock, carrier=lambda d: SimulatedCarrier(
            d.on_status, clock=self.clock, bot=bot, residents=residents, timings=TIMINGS))
        self.carrier: SimulatedCarrier = self.dispatcher.carrier

    async def run_until(self, until: datetime) -> None:
        """Tick, then jump to the next thing to do (a due attempt, a carrier event, or an hour)."""
        for _ in range(MAX_STEPS):
            await self.dispatcher.tick()
            now = self.clock.now()
            if now >= until:
                return
            await self.clock.run_until(min(self._wake(now), until))
        raise AssertionError(f"the run is stuck at {self.clock.now().isoformat()}")

    def _wake(self, now: datetime) -> datetime:
        due = None
        with Session(self.engine) as session:
            campaign = session.get(Campaign, self.spec.name)
            if campaign.status == CampaignStatus.running.value:
                due = session.exec(select(Attempt.due_at).where(
                    Attempt.campaign_id == self.spec.name, Attempt.status == AttemptStatus.due.value)
                    .order_by(Attempt.due_at)).first()
        if due is not None and due <= now:
            return now + timedelta(seconds=self.dispatcher.tick_seconds)
        times = [t for t in (self.clock.next_job_at(), due) if t is not None] + [now + IDLE_STEP]
        return max(min(times), now)

    def calls_to(self, phone: str) -> list[str]:
        """The channel of each contact the carrier was asked to make to `phone`, in order."""
        return [contact.channel for _, contact in self.carrier.calls if contact.to == phone]


def log_of(engine, household_id: str) -> list[tuple]:
    """(round, try, kind, channel, due_at, status) of each attempt of a household, in order."""
    return [(a.round_no, a.try_no, a.kind, a.channel, a.due_at, a.status) for a in attempts(engine, household_id)]
