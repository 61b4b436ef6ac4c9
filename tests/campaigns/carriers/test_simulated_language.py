"""The simulated carrier's residents answer in their household's language, or when it names none
in the campaign's, the language the bot then speaks to them (through a bot that asks one question
and records what it hears)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import pytest

from campaigns.carriers.base import Contact
from campaigns.carriers.residents import resident_from_row
from campaigns.carriers.simulated import SimulatedCarrier
from campaigns.outreach.clock import VirtualClock
from tests.campaigns.engine_helpers import utc


@dataclass
class Reply:
    texts: list[str]
    question: Optional[str] = None


class OneQuestionBot:
    """Asks for the temperature and hangs up on the answer, keeping it."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    async def open(self, contact, *, channel: str, now=None) -> Reply:
        return Reply(["?"], "temperature")

    async def say(self, contact, text: str, *, channel: str, now=None) -> Reply:
        self.heard.append(text)
        return Reply(["."])


async def _statuses(event) -> None:
    return None


@pytest.mark.parametrize("household, campaign, heard", [
    ("", "en", "I don't know"), ("", "zh", "不知道"), ("zh", "en", "不知道"), ("en", "zh", "I don't know"),
], ids=["none-in-english-campaign", "none-in-mandarin-campaign", "own-mandarin", "own-english"])
def test_residents_answer_in_the_language_they_are_spoken_to_in(household, campaign, heard):
    clock, bot = VirtualClock(utc(2024, 3, 5, 9)), OneQuestionBot()
    residents = {"+12025550101": resident_from_row({"language": household})}
    carrier = SimulatedCarrier(_statuses, clock=clock, bot=bot, residents=residents, language=campaign)
    contact = Contact(attempt_id=1, household_id="h1", to="+12025550101", channel="voice", conversation_id="h1:a1")

    async def call() -> None:
        await carrier.place_call(contact)
        await clock.run_until(utc(2024, 3, 5, 9) + timedelta(minutes=5))

    asyncio.run(call())
    assert bot.heard == [heard]
