"""Cases as lists: the follow-up list (open abnormal and urgent cases per community, oldest first,
with their people and readings) and the escalation export (the queue's cases, with its filters, one
CSV line each naming every person).

A person is named from the household list (`member_names`, the contact first) when it gave names,
else "contact" or "member 2" (records/case_people.py). A case written before cases kept their people
is read from its first screening. Streams: rows are read in batches. Keyword-only data functions
taking the session.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records import case_people, local_times
from campaigns.records.counts import NO_COMMUNITY
from campaigns.records.export import text_cell
from campaigns.records.models import Escalation, EscalationKind, EscalationStatus, Household, Screening, Severity

BATCH_ROWS = 500
ACTIVE = "active"  # open or acknowledged: the queue's default status filter
STATUSES = (ACTIVE, *(status.value for status in EscalationStatus), "all")
HEALTH_KINDS = (EscalationKind.urgent.value, EscalationKind.abnormal.value)
_SEVERITIES = (Severity.urgent.value, Severity.high.value, Severity.routine.value)  # the queue's order
_SCREENING_KINDS = (*HEALTH_KINDS, EscalationKind.unclear.value)  # cases whose first screening names a person
HEADER: tuple[str, ...] = (
    "id", "created_at", "last_raised_at", "raised_count", "kind", "severity", "status", "household_id",
    "community", "contact_name", "phone", "address", "people", "detail", "assigned_to", "acknowledged_at",
    "resolved_at", "resolution_note", "merged_into",
)


@dataclass(frozen=True)
class CasePerson:
    label: str  # "Lena (contact)", "Jun", "member 2"
    reading: str  # "38.3 °C, cough, difficulty breathing"; "" when nothing was said
    temperature_c: Optional[float]


@dataclass(frozen=True)
class Case:
    escalation: Escalation
    community: str  # NO_COMMUNITY when the list gave none
    contact_name: Optional[str]
    phone: Optional[str]  # E.164; the caller masks it for viewers
    address: Optional[str]
    notes: Optional[str]
    people: list[CasePerson]

    @property
    def latest(self) -> datetime:
        return self.escalation.last_raised_at or self.escalation.created_at


def cases(session: Session, *, severity: Optional[str] = None, kind: Optional[str] = None, status: str = ACTIVE,
          community: Optional[str] = None, kinds: tuple[str, ...] = (), by_community: bool = False) -> Iterator[Case]:
    """Cases as the queue filters them; in the queue's order (most urgent, then oldest), or, with
    `by_community`, by community (NO_COMMUNITY last) and then oldest first."""
    e, h = Escalation.__table__.c, Household.__table__.c
    query = (sa.select(Escalation, h.community, h.contact_name, h.phone, h.address, h.notes, h.member_names,
                       h.members, Screening)
             .select_from(Escalation.__table__.outerjoin(Household.__table__, h.id == e.household_id)
                          .outerjoin(Screening.__table__, Screening.__table__.c.id == e.screening_id)))
    query = query.where(*_filters(severity=severity, kind=kind, status=status, community=community, kinds=kinds))
    rank = sa.case({value: position for position, value in enumerate(_SEVERITIES)}, value=e.severity,
                   else_=len(_SEVERITIES))
    order = (h.community.is_(None), h.community) if by_community else (rank,)
    rows = session.execute(query.order_by(*order, e.created_at, e.id).execution_options(yield_per=BATCH_ROWS))
    for row in rows:
        yield _case(row)


def follow_ups(session: Session, *, community: Optional[str] = None) -> Iterator[Case]:
    """Open (or acknowledged) abnormal and urgent cases, per community, oldest first."""
    return cases(session, community=community, kinds=HEALTH_KINDS, by_community=True)


def export_cells(case: Case, *, office: ZoneInfo) -> list:
    """One line of the escalation export (HEADER): times in the office's zone, every text through text_cell."""
    row = case.escalation
    people = "; ".join(f"{person.label}, {person.reading}" if person.reading else person.label
                       for person in case.people)
    return [row.id, local_times.iso(row.created_at, office), local_times.iso(case.latest, office),
            row.raised_count or 1, *map(text_cell, (row.kind, row.severity, row.status, row.household_id,
                                                    None if case.community == NO_COMMUNITY else case.community,
                                                    case.contact_name, case.phone, case.address, people,
                                                    row.detail, row.assigned_to)),
            local_times.iso(row.acknowledged_at, office), local_times.iso(row.resolved_at, office),
            text_cell(row.resolution_note), "" if row.merged_into is None else row.merged_into]


def _filters(*, severity: Optional[str], kind: Optional[str], status: str, community: Optional[str],
             kinds: tuple[str, ...]) -> list:
    e, h = Escalation.__table__.c, Household.__table__.c
    where = []
    if severity:
        where.append(e.severity == severity)
    if kind:
        where.append(e.kind == kind)
    if kinds:
        where.append(e.kind.in_(kinds))
    if community:
        where.append(h.community.is_(None) if community == NO_COMMUNITY else h.community == community)
    if status == ACTIVE:
        where.append(e.status.in_((EscalationStatus.open.value, EscalationStatus.acknowledged.value)))
    elif status != "all":
        where.append(e.status == status)
    return where


def _case(row) -> Case:
    escalation, community, contact, phone, address, notes, member_names, members, screening = row
    names = case_people.roster(contact_name=contact, member_names=member_names, members=members or 1)
    entries = case_people.load(escalation.people)
    if not entries and screening is not None and escalation.kind in _SCREENING_KINDS:
        entries = [case_people.reading(screening)]
    people = [_person(entry, names) for entry in entries]
    return Case(escalation=escalation, community=community or NO_COMMUNITY, contact_name=contact, phone=phone,
                address=address, notes=notes, people=people)


def _person(entry: dict, names: list[str]) -> CasePerson:
    index = entry["index"]
    name = entry.get("name") or case_people.name_of(names, index)
    words = case_people.person_words({**entry, "name": name})
    label = case_people.label(index, name)
    reading = words[len(label):].lstrip(", ")  # person_words starts with the label
    return CasePerson(label=label, reading=reading, temperature_c=entry.get("temperature_c"))
