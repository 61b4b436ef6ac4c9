"""Simulated residents for dry runs: how each household picks up and what it says.

Pure. A population file holds the household columns plus:
  pickup              outcomes of successive attempts, e.g. "no_answer;busy;answer" (default answer);
                      after the list runs out the last outcome repeats. A text or a chat link is
                      answered, undelivered ("failed" or "undelivered") or left unanswered (any
                      other outcome, "not_opened" included): never busy or a machine
  says_consent        the answer to "is this a good time?"; answers for successive conversations
                      may be given separated by ';' ("call me back at 6pm;yes"), the last repeats
  says_temperature    the answer to the temperature question
  says_symptoms       the answer to the symptoms question
  says_others_unwell  the answer to "is anyone else unwell?" (default "no", or "yes" when others are given)
  others              a JSON list of {"temperature": ..., "symptoms": ...}, one per other unwell member
  says_feels_feverish, says_callback   optional answers to those follow-up questions
A resident speaks the household's `language`, or when it is empty the campaign's, as the bot
does. A question the file gives no answer for is answered "I don't know" in it (不知道 in
Mandarin), so nothing is invented; the few other things no column says (whether anyone else is
unwell, how many) are said in it too.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of

PICKUPS = ("answer", "busy", "no_answer", "failed", "machine", "undelivered", "not_opened")
# What an outcome is on a call, when the population names a text's: a number that takes no text
# takes no call either; a link left unopened is a phone left ringing.
_ON_A_CALL = {"undelivered": "failed", "not_opened": "no_answer"}
# Which column answers which question of the dialogue.
_CONTACT_COLUMNS = {
    "good_time": "says_consent",
    "callback_when": "says_callback",
    "temperature": "says_temperature",
    "feels_feverish": "says_feels_feverish",
    "symptoms": "says_symptoms",
    "others_unwell": "says_others_unwell",
}
_OTHER_KEYS = {"other_temperature": "temperature", "other_symptoms": "symptoms",
               "other_feels_feverish": "feels_feverish"}


@dataclass(frozen=True)
class Phrases:
    """What a resident says that no column gives, in one language."""

    unknown: str  # to a question the file gives no answer for
    yes: str  # "is anyone else unwell?" when `others` lists someone
    no: str
    count: Callable[[int], str]  # how many others are unwell


def _zh_count(n: int) -> str:
    """A count of people as a resident says it: 两个 (两, not 二, before a measure word)."""
    return f"{'一两三四五六七八九十'[n - 1] if 1 <= n <= 10 else n}个"


PHRASES = {
    "en": Phrases(unknown="I don't know", yes="yes", no="no", count=str),
    "zh": Phrases(unknown="不知道", yes="有", no="没有", count=_zh_count),
}
UNKNOWN_ANSWER = PHRASES[DEFAULT_LANGUAGE].unknown


class PopulationError(ValueError):
    """A population row that cannot be simulated; the message names the column."""


@dataclass
class SimResident:
    """One simulated household contact."""

    pickup: tuple[str, ...] = ("answer",)
    says: dict[str, str] = field(default_factory=dict)
    others: tuple[dict[str, str], ...] = ()
    language: Optional[str] = None  # the household's; None: the conversation's (the campaign's)
    attempts: int = 0  # attempts that reached the phone so far
    conversations: int = 0  # conversations begun so far

    def next_pickup(self) -> str:
        """What happens on the next attempt; the last outcome repeats once the list runs out."""
        outcome = self.pickup[min(self.attempts, len(self.pickup) - 1)]
        self.attempts += 1
        return outcome


def outcome_on(channel: str, pickup: str) -> str:
    """What a pickup outcome comes to on a channel. A call: answer, busy, no_answer, failed or
    machine. A text or a chat link: answer (replied, or opened), undelivered, or not_opened."""
    if channel == "voice":
        return _ON_A_CALL.get(pickup, pickup)
    if pickup in ("failed", "undelivered"):
        return "undelivered"
    return "answer" if pickup == "answer" else "not_opened"


def consent_for(says: str, conversation: int) -> str:
    """The answer to "is this a good time?" in the resident's n-th conversation (0-based)."""
    answers = [part.strip() for part in says.split(";") if part.strip()]
    return answers[min(conversation, len(answers) - 1)] if answers else ""


def resident_from_row(row: dict[str, str]) -> SimResident:
    """A resident from a population row (lower-case column names); PopulationError if malformed."""
    return SimResident(pickup=_pickup(row.get("pickup") or ""), says=_says(row),
                       others=_others(row.get("others") or ""), language=language_of(row.get("language")))


def _pickup(text: str) -> tuple[str, ...]:
    tokens = [t.strip().lower().replace("-", "_").replace(" ", "_") for t in text.split(";") if t.strip()]
    for token in tokens:
        if token not in PICKUPS:
            raise PopulationError(f"pickup: unknown outcome {token!r} (known: {', '.join(PICKUPS)})")
    return tuple(tokens) or ("answer",)


def _says(row: dict[str, str]) -> dict[str, str]:
    return {question: row[column] for question, column in _CONTACT_COLUMNS.items() if row.get(column)}


def _others(text: str) -> tuple[dict[str, str], ...]:
    if not text.strip():
        return ()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PopulationError(f"others: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise PopulationError('others: must be a JSON list of {"temperature": ..., "symptoms": ...}')
    for index, item in enumerate(value):
        unknown = set(item) - {"temperature", "symptoms", "feels_feverish"}
        if unknown:
            raise PopulationError(f"others[{index}]: unknown key {sorted(unknown)[0]!r}")
    return tuple({k: str(v) for k, v in item.items()} for item in value)


class Answerer:
    """Answers the questions of one conversation, keeping track of which other member is asked about."""

    def __init__(self, resident: SimResident, language: Optional[str] = None) -> None:
        """`language`: the conversation's, for a resident whose household names none."""
        self.resident = resident
        self.phrases = PHRASES[resident.language or language or DEFAULT_LANGUAGE]
        self.conversation = resident.conversations
        resident.conversations += 1
        self.other = -1
        self.last: Optional[str] = None

    def answer(self, question: str) -> str:
        """What the resident says to `question`."""
        if question == "other_temperature" and self.last != "other_temperature":
            self.other += 1  # a new member; a re-ask of the same member keeps the index
        self.last = question
        resident, phrases = self.resident, self.phrases
        if question == "others_unwell":
            return resident.says.get(question) or (phrases.yes if resident.others else phrases.no)
        if question == "others_count":
            return phrases.count(len(resident.others)) if resident.others else phrases.unknown
        if question in _OTHER_KEYS:
            if 0 <= self.other < len(resident.others):
                return resident.others[self.other].get(_OTHER_KEYS[question]) or phrases.unknown
            return phrases.unknown
        if question == "good_time":
            return consent_for(resident.says.get("good_time", ""), self.conversation) or phrases.unknown
        return resident.says.get(question) or phrases.unknown
