"""What the residents' web page reads and writes: the communities a walk-in chooses from, a
walk-in's community, help requests, and where a conversation stands (to resume it after a reload)."""
from __future__ import annotations

import time
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.agent import Agent
from sqlmodel import Session

from bot.channels.storage import in_database
from bot.questions import is_question, question_of
from campaigns.records.case_people import joined_detail
from campaigns.records.escalations import notify_opened, raise_help_request
from campaigns.records.households import get_or_create_walk_in
from campaigns.records.models import Household, utcnow
from campaigns.settings import get_settings

MAX_COMMUNITIES = 500  # a district's list; more would not fit a phone's menu anyway
COMMUNITIES_KEPT = 60.0  # seconds: the list changes when a household list is imported
_communities: tuple[float, tuple[str, ...]] = (0.0, ())


async def communities() -> tuple[str, ...]:
    """The communities of the listed households, sorted; read at most once a minute per process."""
    global _communities
    at, names = _communities
    if time.monotonic() - at > COMMUNITIES_KEPT:
        names = await in_database(_read_communities)
        _communities = (time.monotonic(), names)
    return names


def _read_communities(session: Session) -> tuple[str, ...]:
    rows = session.execute(sa.select(Household.community).where(
        Household.community.is_not(None), Household.community != "", Household.walk_in.is_(False))
        .distinct().order_by(Household.community).limit(MAX_COMMUNITIES)).scalars().all()
    return tuple(rows)


def place_walk_in(session: Session, *, conversation_id: str, community: str) -> None:
    """An anonymous walk-in's household gets the community its resident chose (once: never moved)."""
    household = get_or_create_walk_in(session, sender_id=conversation_id, phone=None,
                                      timezone=get_settings().default_timezone)
    if household.walk_in and not household.community:
        household.community = community
        session.add(household)


def ask_for_help(session: Session, *, household_id: Optional[str], conversation_id: str, category: str,
                 note: str) -> None:
    """The page's "I need help" button: the household's help case, opened or updated, with the
    category (and the resident's note); staff are told of a new case. Without a household yet, the
    walk-in's own."""
    raised = raise_help_request(session, household_id=household_id, conversation_id=conversation_id,
                                community=None, category=category, now=utcnow())
    if note:
        case = raised.escalation
        case.detail = joined_detail(case.detail or "", f"resident wrote: {note}")
        session.add(case)
    household = session.get(Household, raised.escalation.household_id)
    session.commit()
    notify_opened([raised], household)


async def slots(agent: Agent, conversation: str) -> dict[str, Any]:
    """The conversation's slots, as set on the server (empty before its first message)."""
    tracker = await agent.tracker_store.retrieve(conversation)
    return tracker.current_slot_values() if tracker else {}


async def resume(agent: Agent, conversation: str) -> Optional[tuple[list[str], Optional[str]]]:
    """The question this session of the conversation waits an answer to, to show again after a
    reload: ([its text], its name); None when the session's last word was not a question."""
    tracker = await agent.tracker_store.retrieve(conversation)
    for event in reversed(tracker.events if tracker else []):
        kind = getattr(event, "type_name", "")
        if kind == "session_started":
            return None
        if kind == "bot":
            response = (getattr(event, "metadata", None) or {}).get("utter_action")
            return ([event.text], question_of(response)) if is_question(response) else None
    return None
