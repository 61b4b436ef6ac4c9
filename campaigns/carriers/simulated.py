"""The simulated carrier: rings simulated residents and talks to them through the real bot.

It behaves like a telephone network seen through Twilio's status callbacks: ringing,
then busy, no answer, failure, an answering machine, or a person who answers and talks
until the bot closes the conversation. Every step happens on the clock it is given, so
it runs live (`screening run --carrier simulated`) or on a dry run's virtual clock.
"""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Optional

from campaigns.carriers.base import BotClient, Carrier, CallStatus, Contact, StatusEvent, StatusHandler
from campaigns.carriers.residents import Answerer, SimResident
from campaigns.records.vocabulary import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)
MAX_TURNS = 40  # a conversation this long is stuck: the call is hung up


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

    async def place_call(self, contact: Contact) -> str:
        return self._begin(contact, "CA")

    async def start_conversation(self, contact: Contact) -> str:
        # An SMS or a chat link alike: a dry run rehearses a chat_link step as a text conversation,
        # although the Twilio carrier cannot open one yet (it fails the attempt).
        return self._begin(contact, "SM")

    async def send_sms(self, *, to: str, body: str, from_: Optional[str] = None) -> str:
        self.texts.append((to, body))
        return f"SM{next(self._refs):08d}"

    def _begin(self, contact: Contact, prefix: str) -> str:
        ref = f"{prefix}{next(self._refs):08d}"
        now = self.clock.now()
        self.calls.append((now.timestamp(), contact))
        resident = self.residents.setdefault(contact.to, SimResident())
        outcome = resident.next_pickup()
        t = self.timings
        self._later(t.ring, contact, CallStatus.ringing, ref)
        if outcome == "answer":
            self.clock.call_at(now + timedelta(seconds=t.ring + t.answer), self._answered, contact, ref, resident)
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
        calls overlap as they would live."""
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

