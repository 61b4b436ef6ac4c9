"""The dispatcher: claims due attempts and paces them out to the carrier; what comes back
(statuses, retries, callbacks, alerts) is handled by `campaigns.outreach.outcomes`.

It holds no schedule of its own: everything due is an attempt row. What it keeps in
memory (the pacers and the short queue of claimed attempts about to start) is rebuilt
from the database after a restart. `tick()` is called every second, by APScheduler in
`screening run` and by the virtual clock in a dry run.
"""
from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from campaigns.records import attempts as data
from campaigns.records.conversations import Retention
from campaigns.settings import get_settings
from campaigns.outreach import chat_links, lifecycle, planner, schedule, unreachable
from campaigns.outreach.campaign_file import CampaignSpec, spec_from_json
from campaigns.carriers.base import (
    CallStatus,
    Carrier,
    CarrierError,
    Contact,
    StatusEvent,
)
from campaigns.outreach.clock import RealClock, VirtualClock, instant
from campaigns.records.models import AttemptKind, Attempt, AttemptStatus, Campaign, CampaignStatus, Household
from campaigns.records.vocabulary import language_of
from campaigns.outreach.outcomes import Outcomes
from campaigns.outreach.pacing import Pacer
from campaigns.outreach.workers import Workers

log = logging.getLogger(__name__)

PLAN_EVERY = timedelta(minutes=1)


