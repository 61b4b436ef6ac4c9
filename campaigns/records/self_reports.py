"""Where each screening came from, and the self-reports and help requests of each community.

A screening's *source*, from columns the records already keep:
- a campaign's screening belongs to the attempt whose conversation it was, and the attempt's channel
  says how the household was reached: `call` (voice), `sms` (a text conversation) or `link` (a chat
  link, opened on the resident page); a campaign screening whose attempt is gone goes by its own
  channel;
- a screening with no campaign had no outbound attempt: a `walk_in`, a resident who reported on their
  own (the web page, an SMS to the office's number, a chat).

Per community, over a time span: *self-reports* are walk-in conversations (each counted once, by the
time its rows were written), split into those by SMS and the rest (the web page and chats), with the
people they screened, abnormal and urgent (as records/counts.py counts people); *help requests* are
the presses of the page's "I need help" button, by category (help_requests rows). A household's
community is the one it has now (an anonymous walk-in's is the one it chose). Keyword-only data
functions taking the session; the database aggregates.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.counts import NO_COMMUNITY, SCREENED
from campaigns.records.escalations import HELP_CATEGORIES
from campaigns.records.models import Attempt, HelpRequest, Household, Screening
from campaigns.records.summaries import TOTAL

SOURCES: tuple[str, ...] = ("call", "sms", "link", "walk_in")
_A, _H, _S, _R = Attempt.__table__.c, Household.__table__.c, Screening.__table__.c, HelpRequest.__table__.c
# An attempt's (or, without one, a screening's) channel -> the source. Web and chat channels of a
# campaign are its chat link's page; "simulated" is a dry run's screening, told apart by its attempt.
_BY_CHANNEL = {"voice": "call", "sms": "sms", "chat_link": "link", "link": "link", "web": "link", "chat": "link"}


def source_column() -> sa.sql.ColumnElement:
    """The source of each row of `screenings`, as SQL (for a select from screenings).

    The attempt is found through the index on (household_id, campaign_id, day): a few rows per household."""
    attempt = (sa.select(_A.channel).where(_A.household_id == _S.household_id, _A.campaign_id == _S.campaign_id,
                                           _A.conversation_id == _S.conversation_id)
               .limit(1).scalar_subquery())
    channel = sa.func.coalesce(attempt, _S.channel)
    return sa.case((_S.campaign_id.is_(None), "walk_in"),
                   *((channel == name, source) for name, source in _BY_CHANNEL.items()), else_=None)


def sources_of(session: Session, *, screening_ids: Iterable[int]) -> dict[int, Optional[str]]:
    """Each screening's source (None when it cannot be told)."""
    ids = list(screening_ids)
    if not ids:
        return {}
    rows = session.execute(sa.select(_S.id, source_column().label("source")).where(_S.id.in_(ids)))
    return {id_: source for id_, source in rows}


@dataclass(frozen=True)
class CommunityReports:
    community: str  # NO_COMMUNITY for households without one; TOTAL for the sum
    self_reports: int = 0  # walk-in conversations
    by_sms: int = 0  # of those, by text message
    on_the_web: int = 0  # the rest: the web page, a chat
    people_screened: int = 0
    abnormal: int = 0
    urgent: int = 0
    help_requests: int = 0  # presses of "I need help", every category
    medicine: int = 0
    food: int = 0
    medical_care: int = 0
    other: int = 0

    def __add__(self, other: "CommunityReports") -> "CommunityReports":
        return CommunityReports(self.community, **{f.name: getattr(self, f.name) + getattr(other, f.name)
                                                   for f in fields(self) if f.name != "community"})


COUNTS = tuple(f.name for f in fields(CommunityReports) if f.name != "community")


def by_community(session: Session, *, start: Optional[datetime] = None,
                 end: Optional[datetime] = None) -> list[CommunityReports]:
    """Self-reports and help requests from `start` (included) to `end` (excluded), per community by
    name, NO_COMMUNITY, then TOTAL (always there, zero when nothing happened)."""
    found: dict[Optional[str], dict[str, int]] = {}
    for query in (_reports(start, end), _help(start, end)):
        for row in session.execute(query):
            values = dict(row._mapping)
            found.setdefault(values.pop("community"), {}).update({k: int(v or 0) for k, v in values.items()})
    named = sorted((name, value) for name, value in found.items() if name is not None)
    lines = [CommunityReports(name, **value) for name, value in named]
    if None in found:
        lines.append(CommunityReports(NO_COMMUNITY, **found[None]))
    total = CommunityReports(TOTAL)
    for line in lines:
        total = total + line  # keeps the left side's name
    return [*lines, total]


def _span(column, start: Optional[datetime], end: Optional[datetime]) -> list:
    return [*([column >= start] if start else []), *([column < end] if end else [])]


def _reports(start: Optional[datetime], end: Optional[datetime]):
    """Walk-in conversations (each the channel of its rows) and their people, per community."""
    per = (sa.select(_S.household_id, _S.conversation_id, sa.func.max(_S.channel).label("channel"),
                     sa.func.sum(sa.case((SCREENED, 1), else_=0)).label("screened"),
                     sa.func.sum(sa.case((_S.abnormal.is_(True), 1), else_=0)).label("abnormal"),
                     sa.func.sum(sa.case((_S.urgent.is_(True), 1), else_=0)).label("urgent"))
           .where(_S.campaign_id.is_(None), *_span(_S.finished_at, start, end))
           .group_by(_S.household_id, _S.conversation_id)).subquery()
    sms = sa.case((per.c.channel == "sms", 1), else_=0)
    return (sa.select(_H.community.label("community"), sa.func.count().label("self_reports"),
                      sa.func.sum(sms).label("by_sms"), sa.func.sum(1 - sms).label("on_the_web"),
                      sa.func.sum(per.c.screened).label("people_screened"),
                      sa.func.sum(per.c.abnormal).label("abnormal"), sa.func.sum(per.c.urgent).label("urgent"))
            .select_from(per.outerjoin(Household.__table__, _H.id == per.c.household_id)).group_by(_H.community))


def _help(start: Optional[datetime], end: Optional[datetime]):
    each = [sa.func.sum(sa.case((_R.category == code, 1), else_=0)).label(code) for code in HELP_CATEGORIES]
    return (sa.select(_H.community.label("community"), sa.func.count().label("help_requests"), *each)
            .select_from(HelpRequest.__table__.outerjoin(Household.__table__, _H.id == _R.household_id))
            .where(*_span(_R.created_at, start, end)).group_by(_H.community))
