"""The simulated carrier: rings simulated residents, texts them, and talks to them through the real bot.

It behaves like a telephone network seen through Twilio's status callbacks. A call rings, then is
busy, unanswered, failed, taken by an answering machine, or answered by a person who talks until
the bot closes the conversation. A text or a chat link fails only as it really fails: it is not
delivered, or nobody answers it (nothing is reported then, as live, and the engine gives up on
it), or the resident replies to the text or opens the link and talks. Every step happens on the
clock it is given, so it runs live (`screening run --carrier simulated`) or on a dry run's
virtual clock.
"""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Optional

from campaigns.carriers.base import BotClient, Carrier, CallStatus, Contact, StatusEvent, StatusHandler
from campaigns.carriers.residents import Answerer, SimResident, outcome_on
from campaigns.records.vocabulary import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)
MAX_TURNS = 40  # a conversation this long is stuck: the call is hung up
# Dispatchers settle expired links in their housekeeping, once a minute: by this long after expiry.
HOUSEKEEPING = timedelta(minutes=1)


@dataclass(frozen=True)
class Timings:
    """Seconds each step of a simulated call takes."""

    ring: float = 2.0  # until the phone rings
    answer: float = 6.0  # ringing until a person answers
    busy: float = 3.0
    no_answer: float = 30.0
    failed: float = 1.0
    machine: float = 15.0
    turn: float = 8.0  # one question and its answer
    link_open: float = 600.0  # a chat link's text arriving until the resident opens it

    def scaled(self, factor: float) -> "Timings":
        return replace(self, **{name: getattr(self, name) * factor for name in self.__dataclass_fields__})


class SimulatedCarrier(Carrier):
    name = "simulated"

    def __init__(self, on_status: StatusHandler, *, clock, bot: Optional[BotClient],
                 residents: dict[str, SimResident], timings: Timings = Timings(),
                 language: str = DEFAULT_LANGUAGE) -> None:
        """`language`: the campaign's, spoken by residents whose household names none."""
        super().__init__(on_status)
        self.clock, self.bot, self.residents, self.timings = clock, bot, residents, timings
        self.language = language
        self._refs = itertools.count(1)
        self.calls: list[tuple[float, Contact]] = []  # (start time, contact), for pacing checks
        self.texts: list[tuple[str, str]] = []  # (to, body) of single texts sent
        self.links: list[tuple[str, str]] = []  # (to, body) of chat links texted

    async def place_call(self, contact: Contact) -> str:
        return self._begin(contact, "CA")

    async def start_conversation(self, contact: Contact) -> str:
        return self._begin(contact, "SM")

    async def send_link(self, contact: Contact) -> str:
        """The resident opens the link a while after it arrives, and the page's conversation runs
        through the bot; the attempt's channel names it, whatever channel the bot is driven on."""
        self.links.append((contact.to, contact.text or ""))
        return self._begin(contact, "SM", opens_after=self.timings.link_open)

    async def send_sms(self, *, to: str, body: str, from_: Optional[str] = None) -> str:
        self.texts.append((to, body))
        return f"SM{next(self._refs):08d}"

    def _begin(self, contact: Contact, prefix: str, opens_after: float = 0.0) -> str:
        ref = f"{prefix}{next(self._refs):08d}"
        now = self.clock.now()
        self.calls.append((now.timestamp(), contact))
        resident = self.residents.setdefault(contact.to, SimResident())
        outcome = outcome_on(contact.channel, resident.next_pickup())
        t = self.timings
        if contact.channel == "voice":
            self._later(t.ring, contact, CallStatus.ringing, ref)
        if outcome == "answer":
            self.clock.call_at(now + timedelta(seconds=t.ring + t.answer + opens_after), self._answered,
                               contact, ref, resident)
        elif outcome == "undelivered":  # Twilio's delivery report: the message failed or was undelivered
            self._later(t.ring + t.failed, contact, CallStatus.failed, ref, "simulated: the text was undelivered")
        elif outcome == "not_opened":  # nothing is reported, as live: the engine gives up on it
            if contact.expires_at is not None:  # a dry run's clock jumps between events: stop when it is settled
                self.clock.call_at(contact.expires_at + HOUSEKEEPING, _nothing)
        else:
            delay = {"busy": t.busy, "no_answer": t.no_answer, "failed": t.failed, "machine": t.machine}[outcome]
            self._later(t.ring + delay, contact, CallStatus(outcome), ref, f"simulated {outcome.replace('_', ' ')}")
        return ref

    def _later(self, seconds: float, contact: Contact, status: CallStatus, ref: str, detail: Optional[str] = None) -> None:
        self.clock.call_at(self.clock.now() + timedelta(seconds=seconds), self._report, contact, status, ref, detail)

    async def _report(self, contact: Contact, status: CallStatus, ref: str, detail: Optional[str]) -> None:
        await self.on_status(StatusEvent(contact.attempt_id, status, self.clock.now(), ref, detail))

    async def _answered(self, contact: Contact, ref: str, resident: SimResident) -> None:
        await self._report(contact, CallStatus.in_progress, ref, None)
        await self._turn(contact, ref, Answerer(resident, self.language), None, 0)

    async def _turn(self, contact: Contact, ref: str, answerer: Answerer, text: Optional[str], turn: int) -> None:
        """One exchange (the opening when `text` is None); the next is scheduled a turn later, so
        calls overlap as they would live. The bot hears every channel on `simulated`, the one
        channel whose messages may carry the virtual clock's time; each result still names the
        channel of its attempt (records/screenings.py)."""
        now = self.clock.now()
        try:
            if text is None:
                reply = await self.bot.open(contact, channel="simulated", now=now)
            else:
                reply = await self.bot.say(contact, text, channel="simulated", now=now)
        except Exception as exc:  # the call drops; the dispatcher retries it
            log.error("simulated call %s: the bot failed: %s", ref, exc)
            await self._report(contact, CallStatus.failed, ref, f"the bot failed: {type(exc).__name__}")
            return
        question = reply.question
        if question is None or turn >= MAX_TURNS:
            self._later(self.timings.turn, contact, CallStatus.completed, ref,
                        None if question is None else "hung up: the conversation did not end")
            return
        self.clock.call_at(self.clock.now() + timedelta(seconds=self.timings.turn), self._turn,
                           contact, ref, answerer, answerer.answer(question), turn + 1)



def _nothing() -> None:
    """A job that only makes a virtual clock stop at its time."""
