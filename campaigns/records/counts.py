"""Counting, one way for every reader: households targeted, reached, unreachable and opted out, and
people screened, abnormal and urgent, per round, per day, community or language, or per campaign. The
dry-run summary, `campaign status`, the console and the daily summary all count here, so they give
the same numbers for the same database. The database aggregates (GROUP BY); no row is loaded.

The rules, for a day (or a round) of a campaign:
- a household is *targeted* when the campaign has an attempt for it then;
- *reached*: one of those attempts completed (a conversation took place);
- *unreachable*: an attempt was placed, none completed, none is still due or under way and none was
  skipped (a household that opted out is not unreachable): the rule by which outreach/unreachable.py
  sends a household to a field visit once its day is over;
- *opted out*: it opted out in the conversation of one of those attempts;
- a screening belongs to the attempt whose conversation it was. A person is *screened* when their row
  has an answer (a temperature, feeling feverish or not, symptoms or red flags, "none" included) or
  was judged abnormal; each conversation's row counts, so a person screened in two rounds counts
  twice. *Abnormal* and *urgent* people are screened people so judged;
- *help requests*: households whose help-request case was last raised in one of those conversations;
- a household's *language* is the one it is spoken to in: its own when the bot speaks it, else its
  campaign's, else the default (as records/contacts.py chooses it for each conversation).
Keyword-only data functions taking the session.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.models import (ACTIVE_STATUSES, Attempt, AttemptKind, AttemptStatus, Campaign, Escalation,
                                      EscalationKind, Household, OptOut, Screening)
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, LANGUAGES, language_of

NO_COMMUNITY = "(no community)"
_A, _H, _S = Attempt.__table__.c, Household.__table__.c, Screening.__table__.c
_ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)
# A person with an answer recorded, or judged abnormal (which takes an answer).
SCREENED = sa.or_(_S.temperature_c.is_not(None), _S.feels_feverish.is_not(None), _S.symptoms.is_not(None),
                  _S.red_flags.is_not(None), _S.abnormal.is_(True))
# What a tally can be grouped by: attempt columns, and the household's community and language
# (as the list wrote it: by_language reads it as the bot does).
GROUPS = {"day": _A.day, "round_no": _A.round_no, "campaign_id": _A.campaign_id, "community": _H.community,
          "language": _H.language}
_HOUSEHOLD_GROUPS = frozenset({"community", "language"})


@dataclass(frozen=True)
class Tally:
    targeted: int = 0  # households with an attempt
    reached: int = 0
    unreachable: int = 0
    opted_out: int = 0
    due: int = 0  # households with an attempt still waiting
    dialling: int = 0  # households being contacted right now
    screened: int = 0  # people (one per conversation)
    abnormal: int = 0
    urgent: int = 0
    help_requests: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True)
class CampaignTotals:
    """A whole campaign: households over all its days, and the household-days left unreachable."""

    households: Tally  # targeted, reached and opted out count each household once
    unreachable_days: int  # household-days no attempt reached (each sent for a field visit)
    calls_placed: int  # attempts the carrier was asked to place
    retries: int  # of those, retries in a round

    @property
    def never_reached(self) -> int:
        return self.households.targeted - self.households.reached


def tally(session: Session, *, by: tuple[str, ...], campaign_id: Optional[str] = None,
          day: Optional[date] = None) -> dict[tuple, Tally]:
    """A Tally per group (`by`: names of GROUPS, e.g. ("day", "round_no")), keyed by the groups' values."""
    where = _where(campaign_id, day)
    found: dict[tuple, dict[str, int]] = {}
    for source in (_households(by, where), _people(by, where), _help_requests(by, where)):
        for row in session.execute(source):
            found.setdefault(tuple(row[:len(by)]), {}).update(
                {name: int(value or 0) for name, value in row._mapping.items() if name not in by})
    return {key: Tally(**values) for key, values in found.items()}


def campaign_totals(session: Session, *, campaign_id: str) -> CampaignTotals:
    """The whole campaign: what the dry run's summary prints."""
    households = tally(session, by=(), campaign_id=campaign_id).get((), Tally())
    days = tally(session, by=("day",), campaign_id=campaign_id).values()
    placed = sa.and_(_A.campaign_id == campaign_id, _A.placed_at.is_not(None))
    calls, retries = session.execute(sa.select(
        sa.func.count(), sa.func.sum(sa.case((_A.kind == AttemptKind.retry.value, 1), else_=0))).where(placed)).one()
    return CampaignTotals(households=households, unreachable_days=sum(t.unreachable for t in days),
                          calls_placed=int(calls or 0), retries=int(retries or 0))


def by_community(session: Session, *, day: date, campaign_id: Optional[str] = None) -> list[tuple[str, Tally]]:
    """One campaign day (every campaign's, or one's), per community by name; NO_COMMUNITY last."""
    found = tally(session, by=("community",), campaign_id=campaign_id, day=day)
    named = sorted((community, value) for (community,), value in found.items() if community is not None)
    return named + ([(NO_COMMUNITY, found[(None,)])] if (None,) in found else [])


