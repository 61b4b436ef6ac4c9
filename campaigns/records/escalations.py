"""Escalations: the cases staff must follow up, one open case per household and kind, and how
staff are told of a new one.

A later screening or request of a household updates its open case of that kind (its people,
readings, severity, a count and the latest time) instead of opening another; a resolved case
stays resolved, and a new problem after it opens a new case. The partial unique index on
(household_id, kind) of open and acknowledged cases is the database's guarantee of it; raises
for one household take turns on a lock of the household's row, so none of them ever trips it.

An urgent case absorbs the household's open abnormal case, and an abnormal screening joins an
open urgent case: both are the same follow-up (a health worker calling the household about its
sick people), the urgent one is worked first, and two rows would send two workers to one
household, one of them with an out-of-date picture. Other kinds stay apart: a help request or an
unclear answer is different work.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional, Protocol

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.phones import mask_phone
from campaigns.records import case_people
from campaigns.records.households import get_or_create_walk_in
from campaigns.records.models import (Escalation, EscalationKind, EscalationStatus, HelpRequest, Household, Screening,
                                      Severity, utcnow)
from campaigns.settings import get_settings

log = logging.getLogger(__name__)

SEVERITY = {
    EscalationKind.urgent: Severity.urgent,
    EscalationKind.abnormal: Severity.high,
    EscalationKind.help_request: Severity.high,
    EscalationKind.staff_callback: Severity.routine,
    EscalationKind.unclear: Severity.routine,
    EscalationKind.field_visit: Severity.routine,
}
ACTIVE = (EscalationStatus.open.value, EscalationStatus.acknowledged.value)  # the statuses of the unique index
SCREENING_KINDS = (EscalationKind.urgent.value, EscalationKind.abnormal.value, EscalationKind.unclear.value)
_RANK = {Severity.routine.value: 0, Severity.high.value: 1, Severity.urgent.value: 2}
# What a resident can ask for with the web page's "I need help" button (help_requests.category), in order.
HELP_CATEGORIES: tuple[str, ...] = ("medicine", "food", "medical_care", "other")


class Notifier(Protocol):
    def notify(self, escalation: Escalation, household: Household) -> None: ...


class LogNotifier:
    """Tells staff through the log; SMS to supervisors plugs in behind the same interface."""

    def notify(self, escalation: Escalation, household: Household) -> None:
        log.warning(
            "escalation #%s %s (%s) household %s phone %s: %s",
            escalation.id, escalation.kind, escalation.severity, household.id,
            mask_phone(household.phone), escalation.detail,
        )


def get_notifier() -> Notifier:
    return LogNotifier()


@dataclass(frozen=True)
class Raised:
    escalation: Escalation  # the case
    opened: bool  # a new case; False: the household's open case was updated


def raise_case(session: Session, *, household: Household, kind: EscalationKind, detail: str = "",
               people: Iterable[Screening] = (), screening_id: Optional[int] = None,
               conversation_id: Optional[str] = None, at: Optional[datetime] = None) -> Raised:
    """Open the household's case of this kind, or update the open one. `people` are screening rows
    (their readings make the detail); without them `detail` is added to the case's. Flushes."""
    at = at or utcnow()
    lock_household(session, household_id=household.id)
    case = None
    if kind is EscalationKind.abnormal:  # the household's urgent case takes abnormal people in
        case = open_case(session, household_id=household.id, kind=EscalationKind.urgent)
    case = case or open_case(session, household_id=household.id, kind=kind)
    opened = case is None
    if opened:
        case = Escalation(household_id=household.id, kind=kind.value, severity=SEVERITY[kind].value,
                          screening_id=screening_id, created_at=at, raised_count=0)
    names = case_people.roster(contact_name=household.contact_name, member_names=household.member_names,
                               members=household.members)
    readings = [case_people.reading(row, name=case_people.name_of(names, row.person_index)) for row in people]
    _take_in(case, kind=kind, detail=detail, readings=readings, screening_id=screening_id,
             conversation_id=conversation_id, at=at)
    session.add(case)
    session.flush()
    if kind is EscalationKind.urgent:
        absorbed = open_case(session, household_id=household.id, kind=EscalationKind.abnormal)
        if absorbed is not None:
            fold(session, case=case, other=absorbed, at=at)
            session.flush()
    return Raised(case, opened)


def raise_escalation(
    session: Session,
    *,
    household: Household,
    kind: EscalationKind,
    detail: str,
    screening_id: Optional[int] = None,
    conversation_id: Optional[str] = None,
    at: Optional[datetime] = None,
) -> Escalation:
    """The household's case of this kind, opened or updated (see `raise_case`). Notify after commit."""
    return raise_case(session, household=household, kind=kind, detail=detail, screening_id=screening_id,
                      conversation_id=conversation_id, at=at).escalation


def lock_household(session: Session, *, household_id: str) -> None:
    """Raises for one household take turns until their transaction ends, across processes."""
    if session.get_bind().dialect.name == "postgresql":
        # NO KEY UPDATE: screenings being written for the household (which hold a key-share lock
        # on its row) do not block it, so two recordings never deadlock.
        session.execute(sa.select(Household.id).where(Household.id == household_id)
                        .with_for_update(key_share=True))
    else:
        # SQLite has one writer at a time: a first write takes the lock, and what is read after it
        # stays true until the commit.
        session.execute(sa.text("UPDATE households SET members = members WHERE id = :id"), {"id": household_id})


