"""What every action needs: the household behind a conversation, the clock, the channel."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa_sdk import Tracker
from sqlmodel import Session

from campaigns.records import households as households_records
from campaigns.records.households import get_or_create_walk_in
from campaigns.phones import normalize_phone
from campaigns.records.contacts import call_context
from campaigns.records.models import Channel, Household
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of
from campaigns.settings import Settings, get_settings

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Rasa input channel name -> the channel recorded on the screening row.
CHANNELS = {
    "rest": Channel.chat,
    "socketio": Channel.chat,
    "cmdline": Channel.chat,
    "chat": Channel.chat,
    "simulated": Channel.simulated,
    "voice": Channel.voice,
    "sms": Channel.sms,
}
# Slots that describe the conversation rather than the answers; set at session start.
CONTEXT_SLOTS = ("household_id", "contact_name", "household_members", "household_timezone",
                 "campaign_id", "emergency_number", "screening_rules", "language")


def settings() -> Settings:
    return get_settings()


def latest_user_event(tracker: Tracker) -> dict:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return {}


def channel_of(tracker: Tracker) -> str:
    """The recorded channel; unknown input channels count as chat."""
    name = tracker.get_latest_input_channel() or "rest"
    return CHANNELS.get(name, Channel.chat).value


def now(tracker: Tracker) -> datetime:
    """The time of this turn. A dry run on a virtual clock stamps it in the message metadata;
    only the simulated channel may do so, so a chat user cannot forge timestamps."""
    event = latest_user_event(tracker)
    stamped = (event.get("metadata") or {}).get("now")
    if stamped and event.get("input_channel") == "simulated":
        try:
            return datetime.fromisoformat(stamped).astimezone(timezone.utc)
        except (TypeError, ValueError):
            log.warning("ignoring malformed 'now' in metadata: %r", stamped)
    return datetime.now(timezone.utc)


def language(tracker: Tracker) -> str:
    return tracker.get_slot("language") or DEFAULT_LANGUAGE


def household_zone(tracker: Tracker) -> ZoneInfo:
    name = tracker.get_slot("household_timezone") or settings().default_timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def resolve_session(session: Session, *, sender_id: str, metadata: dict[str, Any]) -> tuple[Household, dict[str, Any]]:
    """The household this conversation is about, and the campaign context of its attempt.

    Session metadata is set by our own channels and the in-process adapter, never taken from a
    client. A campaign's conversation names its attempt; household, campaign, emergency number
    and screening rules are read from it. A text that came through Twilio's signed webhook
    names the phone it came from, and joins that phone's household. Anything else (a web chat
    whatever its sender id says) is an anonymous walk-in.
    """
    attempt_id = metadata.get("attempt_id")
    call = call_context(session, attempt_id=attempt_id) if isinstance(attempt_id, int) else None
    if call is not None:
        household = households_records.find_household(session, household_id=call.household_id)
        if household is not None:
            return household, call.slots()
    if attempt_id is not None:
        log.warning("session metadata names unknown attempt %r; treating as walk-in", attempt_id)
    phone = metadata.get("phone")
    if isinstance(phone, str) and E164.match(phone):
        phone = normalize_phone(phone, region=settings().default_region)
    else:
        phone = None
    walk_in = get_or_create_walk_in(session, sender_id=sender_id, phone=phone, timezone=settings().default_timezone)
    return walk_in, {}


def choose_language(household: Household, campaign: dict[str, Any], *, wrote: Optional[str] = None,
                    before: Optional[str] = None) -> str:
    """The language a new session speaks, all of it known on the server: a household's own
    language, else its campaign's. A walk-in's household says nothing (nobody described it), so
    a walk-in is answered in the language its first message is written in (`wrote`: Chinese
    characters mean Mandarin), else in the language this conversation had so far (`before`:
    kept when a chat proves its number), else the default."""
    own = None if household.walk_in else language_of(household.language)
    return (own or language_of(campaign.get("language")) or language_of(wrote) or language_of(before)
            or DEFAULT_LANGUAGE)


def context_values(household: Household, campaign: dict[str, Any], *, wrote: Optional[str] = None,
                   before: Optional[str] = None) -> dict[str, Any]:
    """Slot values describing the household and campaign of a new session."""
    return {
        "household_id": household.id,
        "contact_name": household.contact_name,
        "household_members": max(household.members or 1, 1),
        "household_timezone": household.timezone,
        "campaign_id": campaign.get("campaign_id"),
        "emergency_number": campaign.get("emergency_number") or settings().emergency_number,
        "screening_rules": campaign.get("screening_rules"),
        "language": choose_language(household, campaign, wrote=wrote, before=before),
    }


def find_household(session: Session, tracker: Tracker) -> Optional[Household]:
    household_id = tracker.get_slot("household_id")
    return households_records.find_household(session, household_id=household_id) if household_id else None