@dataclass
class Counters:
    """What this dispatcher did, for progress and the dry-run summary."""

    placed: int = 0
    retries: int = 0
    callbacks: int = 0
    alerts: int = 0  # supervisor texts sent
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Dispatcher:
    def __init__(self, engine, *, carrier: Callable[["Dispatcher"], Carrier],
                 clock: RealClock | VirtualClock, tick_seconds: float = 1.0,
                 stale_after: timedelta = timedelta(seconds=60)) -> None:
        self.engine = engine
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.workers = Workers(engine, worker=self.worker, stale_after=stale_after)
        self.counters = Counters()
        self.outcomes = Outcomes(engine, clock=clock, worker=self.worker, workers=self.workers,
                                 counters=self.counters, spec_of=self._spec, carrier=lambda: self.carrier)
        self.carrier = carrier(self)
        self.retention = Retention(engine, days=get_settings().conversation_retention_days)
        # Where chat links point: the carrier's public address (Twilio's webhooks'), else the settings'.
        self.public_url = getattr(self.carrier, "public_url", None) or get_settings().public_url
        self._specs: dict[str, tuple[datetime, CampaignSpec]] = {}
        self._pacers: dict[tuple[str, str], Pacer] = {}  # by (campaign, calls | texts)
        self._waiting: dict[str, int] = defaultdict(int)  # placed on the grid, not started yet
        self._next_slot: dict[tuple[str, str], float] = {}  # next free start slot (epoch s) by lane
        self._planned_at: Optional[datetime] = None

    # --- the tick -------------------------------------------------------------------
    async def tick(self) -> None:
        """Housekeeping once a minute, dispatching every time: what a dry run calls each second."""
        now = self.clock.now()
        if self._planned_at is None or now - self._planned_at >= PLAN_EVERY:
            await self.housekeeping()
        await self.dispatch()

    async def housekeeping(self) -> None:
        """Take back dead dispatchers' work, plan rounds that are near, escalate unreachable days,
        delete conversations past their retention (hourly)."""
        now = self.clock.now()
        self._planned_at = now
        self.workers.beat(now)
        await self.outcomes.recover(now)
        await self.outcomes.expire_overdue(now)
        await self.outcomes.settle_links(now)
        self.plan(self.running(), now)
        await self.retention.run()

    async def dispatch(self, *, claims_only: bool = False) -> None:
        """Claim what is due for each running campaign and hand it to the pacer; apply the carriers'
        events and send alerts and proof codes. `claims_only`: only claim (a dry run's tick that
        knows the rest has nothing to do, campaigns.outreach.dryrun.Ticks)."""
        now = self.clock.now()
        self.workers.beat(now)
        if not claims_only:
            await self.outcomes.apply_carrier_events()
        for campaign_id, spec in self.running().items():
            self._claim(campaign_id, spec, now)
        if not claims_only:
            await self.outcomes.alert_supervisors(now)
            await self.outcomes.send_proof_codes()

    def release(self) -> int:
        """On a clean stop: claimed attempts not yet placed go back to due at once."""
        self._waiting.clear()
        with Session(self.engine) as session:
            released = data.release_claims(session, workers=[self.worker])
            session.commit()
        return released

    def running(self) -> dict[str, CampaignSpec]:
        with Session(self.engine) as session:
            rows = session.exec(select(Campaign).where(Campaign.status == CampaignStatus.running.value)).all()
            return {row.id: self._spec(row) for row in rows}

    def _spec(self, row: Campaign) -> CampaignSpec:
        cached = self._specs.get(row.id)
        if cached is None or cached[0] != row.updated_at:
            cached = (row.updated_at, spec_from_json(row.spec_json))
            self._specs[row.id] = cached
        return cached[1]

    def plan(self, campaigns: dict[str, CampaignSpec], now: datetime) -> None:
        with Session(self.engine) as session:
            for campaign_id, spec in campaigns.items():
                planner.plan_due_rounds(session, campaign_id=campaign_id, spec=spec, now=now)
                zones = planner.zones(session, campaign_id=campaign_id, spec=spec)
                unreachable.escalate_unreachable(session, campaign_id=campaign_id, window=spec.window(),
                                                 zones=zones, now=now)
                if lifecycle.finish_if_done(session, campaign_id=campaign_id, spec=spec, zones=zones, now=now):
                    session.commit()
                    log.info("campaign %s finished", campaign_id)

    def _claim(self, campaign_id: str, spec: CampaignSpec, now: datetime) -> None:
        """Claim what the pacer can start before the next tick (and a little more), get each
        ready to place, and give each a start slot on the pacing grid."""
        fastest = max(_rate(spec, step.type) for step in spec.channels)
        budget = math.ceil(fastest * self.tick_seconds * 1.5) - self._waiting[campaign_id]
        ready = []
        with Session(self.engine) as session:
            room = spec.pacing.max_concurrent_calls - data.count_active(session, campaign_id=campaign_id)
            claimed = data.claim_due(session, campaign_id=campaign_id, now=now,
                                     limit=min(budget, room), worker=self.worker)
            campaign = session.get(Campaign, campaign_id)
            days = data.days_of(session, campaign_id=campaign_id, keys=[(h.id, a.day) for a, h in claimed])
            for attempt, household in claimed:
                contact = self._prepare(session, attempt, household, campaign, spec, now,
                                        today=days[(household.id, attempt.day)])
                if contact is not None:
                    ready.append((contact, ZoneInfo(household.timezone)))
            session.commit()
        for contact, tz in ready:  # each on its lane's grid: calls at calls_per_second, texts at sms_per_second
            lane = (campaign_id, _lane(contact.channel))
            pacer = self._pacers.setdefault(lane, Pacer(_rate(spec, contact.channel)))
            slot = max(now.timestamp(), self._next_slot.get(lane, 0.0))
            self._waiting[campaign_id] += 1
            self.clock.call_at(instant(slot), self.place, campaign_id, contact, tz)
            self._next_slot[lane] = slot + pacer.spacing

    async def on_status(self, event: StatusEvent) -> None:
        """Where carriers report: see Outcomes.on_status."""
        await self.outcomes.on_status(event)

    async def recover(self, now: datetime) -> None:
        await self.outcomes.recover(now)

    # --- one attempt ---------------------------------------------------------------
    async def place(self, campaign_id: str, contact: Contact, tz: ZoneInfo) -> None:
        """At its slot: check the pacer on the real time (a late wake-up must not make a burst)
        and the calling window, then hand the attempt to the carrier."""
        now = self.clock.now()
        pacer = self._pacers[(campaign_id, _lane(contact.channel))]
        at = pacer.next_start(now.timestamp())
        if at > now.timestamp():  # rounded up by instant(): the next try is strictly later
            self.clock.call_at(instant(at), self.place, campaign_id, contact, tz)
            return
        self._waiting[campaign_id] -= 1
        if not self._specs[campaign_id][1].window().contains(now.astimezone(tz).time()):
            await self._missed_window(contact.attempt_id)  # the window closed while it waited
            return
        pacer.record(now.timestamp())
        try:
            if contact.channel == "voice":
                await self.carrier.place_call(contact)
            elif contact.channel == "chat_link":
                self._keep_ref(contact.attempt_id, await self.carrier.send_link(contact))
            else:
                self._keep_ref(contact.attempt_id, await self.carrier.start_conversation(contact))
        except CarrierError as exc:
            await self.on_status(StatusEvent(contact.attempt_id, CallStatus.failed, self.clock.now(), detail=str(exc)))
        # A call's reference is kept from its status events: no write per call here.

    def _keep_ref(self, attempt_id: int, ref: str) -> None:
        """A text conversation's reference (its first message): later events name the conversation."""
        if not ref:
            return
        with Session(self.engine) as session:
            attempt = session.get(Attempt, attempt_id)
            if attempt is not None and not attempt.carrier_ref:
                attempt.carrier_ref = ref
                session.add(attempt)
                session.commit()

    async def _missed_window(self, attempt_id: int) -> None:
        now = self.clock.now()
        with Session(self.engine) as session:
            attempt = session.get(Attempt, attempt_id)
            household = session.get(Household, attempt.household_id)
            attempt.status, attempt.placed_at = AttemptStatus.claimed.value, None
            self._outside_window(session, attempt, self._spec(session.get(Campaign, attempt.campaign_id)),
                                 now, ZoneInfo(household.timezone))
            session.commit()

    def _prepare(self, session: Session, attempt: Attempt, household: Household, campaign: Campaign,
                 spec: CampaignSpec, now: datetime, *, today: list[Attempt]) -> Optional[Contact]:
        """The contact to place, or None after recording why the attempt is not placed now."""
        if campaign.status == CampaignStatus.paused.value:
            attempt.status, attempt.worker, attempt.claim_token = AttemptStatus.due.value, None, None
            session.add(attempt)
            return None
        if campaign.status != CampaignStatus.running.value:
            data.set_status(session, attempt=attempt, status=AttemptStatus.canceled.value, at=now,
                            detail=f"not placed: the campaign is {campaign.status}")
            return None
        if household.opted_out_at or household.wrong_number_at:
            why = "opted out" if household.opted_out_at else "its number is marked wrong"
            data.set_status(session, attempt=attempt, status=AttemptStatus.skipped.value, at=now,
                            detail=f"not placed: the household {why}")
            return None
        tz, window = ZoneInfo(household.timezone), spec.window()
        if not window.contains(now.astimezone(tz).time()):
            return self._outside_window(session, attempt, spec, now, tz)
        placed = [a for a in today if a.placed_at is not None and a.kind != AttemptKind.callback.value]
        if attempt.kind != AttemptKind.callback.value and len(placed) >= spec.retries.max_attempts_per_day:
            data.set_status(session, attempt=attempt, status=AttemptStatus.canceled.value, at=now,
                            detail=f"not placed: {spec.retries.max_attempts_per_day} attempts already made today")
            return None
        attempt.channel = channel_for(spec, failed=[a.channel for a in today if a.status in data.UNSUCCESSFUL])
        # Tied to the household and the attempt; the claim token keeps it unique across databases.
        attempt.conversation_id = f"{household.id}:a{attempt.id}-{attempt.claim_token[:6]}"
        data.set_status(session, attempt=attempt, status=AttemptStatus.dialing.value, at=now)
        self.counters.placed += 1
        contact = Contact(
            attempt_id=attempt.id, household_id=household.id, to=household.phone, channel=attempt.channel,
            conversation_id=attempt.conversation_id, caller_id=spec.caller_id)
        return self._with_link(session, contact, household, spec, tz, day=attempt.day)

    def _with_link(self, session: Session, contact: Contact, household: Household, spec: CampaignSpec,
                   tz: ZoneInfo, *, day) -> Contact:
        """A chat link's contact carries its text: a link signed for the attempt, in the household's
        language, good until the day's window closes."""
        if contact.channel != "chat_link":
            return contact
        expires = chat_links.expires_at(day, spec.window(), tz)
        text = chat_links.compose(session, attempt_id=contact.attempt_id, expires=expires,
                                  language=language_of(household.language) or spec.language,
                                  public_url=self.public_url)
        return replace(contact, text=text, expires_at=expires)

    def _outside_window(self, session, attempt: Attempt, spec: CampaignSpec, now: datetime, tz) -> None:
        opens = schedule.next_in_window(now, spec.window(), tz)
        ends = schedule.round_end(attempt.day, attempt.round_no, spec.schedule.rounds, spec.window(), tz)
        if attempt.kind == AttemptKind.callback.value or opens < ends:  # a callback keeps its day; a round must not overrun
            attempt.status, attempt.due_at, attempt.worker, attempt.claim_token = AttemptStatus.due.value, opens, None, None
            attempt.detail = "waiting: outside the calling window"
            session.add(attempt)
        else:
            data.set_status(session, attempt=attempt, status=AttemptStatus.canceled.value, at=now,
                            detail="not placed: the round ended outside the calling window")
        return None

def _lane(channel: str) -> str:
    """Calls and texts are paced apart: a carrier limits each on its own."""
    return "calls" if channel == "voice" else "texts"


def _rate(spec: CampaignSpec, channel: str) -> float:
    return spec.pacing.calls_per_second if _lane(channel) == "calls" else spec.pacing.sms_per_second


def channel_for(spec: CampaignSpec, *, failed: list[str]) -> str:
    """The campaign's first channel that has not used up its failed attempts today."""
    for step in spec.channels:
        if step.attempts is None or failed.count(step.type) < step.attempts:
            return step.type
    return spec.channels[-1].type