def open_case(session: Session, *, household_id: str, kind: EscalationKind) -> Optional[Escalation]:
    """The household's open or acknowledged case of this kind, locked; None if it has none."""
    return session.exec(
        select(Escalation).where(Escalation.household_id == household_id, Escalation.kind == kind.value,
                                 Escalation.status.in_(ACTIVE))
        .order_by(Escalation.id).with_for_update().execution_options(populate_existing=True)).first()


def fold(session: Session, *, case: Escalation, other: Escalation, at: datetime) -> None:
    """Take `other` into `case`: its people or words, count, times and assignee. `other` is resolved,
    pointing at `case`, so it leaves the queue and keeps its row."""
    people = case_people.merged(people_of(session, other), people_of(session, case))
    if people:
        case.people, case.detail = case_people.dump(people), case_people.describe(people)
    elif other.detail:  # the older words first
        older, newer = sorted((case, other), key=lambda row: (row.created_at, row.id or 0))
        case.detail = case_people.joined_detail(older.detail, newer.detail)
    case.raised_count = (case.raised_count or 1) + (other.raised_count or 1)
    case.last_raised_at = case_people.latest(case.last_raised_at, case.created_at,
                                             other.last_raised_at, other.created_at)
    case.created_at = min(case.created_at, other.created_at)  # the case has waited since its oldest part
    case.severity = higher(case.severity, other.severity)
    case.screening_id = case.screening_id or other.screening_id
    case.assigned_to = case.assigned_to or other.assigned_to
    other.status, other.merged_into, other.resolved_at = EscalationStatus.resolved.value, case.id, at
    other.resolution_note = f"merged into case {case.id} ({case.kind}), the household's open case"
    session.add_all([case, other])


def people_of(session: Session, escalation: Escalation) -> list[dict]:
    """The case's people; for a row written before cases kept them, read again from its screening."""
    if escalation.people:
        return case_people.load(escalation.people)
    if escalation.kind not in SCREENING_KINDS or escalation.screening_id is None:
        return []
    row = session.get(Screening, escalation.screening_id)
    household = session.get(Household, escalation.household_id)
    if row is None or household is None:
        return []
    names = case_people.roster(contact_name=household.contact_name, member_names=household.member_names,
                               members=household.members)
    return [case_people.reading(row, name=case_people.name_of(names, row.person_index))]


def higher(one: str, other: str) -> str:
    return one if _RANK.get(one, 0) >= _RANK.get(other, 0) else other


def notify_all(escalations: list[Escalation], household: Household, notifier: Optional[Notifier] = None) -> None:
    notifier = notifier or get_notifier()
    for escalation in escalations:
        notifier.notify(escalation, household)


def notify_opened(raised: Iterable[Raised], household: Household, notifier: Optional[Notifier] = None) -> None:
    """Tell staff of each new case once; an update of an open case tells nobody again."""
    notify_all([r.escalation for r in raised if r.opened], household, notifier)


def _take_in(case: Escalation, *, kind: EscalationKind, detail: str, readings: list[dict],
             screening_id: Optional[int], conversation_id: Optional[str], at: datetime) -> None:
    case.raised_count = (case.raised_count or 0) + 1
    case.last_raised_at = case_people.latest(case.last_raised_at, case.created_at, at)
    case.severity = higher(case.severity, SEVERITY[kind].value)
    case.screening_id = case.screening_id or screening_id
    # The latest conversation: the dispatcher asks whether a call raised anything (attempts.escalation_raised).
    case.conversation_id = conversation_id or case.conversation_id
    if readings:
        people = case_people.merged(case_people.load(case.people), readings)
        case.people, case.detail = case_people.dump(people), case_people.describe(people)
    elif detail:
        case.detail = case_people.joined_detail(case.detail, detail)


def raise_help_request(session: Session, *, household_id: Optional[str], conversation_id: str,
                       community: Optional[str], category: str, now: datetime) -> Raised:
    """The resident page's "I need help" button: a help_requests row with its category, joining the
    household's help-request case (opened or updated as `raise_case` does). Without a household (an
    anonymous walk-in) the conversation's walk-in household holds it, placed in `community` (the one the
    resident chose, one the household list names) unless it has one. ValueError for an unknown category or
    community, LookupError for an unknown household. Flushes; the caller commits, then tells staff with `notify_opened`."""
    if category not in HELP_CATEGORIES:
        raise ValueError(f"unknown help category {category!r}; use one of: {', '.join(HELP_CATEGORIES)}")
    if household_id is not None:
        household = session.get(Household, household_id)
        if household is None:
            raise LookupError(f"no household {household_id!r}")
    else:
        household = get_or_create_walk_in(session, sender_id=conversation_id, phone=None,
                                           timezone=get_settings().default_timezone)
    if household.walk_in and not household.community and community:
        if not _known_community(session, community):  # a client's word: only a community of the list
            raise ValueError(f"unknown community {community[:64]!r}")
        household.community = community  # the walk-in's own choice: nobody else describes the household
        session.add(household)
    raised = raise_case(session, household=household, kind=EscalationKind.help_request,
                        detail=f"asked for help: {category.replace('_', ' ')}", conversation_id=conversation_id,
                        at=now)
    session.add(HelpRequest(escalation_id=raised.escalation.id, household_id=household.id, category=category,
                            conversation_id=conversation_id, created_at=now))
    session.flush()
    return raised


def _known_community(session: Session, community: str) -> bool:
    query = select(Household.id).where(Household.community == community, Household.walk_in.is_(False))
    return session.exec(query.limit(1)).first() is not None
