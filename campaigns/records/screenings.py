"""Data functions for screening rows, and which channel each result came by.

A campaign's result names the channel of the attempt whose conversation it was (`voice`, `sms`,
`link`), whatever channel the bot heard it on: a dry run drives every conversation on its
`simulated` channel, and the server, not the client, knows which attempt a conversation is.
A result with no attempt keeps the channel it came by (a walk-in's `web`, `sms` or `chat`).
Keyword-only, each takes the session; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.models import Attempt, Screening

# An attempt's channel (a campaign file's channel type) -> the channel its results name.
REACHED_BY = {"voice": "voice", "sms": "sms", "chat_link": "link"}
ORDER = ("voice", "sms", "link", "web")  # how per-channel counts are listed; others follow by name


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    households: int  # households with a result by this channel
    results: int  # rows: one per person per screening, as the export writes them


def add_screening(session: Session, *, screening: Screening) -> Screening:
    reached_by = attempt_channel(session, household_id=screening.household_id,
                                 conversation_id=screening.conversation_id)
    if reached_by is not None:
        screening.channel = reached_by
    session.add(screening)
    session.flush()  # the escalation that follows needs the id
    return screening


def attempt_channel(session: Session, *, household_id: str, conversation_id: str) -> Optional[str]:
    """The channel results of this conversation name, when it is an attempt's; else None."""
    found = session.execute(sa.select(Attempt.channel).where(
        Attempt.household_id == household_id, Attempt.conversation_id == conversation_id).limit(1)).first()
    return None if found is None else REACHED_BY.get(found[0], found[0])


def count_by_channel(session: Session, *, campaign_id: str) -> list[ChannelCount]:
    """A campaign's results per channel: the households each channel reached, and its rows."""
    query = (sa.select(Screening.channel, sa.func.count(sa.distinct(Screening.household_id)), sa.func.count())
             .where(Screening.campaign_id == campaign_id).group_by(Screening.channel))
    found = [ChannelCount(channel, int(households), int(rows)) for channel, households, rows in session.execute(query)]
    return sorted(found, key=lambda c: (ORDER.index(c.channel) if c.channel in ORDER else len(ORDER), c.channel))
