"""One handle per call or text: a signed reference to an attempt, and the context looked up from it.

A webhook URL carries only `ref=<attempt id>.<signature>`. Household, campaign, language,
voice, machine message and screening rules are read once, server side, from the attempt and
its campaign (the campaign's stored spec is parsed once per attempt, not once per record).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlmodel import Session

from campaigns.records.models import Attempt, Campaign, Household
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of

_SIGNATURE_CHARS = 20


@dataclass(frozen=True)
class CallContext:
    """What a conversation with one attempt needs to know, and nothing the resident said."""

    attempt_id: int
    conversation_id: str
    household_id: str
    campaign_id: str
    channel: str
    language: str = "en"  # the household's own, else the campaign's
    voice: Optional[str] = None  # the campaign's text-to-speech voice for `language`; None: that language's default
    machine_message: Optional[str] = None  # said to an answering machine; None: hang up
    machine_language: str = "en"  # the message is written in the campaign's language, and said in it
    machine_voice: Optional[str] = None
    emergency_number: Optional[str] = None
    rules: dict[str, Any] = field(default_factory=dict)  # the campaign's `screening` section

    def slots(self) -> dict[str, Any]:
        """The part a conversation keeps: JSON-safe, as the bot's session metadata and slots."""
        return {"attempt_id": self.attempt_id, "campaign_id": self.campaign_id, "language": self.language,
                "emergency_number": self.emergency_number, "screening_rules": self.rules}


def sign_attempt(attempt_id: int, *, key: str) -> str:
    """The reference a webhook URL carries for an attempt."""
    return f"{attempt_id}.{_signature(attempt_id, key)}"


def read_attempt(ref: Optional[str], *, key: Optional[str]) -> Optional[int]:
    """The attempt id of a reference made by `sign_attempt` with the same key, else None."""
    number, _, signature = (ref or "").partition(".")
    if not (key and number.isdigit() and len(number) <= 18 and signature):
        return None
    expected = _signature(int(number), key)
    return int(number) if hmac.compare_digest(signature.encode(), expected.encode()) else None


def _signature(attempt_id: int, key: str) -> str:
    digest = hmac.new(key.encode(), f"attempt:{attempt_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:_SIGNATURE_CHARS]


def call_context(session: Session, *, attempt_id: int) -> Optional[CallContext]:
    """The context of a placed attempt, or None when there is no such attempt or it was never placed."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or not attempt.conversation_id:
        return None
    household = session.get(Household, attempt.household_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    if household is None or campaign is None:
        return None
    spec = json.loads(campaign.spec_json)
    machine = spec.get("answering_machine") or {}
    screening = spec.get("screening") or {}
    campaign_language = language_of(spec.get("language")) or DEFAULT_LANGUAGE
    # The household's own language first, then the campaign's: it picks the voice and the texts.
    language = language_of(household.language) or campaign_language
    return CallContext(
        attempt_id=attempt.id, conversation_id=attempt.conversation_id, household_id=household.id,
        campaign_id=campaign.id, channel=attempt.channel, language=language, voice=voice_for(spec, language),
        machine_message=machine.get("message") if machine.get("leave_message") else None,
        machine_language=campaign_language, machine_voice=voice_for(spec, campaign_language),
        emergency_number=screening.get("emergency_number"), rules=screening)


def voice_for(spec: dict[str, Any], language: str) -> Optional[str]:
    """The voice a campaign names for a language: its `voices` entry, else `voice` for the campaign's
    own language (a campaign stored before `voices`); None lets the language's default voice speak."""
    named = (spec.get("voices") or {}).get(language)
    if named:
        return named
    return spec.get("voice") if language == language_of(spec.get("language")) else None
