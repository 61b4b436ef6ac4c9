"""Finding households: by id, phone, name or community, a page at a time (keyset on the id), each
with its last screening and its open cases. Keyword-only data functions taking the session.

One search text matches a household whose id starts with it, whose phone is that number (read as
the import reads numbers), or whose contact, member names or community contain it; case aside.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.phones import normalize_phone
from campaigns.records.counts import NO_COMMUNITY
from campaigns.records.escalations import ACTIVE
from campaigns.records.models import Escalation, Household, Screening

PAGE_ROWS = 50
_H, _S, _E = Household.__table__.c, Screening.__table__.c, Escalation.__table__.c


@dataclass(frozen=True)
class LastScreening:
    finished_at: datetime
    people: int  # rows of that conversation
    abnormal: int
    urgent: int
    outcome: str  # the contact's (person 0), or the first row's


@dataclass(frozen=True)
class HouseholdHit:
    household: Household
    last_screening: Optional[LastScreening]
    open_cases: list[tuple[str, str]] = field(default_factory=list)  # (kind, severity), most urgent first


@dataclass(frozen=True)
class SearchPage:
    hits: list[HouseholdHit]
    next_after: Optional[str]  # the last id shown, when more follow


def search(session: Session, *, text: str = "", community: Optional[str] = None, region: str = "US",
           after: Optional[str] = None, limit: Optional[int] = None) -> SearchPage:
    """Households matching `text` (all when blank) and `community`, by id, after the id `after`."""
    limit = limit or PAGE_ROWS
    query = sa.select(Household).order_by(Household.id).limit(limit + 1)
    if text.strip():
        query = query.where(_matches(text.strip(), region))
    if community:
        query = query.where(_H.community.is_(None) if community == NO_COMMUNITY else _H.community == community)
    if after:
        query = query.where(_H.id > after)
    found = list(session.execute(query).scalars())
    shown = found[:limit]
    ids = [household.id for household in shown]
    last, cases = _last_screenings(session, ids), _open_cases(session, ids)
    hits = [HouseholdHit(h, last.get(h.id), cases.get(h.id, [])) for h in shown]
    return SearchPage(hits, shown[-1].id if len(found) > limit else None)


def communities(session: Session) -> list[str]:
    """Every community named by a household, for the search form."""
    query = sa.select(_H.community).where(_H.community.is_not(None)).distinct().order_by(_H.community)
    return list(session.execute(query).scalars())


def _matches(text: str, region: str):
    lowered = text.lower()
    # Case aside everywhere, on PostgreSQL as on SQLite (whose LIKE ignores ASCII case anyway).
    conditions = [sa.func.lower(_H.id).startswith(lowered, autoescape=True),
                  *(sa.func.lower(column).contains(lowered, autoescape=True)
                    for column in (_H.contact_name, _H.member_names, _H.community))]
    phone = normalize_phone(text, region=region) if any(c.isdigit() for c in text) else None
    if phone:
        conditions.append(_H.phone == phone)
    return sa.or_(*conditions)


def _last_screenings(session: Session, ids: list[str]) -> dict[str, LastScreening]:
    if not ids:
        return {}
    latest = (sa.select(_S.household_id, sa.func.max(_S.finished_at).label("at"))
              .where(_S.household_id.in_(ids)).group_by(_S.household_id)).subquery()
    rows = session.execute(
        sa.select(_S.household_id, _S.finished_at, _S.person_index, _S.abnormal, _S.urgent, _S.outcome)
        .join(latest, sa.and_(latest.c.household_id == _S.household_id, latest.c.at == _S.finished_at))
        .order_by(_S.household_id, _S.person_index))
    found: dict[str, LastScreening] = {}
    for household_id, at, _, abnormal, urgent, outcome in rows:
        kept = found.get(household_id)
        found[household_id] = LastScreening(
            at, (kept.people if kept else 0) + 1, (kept.abnormal if kept else 0) + bool(abnormal),
            (kept.urgent if kept else 0) + bool(urgent), kept.outcome if kept else outcome)
    return found


def _open_cases(session: Session, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    if not ids:
        return {}
    rank = sa.case({"urgent": 0, "high": 1}, value=_E.severity, else_=2)
    rows = session.execute(sa.select(_E.household_id, _E.kind, _E.severity)
                           .where(_E.household_id.in_(ids), _E.status.in_(ACTIVE))
                           .order_by(_E.household_id, rank, _E.created_at))
    found: dict[str, list[tuple[str, str]]] = {}
    for household_id, kind, severity in rows:
        found.setdefault(household_id, []).append((kind, severity))
    return found
