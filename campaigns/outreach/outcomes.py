"""What happens after an attempt is placed: the carrier's statuses, retries and callbacks,
statuses that never came, supervisor alerts, and taking back a stopped dispatcher's work.

`Outcomes` belongs to one dispatcher; everything it decides is written to the database, so
any dispatcher can carry on where another stopped.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from campaigns.outreach import alerts, chat_links, schedule
from campaigns.records import carrier_events, proofs
from campaigns.phones import mask_phone
from campaigns.records.households import record_opt_out
from campaigns.records import attempts as data
from campaigns.outreach.campaign_file import CampaignFileError, CampaignSpec
from campaigns.carriers.base import CallStatus, Carrier, CarrierError, StatusEvent
from campaigns.records.models import AttemptKind, Attempt, AttemptStatus, Campaign, Household
from campaigns.outreach.workers import Workers

log = logging.getLogger(__name__)
PROOF_TEXT = "Your health screening code is {code}. It expires in 10 minutes. Do not share it."

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


class Outcomes:
    def __init__(self, engine, *, clock, worker: str, workers: Workers, counters,
                 spec_of: Callable[[Campaign], CampaignSpec], carrier: Callable[[], Carrier]) -> None:
        self.engine, self.clock, self.worker, self.workers = engine, clock, worker, workers
        self.counters, self._spec, self._carrier = counters, spec_of, carrier

    @property
    def carrier(self) -> Carrier:
        return self._carrier()

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
            completed = status is AttemptStatus.completed
            household = session.get(Household, attempt.household_id) if event.opted_out or completed else None
            if event.opted_out:
                self._carrier_opt_out(session, attempt, household)
            detail = event.detail
            if completed and not self._reached(session, attempt, household):
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
        """A completed call reached the household if something was recorded: a screening, a
        request for help or for a person, an opt-out or a wrong number. A call that ended
        before any of that is retried."""
        return bool(household.opted_out_at or household.wrong_number_at or not attempt.conversation_id
                    or data.screening_written(session, conversation_id=attempt.conversation_id)
                    or data.escalation_raised(session, conversation_id=attempt.conversation_id))

    @staticmethod
    def _carrier_opt_out(session: Session, attempt: Attempt, household: Household) -> None:
        if household.opted_out_at is None:
            record_opt_out(session, household=household, channel=attempt.channel,
                                 conversation_id=attempt.conversation_id or "",
                                 said="(the carrier reports the resident unsubscribed)")
            log.info("household %s opted out at the carrier", household.id)

    async def apply_carrier_events(self) -> int:
        """Apply the statuses Twilio reported to the Rasa server's channels, oldest first."""
        with Session(self.engine) as session:
            taken = carrier_events.take(session, worker=self.worker)
            session.commit()
            events = [StatusEvent(e.attempt_id, CallStatus(e.status), e.received_at, e.carrier_ref, e.detail,
                                  e.opted_out) for e in taken]
        for event in events:
            await self.on_status(event)
        if taken:
            with Session(self.engine) as session:
                carrier_events.mark_applied(session, ids=[row.id for row in taken])
                session.commit()
        return len(events)

    async def expire_overdue(self, now: datetime) -> None:
        """Placed attempts whose final status never came: a text nobody answered, a conversation
        the resident left half-way (what they answered is kept), a lost status callback."""
        with Session(self.engine) as session:
            overdue = [(a.id, a.conversation_id, status) for a, status in carrier_events.overdue(session, now=now)
                       if a.channel != "chat_link"]  # a link waits until it expires: settle_links
        for attempt_id, conversation, status in overdue:
            if status == AttemptStatus.dropped.value:
                await self._close_conversation(attempt_id, conversation)
            with Session(self.engine) as session:
                attempt = session.get(Attempt, attempt_id)
                if status == AttemptStatus.dropped.value and self._reached(
                        session, attempt, session.get(Household, attempt.household_id)):
                    status = AttemptStatus.completed.value
                if data.set_status(session, attempt=attempt, status=status, at=now,
                                   detail="no final status or reply came in time"):
                    self.follow_up(session, attempt, now)
                session.commit()

    async def _close_conversation(self, attempt_id: int, conversation: Optional[str]) -> None:
        """Close a conversation the resident left, keeping what was answered; a failure is logged."""
        if not conversation:
            return
        try:
            await self.carrier.end_conversation(attempt_id, conversation)
        except CarrierError as exc:
            log.warning("could not close conversation %s: %s", conversation, exc)

    async def settle_links(self, now: datetime) -> None:
        """Chat links: reached once the page's screening is written; at expiry, what was answered is
        kept (the conversation is closed) and a link never opened counts as unanswered."""
        with Session(self.engine) as session:
            waiting = [(a.id, a.conversation_id, a.status, screened) for a, zone, screened in data.open_links(session)
                       if screened or self._link_expired(session, a, zone, now)]
        for attempt_id, conversation, status, screened in waiting:
            if not screened:
                await self._close_conversation(attempt_id, conversation)
            with Session(self.engine) as session:
                attempt = session.get(Attempt, attempt_id)
                if screened:
                    final, detail = AttemptStatus.completed, "the screening on the link's page was written"
                elif self._reached(session, attempt, session.get(Household, attempt.household_id)):
                    final, detail = AttemptStatus.completed, "reached on the link's page before it expired"
                elif status == AttemptStatus.dialing.value:
                    final, detail = AttemptStatus.no_answer, "the link was not opened before it expired"
                else:
                    final, detail = AttemptStatus.dropped, "the link expired before any answer was recorded"
                try:
                    if data.set_status(session, attempt=attempt, status=final.value, at=now, detail=detail):
                        self.counters.outcomes[final.value] += 1
                        self.follow_up(session, attempt, now)
                except CampaignFileError as exc:  # one unreadable campaign never stops the others
                    log.warning("chat link of attempt %s: its campaign cannot be read: %s", attempt_id, exc)
                    continue
                session.commit()

    def _link_expired(self, session: Session, attempt: Attempt, zone: str, now: datetime) -> bool:
        """Whether the link's day has closed; a campaign whose stored file cannot be read is left for
        a person (logged), never allowed to stop the housekeeping of every other campaign."""
        try:
            spec = self._spec(session.get(Campaign, attempt.campaign_id))
        except CampaignFileError as exc:
            log.warning("chat link of attempt %s: its campaign cannot be read: %s", attempt.id, exc)
            return False
        return now >= chat_links.expires_at(attempt.day, spec.window(), ZoneInfo(zone))

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
                log.error("alert to supervisor %s failed: %s", mask_phone(alert.phone), exc)
            with Session(self.engine) as session:
                alerts.record(session, alert=alert, at=self.clock.now(), carrier_ref=ref, error=error)
                session.commit()

    async def send_proof_codes(self) -> None:
        """Text the one-time codes residents asked for on the web chat to prove their number."""
        with Session(self.engine) as session:
            due = proofs.due(session)
            session.commit()
        for code in due:
            try:
                await self.carrier.send_sms(to=code.phone, body=PROOF_TEXT.format(code=code.code))
                error = None
            except CarrierError as exc:
                error = str(exc)
                log.error("code to %s failed: %s", mask_phone(code.phone), exc)
            with Session(self.engine) as session:
                proofs.record_sent(session, proof_id=code.proof_id, at=self.clock.now(), error=error)
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
        placed = sum(1 for a in today if a.placed_at is not None and a.kind != AttemptKind.callback.value)
        if placed < spec.retries.max_attempts_per_day and not data.pending_in_round(session, attempt=attempt):
            data.add_attempt(session, after=attempt, due_at=due, kind=AttemptKind.retry.value,
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
            waiting.due_at, waiting.kind, waiting.detail = due, AttemptKind.callback.value, "callback asked for by the resident"
            session.add(waiting)
        else:
            data.add_attempt(session, after=attempt, due_at=due, kind=AttemptKind.callback.value, day=day, round_no=round_no,
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
            carrier_events.release(session, workers=dead)
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
