"""The carrier interface: placing a call, opening a text conversation, texting a chat link,
sending an SMS, and reporting statuses.

A carrier never decides anything about campaigns; it does what the dispatcher asks and
reports back through `on_status`, exactly as Twilio's status callbacks do.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Awaitable, Callable, Optional, Protocol


class CallStatus(str, Enum):
    ringing = "ringing"  # the carrier is ringing the household
    in_progress = "in_progress"  # answered by a person: the conversation runs
    completed = "completed"  # the conversation ended and the call was hung up
    busy = "busy"  # the line was busy
    no_answer = "no_answer"  # it rang out
    machine = "machine"  # an answering machine or voicemail answered
    failed = "failed"  # the carrier could not place it (bad number, network)
    canceled = "canceled"  # withdrawn before it was answered


FINAL_STATUSES = frozenset({CallStatus.completed, CallStatus.busy, CallStatus.no_answer,
                            CallStatus.machine, CallStatus.failed, CallStatus.canceled})


@dataclass(frozen=True)
class Contact:
    """One attempt to reach a household, as the carrier needs it."""

    attempt_id: int
    household_id: str
    to: str  # E.164
    channel: str  # voice | sms | chat_link
    conversation_id: str  # tied to the household and the attempt, never to a phone number
    caller_id: Optional[str] = None
    text: Optional[str] = None  # chat_link: the text to send, with the attempt's signed link
    expires_at: Optional[datetime] = None  # chat_link: when the link stops working (the day's window closes)


@dataclass(frozen=True)
class StatusEvent:
    attempt_id: int
    status: CallStatus
    at: datetime
    carrier_ref: Optional[str] = None
    detail: Optional[str] = None
    opted_out: bool = False  # the carrier refuses to reach this number: the resident unsubscribed


StatusHandler = Callable[[StatusEvent], Awaitable[None]]


class BotReply(Protocol):
    """What the bot answered: its texts, in order, and the question it now waits an answer to,
    by name ("temperature"), or None when it closed the conversation."""

    texts: list[str]
    question: Optional[str]


class BotClient(Protocol):
    """The one way carriers reach the bot: in-process in dry runs and tests (bot.inprocess),
    over HTTP to the Rasa server's `outreach` channel live (carriers.bot_http). The bot looks
    up everything else (household, campaign, language) from the attempt."""

    async def open(self, contact: Contact, *, channel: str, now: Optional[datetime] = None) -> BotReply:
        """Start the attempt's conversation: the bot greets. `now` is honoured on a dry run's clock only."""

    async def say(self, contact: Contact, text: str, *, channel: str, now: Optional[datetime] = None) -> BotReply:
        """One resident message in the attempt's conversation."""

    async def close(self, attempt_id: int, conversation_id: str) -> bool:
        """Close a conversation the resident left, keeping what was answered; False if none was open."""


class CarrierError(Exception):
    """The carrier refused a request; the message says why, without secrets."""


class Carrier(abc.ABC):
    """Places calls and opens text conversations; statuses arrive at `on_status`."""

    name: str = "carrier"
    # Whether calls and conversations go on when the dispatcher that placed them stops.
    outlives_dispatcher: bool = False
    public_url: Optional[str] = None  # where residents reach us (the chat links' pages), if the carrier knows

    def __init__(self, on_status: StatusHandler) -> None:
        self.on_status = on_status

    @abc.abstractmethod
    async def place_call(self, contact: Contact) -> str:
        """Dial the household; returns the carrier's reference for the call."""

    @abc.abstractmethod
    async def start_conversation(self, contact: Contact) -> str:
        """Open an SMS conversation; returns the carrier's reference."""

    @abc.abstractmethod
    async def send_link(self, contact: Contact) -> str:
        """Text the household its chat link (`contact.text`); returns the carrier's reference. The
        conversation runs on the page the link opens; a text can fail only by not being delivered."""

    @abc.abstractmethod
    async def send_sms(self, *, to: str, body: str, from_: Optional[str] = None) -> str:
        """Send one text message, for example a supervisor's alert."""

    async def end_conversation(self, attempt_id: int, conversation_id: str) -> None:
        """Close a conversation the resident left, keeping what they answered; nothing by default."""

    async def close(self) -> None:
        """Release connections; nothing to do by default."""
