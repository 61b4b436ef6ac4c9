"""What every action needs: the household behind a conversation, the clock, the channel."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa_sdk import Tracker
from sqlmodel import Session

from campaigns import store
from campaigns.models import Channel, Household
from campaigns.settings import Settings, get_settings

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Rasa input channel name -> the channel recorded on the screening row.
CHANNELS = {
    "rest": Channel.chat,
    "socketio": Channel.chat,
    "cmdline": Channel.chat,
    "simulated": Channel.simulated,
    "voice": Channel.voice,
    "sms": Channel.sms,
}
# Slots that describe the conversation rather than the answers; set at session start.
CONTEXT_SLOTS = ("household_id", "contact_name", "household_members", "household_timezone",
                 "campaign_id", "emergency_number")


def settings() -> Settings:
    return get_settings()


def db_session() -> Session:
    return Session(store.get_engine(settings().database_url))


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


def household_zone(tracker: Tracker) -> ZoneInfo:
    name = tracker.get_slot("household_timezone") or settings().default_timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def resolve_household(session: Session, *, sender_id: str, metadata: dict[str, Any]) -> Household:
    """The household this conversation is about.

    A campaign names it in the session metadata; a resident writing in is found by the
    phone number that is their sender id; an unknown sender becomes a walk-in household.
    """
    household_id = metadata.get("household_id")
    if household_id:
        found = store.find_household(session, household_id=str(household_id))
        if found:
            return found
        log.warning("session metadata names unknown household %r; treating as walk-in", household_id)
    phone = sender_id if E164.match(sender_id or "") else None
    if phone:
        phone = store.normalize_phone(phone, region=settings().default_region)
    return store.get_or_create_walk_in(
        session, sender_id=sender_id, phone=phone, timezone=settings().default_timezone
    )


def context_values(household: Household, metadata: dict[str, Any]) -> dict[str, Any]:
    """Slot values describing the household and campaign of a new session."""
    return {
        "household_id": household.id,
        "contact_name": household.contact_name,
        "household_members": max(household.members or 1, 1),
        "household_timezone": household.timezone,
        "campaign_id": metadata.get("campaign_id"),
        "emergency_number": metadata.get("emergency_number") or settings().emergency_number,
    }


def find_household(session: Session, tracker: Tracker) -> Optional[Household]:
    household_id = tracker.get_slot("household_id")
    return store.find_household(session, household_id=household_id) if household_id else None