def by_language(session: Session, *, campaign_id: Optional[str] = None,
                day: Optional[date] = None) -> list[tuple[str, Tally]]:
    """Per language households are spoken to in (`LANGUAGES` order), over a campaign or a day or both."""
    found = tally(session, by=("campaign_id", "language"), campaign_id=campaign_id, day=day)
    spoken = _campaign_languages(session, {campaign for campaign, _ in found})
    folded: dict[str, Tally] = {}
    for (campaign, written), value in found.items():
        code = language_of(written) or spoken.get(campaign) or DEFAULT_LANGUAGE
        folded[code] = folded.get(code, Tally()) + value
    return [(code, folded[code]) for code in LANGUAGES if code in folded]


def _campaign_languages(session: Session, campaign_ids: set[str]) -> dict[str, Optional[str]]:
    c = Campaign.__table__.c
    rows = session.execute(sa.select(c.id, c.spec_json).where(c.id.in_(campaign_ids))) if campaign_ids else ()
    return {campaign: language_of(json.loads(spec or "{}").get("language")) for campaign, spec in rows}


def total(rows: list[tuple[str, Tally]]) -> Tally:
    result = Tally()
    for _, value in rows:
        result = result + value
    return result


def _where(campaign_id: Optional[str], day: Optional[date]) -> list:
    where = []
    if campaign_id is not None:
        where.append(_A.campaign_id == campaign_id)
    if day is not None:
        where.append(_A.day == day)
    return where


def _flag(condition):
    return sa.func.max(sa.case((condition, 1), else_=0))


def _households(by: tuple[str, ...], where: list):
    """Each household's attempts of a group folded into flags, then counted per group."""
    per_columns = [GROUPS[name].label(name) for name in by if name not in _HOUSEHOLD_GROUPS]
    opted = sa.select(OptOut.__table__.c.conversation_id.label("conversation_id")).distinct().subquery()
    per = (sa.select(_A.household_id, *per_columns,
                     _flag(_A.status == AttemptStatus.completed.value).label("reached"),
                     _flag(_A.status == AttemptStatus.due.value).label("due"),
                     _flag(_A.status.in_(_ACTIVE)).label("dialling"),
                     _flag(_A.status == AttemptStatus.skipped.value).label("skipped"),
                     _flag(_A.placed_at.is_not(None)).label("placed"),
                     _flag(opted.c.conversation_id.is_not(None)).label("opted_out"))
           .select_from(Attempt.__table__.outerjoin(opted, opted.c.conversation_id == _A.conversation_id))
           .where(*where).group_by(_A.household_id, *(GROUPS[name] for name in by if name not in _HOUSEHOLD_GROUPS))
           ).subquery()
    s = per.c
    unreachable = sa.and_(s.reached == 0, s.due == 0, s.dialling == 0, s.skipped == 0, s.placed == 1)
    keys = [GROUPS[name] if name in _HOUSEHOLD_GROUPS else s[name] for name in by]
    source = per.join(Household.__table__, _H.id == s.household_id) if _HOUSEHOLD_GROUPS & set(by) else per
    return (sa.select(*keys, sa.func.count().label("targeted"), sa.func.sum(s.reached).label("reached"),
                      sa.func.sum(sa.case((unreachable, 1), else_=0)).label("unreachable"),
                      sa.func.sum(s.opted_out).label("opted_out"), sa.func.sum(s.due).label("due"),
                      sa.func.sum(s.dialling).label("dialling"))
            .select_from(source).group_by(*keys))


def _people(by: tuple[str, ...], where: list):
    """Screened, abnormal and urgent people, each screening through the attempt of its conversation."""
    keys = [GROUPS[name] for name in by]
    source = Attempt.__table__.join(Screening.__table__, _S.conversation_id == _A.conversation_id)
    if _HOUSEHOLD_GROUPS & set(by):
        source = source.join(Household.__table__, _H.id == _A.household_id)
    return (sa.select(*keys, sa.func.sum(sa.case((SCREENED, 1), else_=0)).label("screened"),
                      sa.func.sum(sa.case((_S.abnormal.is_(True), 1), else_=0)).label("abnormal"),
                      sa.func.sum(sa.case((_S.urgent.is_(True), 1), else_=0)).label("urgent"))
            .select_from(source).where(*where).group_by(*keys))


def _help_requests(by: tuple[str, ...], where: list):
    e = Escalation.__table__.c
    keys = [GROUPS[name] for name in by]
    source = Attempt.__table__.join(Escalation.__table__, e.conversation_id == _A.conversation_id)
    if _HOUSEHOLD_GROUPS & set(by):
        source = source.join(Household.__table__, _H.id == _A.household_id)
    return (sa.select(*keys, sa.func.count(sa.distinct(_A.household_id)).label("help_requests"))
            .select_from(source).where(*where, e.kind == EscalationKind.help_request.value).group_by(*keys))
