"""The dispatcher: claims due attempts, paces them out to the carrier, and turns call
statuses into outcomes, retries and callbacks.

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from campaigns import attempts as data
from campaigns import alerts, inbox, lifecycle, planner, schedule, store, unreachable
from campaigns.campaign_file import CampaignSpec, spec_from_json
from campaigns.carriers.base import Carrier, CarrierError, CallStatus, Contact, StatusEvent
from campaigns.clock import RealClock, VirtualClock
from campaigns.models import Attempt, AttemptStatus, Campaign, CampaignStatus, CarrierEvent, Household
from campaigns.pacing import Pacer
from campaigns.workers import Workers

log = logging.getLogger(__name__)

_STATUS = {
    CallStatus.ringing: AttemptStatus.dialing,
    CallStatus.in_progress: AttemptStatus.in_progress,
    CallStatus.completed: AttemptStatus.completed,
    CallStatus.busy: AttemptStatus.busy,
    CallStatus.no_answer: AttemptStatus.no_answer,
    CallStatus.machine: AttemptStatus.machine,
    CallStatus.failed: AttemptStatus.failed,
    CallStatus.canceled: AttemptStatus.canceled,
}
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
        self.carrier = carrier(self)
        self.counters = Counters()
        self._specs: dict[str, tuple[datetime, CampaignSpec]] = {}
        self._pacers: dict[str, Pacer] = {}
        self._waiting: dict[str, int] = defaultdict(int)  # placed on the grid, not started yet
        self._next_slot: dict[str, float] = {}  # the next free start slot (epoch seconds)
        self._planned_at: Optional[datetime] = None

    # --- the tick -------------------------------------------------------------------
    async def tick(self) -> None:
        """Housekeeping once a minute, dispatching every time: what a dry run calls each second."""
        now = self.clock.now()
        if self._planned_at is None or now - self._planned_at >= PLAN_EVERY:
            await self.housekeeping()
        await self.dispatch()

    async def housekeeping(self) -> None:
        """Take back dead dispatchers' work, plan rounds that are near, escalate unreachable days."""
        now = self.clock.now()
        self._planned_at = now
        self.workers.beat(now)
        await self.recover(now)
        await self.expire_overdue(now)
        self.plan(self.running(), now)

    async def dispatch(self) -> None:
        """Claim what is due for each running campaign and hand it to the pacer."""
        now = self.clock.now()
        self.workers.beat(now)
        await self.apply_carrier_events()
        for campaign_id, spec in self.running().items():
            self._claim(campaign_id, spec, now)
        await self.alert_supervisors(now)

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
        budget = math.ceil(spec.pacing.calls_per_second * self.tick_seconds * 1.5) - self._waiting[campaign_id]
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
        pacer = self._pacers.setdefault(campaign_id, Pacer(spec.pacing.calls_per_second))
        slot = max(now.timestamp(), self._next_slot.get(campaign_id, 0.0))
        for contact, tz in ready:
            self._waiting[campaign_id] += 1
            self.clock.call_at(_instant(slot), self.place, campaign_id, contact, tz)
            slot += pacer.spacing
        self._next_slot[campaign_id] = slot

    # --- one attempt ---------------------------------------------------------------
    async def place(self, campaign_id: str, contact: Contact, tz: ZoneInfo) -> None:
        """At its slot: check the pacer on the real time (a late wake-up must not make a burst)
        and the calling window, then hand the attempt to the carrier."""
        now = self.clock.now()
        at = self._pacers[campaign_id].next_start(now.timestamp())
        if at > now.timestamp():
            self.clock.call_at(_instant(at), self.place, campaign_id, contact, tz)
            return
        self._waiting[campaign_id] -= 1
        if not self._specs[campaign_id][1].window().contains(now.astimezone(tz).time()):
            await self._missed_window(contact.attempt_id)  # the window closed while it waited
            return
        self._pacers[campaign_id].record(now.timestamp())
        try:
            if contact.channel == "voice":
                await self.carrier.place_call(contact)
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
        placed = [a for a in today if a.placed_at is not None and a.kind != "callback"]
        if attempt.kind != "callback" and len(placed) >= spec.retries.max_attempts_per_day:
            data.set_status(session, attempt=attempt, status=AttemptStatus.canceled.value, at=now,
                            detail=f"not placed: {spec.retries.max_attempts_per_day} attempts already made today")
            return None
        attempt.channel = channel_for(spec, failed=[a.channel for a in today if a.status in data.UNSUCCESSFUL])
        # Tied to the household and the attempt; the claim token keeps it unique across databases.
        attempt.conversation_id = f"{household.id}:a{attempt.id}-{attempt.claim_token[:6]}"
        data.set_status(session, attempt=attempt, status=AttemptStatus.dialing.value, at=now)
        self.counters.placed += 1
        return Contact(
            attempt_id=attempt.id, household_id=household.id, to=household.phone, channel=attempt.channel,
            conversation_id=attempt.conversation_id, caller_id=spec.caller_id, language=spec.language,
            metadata={"household_id": household.id, "campaign_id": attempt.campaign_id,
                      "emergency_number": spec.screening.emergency_number},
            voice=spec.voice,
            machine_message=spec.answering_machine.message if spec.answering_machine.leave_message else None,
        )

    def _outside_window(self, session, attempt: Attempt, spec: CampaignSpec, now: datetime, tz) -> None:
        opens = schedule.next_in_window(now, spec.window(), tz)
        ends = schedule.round_end(attempt.day, attempt.round_no, spec.schedule.rounds, spec.window(), tz)
        if attempt.kind == "callback" or opens < ends:  # a callback keeps its day; a round must not overrun
            attempt.status, attempt.due_at, attempt.worker, attempt.claim_token = AttemptStatus.due.value, opens, None, None
            attempt.detail = "waiting: outside the calling window"
            session.add(attempt)
        else:
            data.set_status(session, attempt=attempt, status=AttemptStatus.canceled.value, at=now,
                            detail="not placed: the round ended outside the calling window")
        return None

    # --- what the carrier reports --------------------------------------------------
    async def on_status(self, event: StatusEvent) -> None:
        """Record a status; a final one leads to a retry, a callback or nothing."""
        status = _STATUS[CallStatus(event.status)]
        if status is AttemptStatus.dialing:
            return  # the attempt is dialing from the moment it was placed: nothing to record
        with Session(self.engine) as session:
            attempt = session.get(Attempt, event.attempt_id)
            if attempt is None:
                log.warning("status %s for unknown attempt %s ignored", event.status, event.attempt_id)
                return
            if event.carrier_ref and not attempt.carrier_ref:
                attempt.carrier_ref = event.carrier_ref
            household = session.get(Household, attempt.household_id)
            if event.opted_out:
                self._carrier_opt_out(session, attempt, household)
            detail = event.detail
            if status is AttemptStatus.completed and not self._reached(session, attempt, household):
                status, detail = AttemptStatus.dropped, "the call ended before any answer was recorded"
            if not data.set_status(session, attempt=attempt, status=status.value, at=event.at, detail=detail):
                session.commit()  # the reference, if it was new
                return  # late, repeated or out of order
            if data.rank(status.value) == data.FINAL_RANK:
                self.counters.outcomes[status.value] += 1
                self.follow_up(session, attempt, event.at)
            session.commit()

    @staticmethod
    def _reached(session: Session, attempt: Attempt, household: Household) -> bool:
        """A completed call reached the household if something was recorded: a screening,
        an opt-out or a wrong number. A call that ended before any of that is retried."""
        return bool(household.opted_out_at or household.wrong_number_at or not attempt.conversation_id
                    or data.screening_written(session, conversation_id=attempt.conversation_id))

    @staticmethod
    def _carrier_opt_out(session: Session, attempt: Attempt, household: Household) -> None:
        if household.opted_out_at is None:
            store.record_opt_out(session, household=household, channel=attempt.channel,
                                 conversation_id=attempt.conversation_id or "",
                                 said="(the carrier reports the resident unsubscribed)")
            log.info("household %s opted out at the carrier", household.id)

    async def apply_carrier_events(self) -> int:
        """Apply the statuses Twilio reported to the Rasa server's channels, oldest first."""
        with Session(self.engine) as session:
            taken = inbox.take(session, worker=self.worker)
            session.commit()
            events = [StatusEvent(e.attempt_id, CallStatus(e.status), e.received_at, e.carrier_ref, e.detail,
                                  e.opted_out) for e in taken]
        for event in events:
            await self.on_status(event)
        if taken:
            with Session(self.engine) as session:
                for row in taken:
                    inbox.mark_applied(session, event=session.get(CarrierEvent, row.id))
                session.commit()
        return len(events)

    async def expire_overdue(self, now: datetime) -> None:
        """Placed attempts whose final status never came: a text nobody answered, a lost callback."""
        with Session(self.engine) as session:
            for attempt, status in inbox.overdue(session, now=now):
                if data.set_status(session, attempt=attempt, status=status, at=now,
                                   detail="no final status or reply came in time"):
                    self.follow_up(session, attempt, now)
            session.commit()

    async def alert_supervisors(self, now: datetime) -> None:
        """Text each supervisor about each new urgent escalation."""
        with Session(self.engine) as session:
            due = alerts.due(session, now=now)
            session.commit()
        for alert in due:
            try:
                ref, error = await self.carrier.send_sms(to=alert.phone, body=alert.body), None
                self.counters.alerts += 1
            except CarrierError as exc:
                ref, error = None, str(exc)
                log.error("alert to supervisor %s failed: %s", store.mask_phone(alert.phone), exc)
            with Session(self.engine) as session:
                alerts.record(session, alert=alert, at=self.clock.now(), carrier_ref=ref, error=error)
                session.commit()

    def follow_up(self, session: Session, attempt: Attempt, at: datetime) -> None:
        spec = self._spec(session.get(Campaign, attempt.campaign_id))
        household = session.get(Household, attempt.household_id)
        tz, window = ZoneInfo(household.timezone), spec.window()
        if attempt.status == AttemptStatus.completed.value:
            asked = data.callback_asked(session, conversation_id=attempt.conversation_id or "")
            if asked and asked[0] is not None:
                self._callback(session, attempt, asked[0], window, tz)
            return
        if attempt.status not in data.UNSUCCESSFUL:
            return
        # A dropped call was answered but nothing came of it: wait as for an unanswered one.
        outcome = {AttemptStatus.interrupted.value: "failed",
                   AttemptStatus.dropped.value: "no_answer"}.get(attempt.status, attempt.status)
        delay = timedelta(0) if attempt.status == AttemptStatus.interrupted.value else spec.retry_delay(outcome)
        if delay is None:
            return  # wait for the next round
        ends = schedule.round_end(attempt.day, attempt.round_no, spec.schedule.rounds, window, tz)
        due = schedule.retry_at(at, delay, round_ends_at=ends, window=window, tz=tz)
        if due is None:
            return
        today = data.placed_today(session, campaign_id=attempt.campaign_id, household_id=household.id, day=attempt.day)
        placed = sum(1 for a in today if a.placed_at is not None and a.kind != "callback")
        if placed < spec.retries.max_attempts_per_day and not data.pending_in_round(session, attempt=attempt):
            data.add_attempt(session, after=attempt, due_at=due, kind="retry",
                             detail=f"retry after {attempt.status.replace('_', ' ')}")
            self.counters.retries += 1

    def _callback(self, session: Session, attempt: Attempt, requested: datetime, window, tz) -> None:
        due = schedule.clamp_callback(requested, window, tz)
        day = schedule.window_day(due, window, tz)
        spec = self._spec(session.get(Campaign, attempt.campaign_id))
        if day not in spec.days():
            attempt.detail = "callback asked for after the campaign's last day: not scheduled"
            session.add(attempt)
            return
        times = schedule.round_times(day, spec.schedule.rounds, window, tz)
        round_no = max([i + 1 for i, t in enumerate(times) if t <= due] or [1])
        waiting = session.exec(select(Attempt).where(
            Attempt.campaign_id == attempt.campaign_id, Attempt.household_id == attempt.household_id,
            Attempt.day == day, Attempt.round_no == round_no, Attempt.status == AttemptStatus.due.value)).first()
        if waiting is not None:  # that round is already planned: move its attempt to the time asked for
            waiting.due_at, waiting.kind, waiting.detail = due, "callback", "callback asked for by the resident"
            session.add(waiting)
        else:
            data.add_attempt(session, after=attempt, due_at=due, kind="callback", day=day, round_no=round_no,
                             detail="callback asked for by the resident")
        self.counters.callbacks += 1

    # --- after a crash -------------------------------------------------------------
    async def recover(self, now: datetime) -> None:
        """Take back the attempts of dispatchers that died: unplaced claims become due again;
        a call that was running counts as reached if its screening was written, else it is retried."""
        dead = self.workers.dead(now)
        if not dead:
            return
        with Session(self.engine) as session:
            released = data.release_claims(session, workers=dead)
            inbox.release(session, workers=dead)
            # Twilio's calls carry on without us and report their ends; the simulator's died with it.
            running = [] if self.carrier.outlives_dispatcher else data.running_of(session, workers=dead)
            for attempt in running:
                if attempt.conversation_id and data.screening_written(session, conversation_id=attempt.conversation_id):
                    data.set_status(session, attempt=attempt, status=AttemptStatus.completed.value, at=now,
                                    detail="recovered: the screening was recorded before the dispatcher stopped")
                else:
                    data.set_status(session, attempt=attempt, status=AttemptStatus.interrupted.value, at=now,
                                    detail="the dispatcher stopped during the call; nothing was recorded")
                self.follow_up(session, attempt, now)
            session.commit()
        self.workers.forget(dead)
        log.warning("took back the work of %d stopped dispatcher(s): %d claims released, %d calls interrupted",
                    len(dead), released, len(running))


def _instant(epoch: float) -> datetime:
    """An epoch time as a UTC datetime, rounded up to datetime's microsecond grain so a
    job set for it never runs before it."""
    return datetime.fromtimestamp(math.ceil(epoch * 1e6) / 1e6, timezone.utc)


def channel_for(spec: CampaignSpec, *, failed: list[str]) -> str:
    """The campaign's first channel that has not used up its failed attempts today."""
    for step in spec.channels:
        if step.attempts is None or failed.count(step.type) < step.attempts:
            return step.type
    return spec.channels[-1].type
