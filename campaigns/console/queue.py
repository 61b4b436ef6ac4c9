"""The escalation queue: what staff must follow up, most urgent first and then oldest first,
and the changes they make to it (acknowledge, assign, resolve), each recorded in the audit log.
A household has one open case per kind (records/escalations.py); each shows how many screenings
or requests it took in and when the latest came.
Data functions are keyword-only and take the session; the caller commits."""
from __future__ import annotations

import gettext
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import List, Optional, Tuple

import sqlalchemy as sa
from sqlmodel import Session, func, select

from campaigns.console import audit
from campaigns.console.i18n import N_
from campaigns.records.models import Escalation, EscalationKind, EscalationStatus, Household, Severity, User
from campaigns.phones import mask_phone

PAGE_SIZE = 200  # rows on one page of the queue; the rest are counted, never loaded
NOTE_MAX = 1000  # characters in an outcome note
SEVERITIES = (Severity.urgent.value, Severity.high.value, Severity.routine.value)  # most urgent first
KINDS = tuple(kind.value for kind in EscalationKind)
_OPEN, _ACKNOWLEDGED, _RESOLVED = (s.value for s in EscalationStatus)


class StatusFilter(str, Enum):
    active = "active"  # open or acknowledged: not resolved yet (the default)
    open = "open"  # nobody has taken it yet
    acknowledged = "acknowledged"  # a staff member has taken it
    resolved = "resolved"  # done, with an outcome note
    all = "all"  # every status


class QueueError(ValueError):
    """A request the queue cannot carry out; the message says why, `status_code` says how (HTTP)."""

    status_code = 400


class EscalationNotFound(QueueError):
    status_code = 404


class EscalationConflict(QueueError):
    status_code = 409


@dataclass(frozen=True)
class QueueFilter:
    severity: Optional[str] = None
    kind: Optional[str] = None
    status: str = StatusFilter.active.value
    community: Optional[str] = None

    def query(self) -> dict:
        """The filters that differ from the defaults, as query-string fields."""
        fields = {"severity": self.severity, "kind": self.kind, "community": self.community,
                  "status": None if self.status == StatusFilter.active.value else self.status}
        return {name: value for name, value in fields.items() if value}


@dataclass(frozen=True)
class QueueItem:
    id: int
    kind: str
    severity: str
    status: str
    household_id: str
    community: Optional[str]
    contact_name: Optional[str]
    phone: Optional[str]  # masked when the reader may not see numbers
    detail: str
    created_at: datetime
    age_seconds: int
    assigned_to: Optional[str]
    resolution_note: Optional[str]
    acknowledged_at: Optional[datetime]
    resolved_at: Optional[datetime]
    raised_count: int = 1  # screenings or requests the case took in
    last_raised_at: Optional[datetime] = None  # when the latest came
    latest_age_seconds: int = 0
    merged_into: Optional[int] = None  # the case this row was merged into

    @property
    def age(self) -> str:
        return format_age(self.age_seconds)

    @property
    def latest_age(self) -> str:
        return format_age(self.latest_age_seconds)


@dataclass(frozen=True)
class QueuePage:
    items: List[QueueItem] = field(default_factory=list)
    total: int = 0  # every escalation matching the filters
    offset: int = 0
    limit: int = PAGE_SIZE

    @property
    def rest(self) -> int:
        """Matching escalations after this page."""
        return max(self.total - self.offset - len(self.items), 0)


def parse_filter(*, severity: str = "", kind: str = "", status: str = "", community: str = "") -> QueueFilter:
    """Filters from form or query-string text; blank means no filter (status: not resolved)."""
    severity, kind, status, community = (value.strip() for value in (severity, kind, status, community))
    _check_choice("severity", severity, SEVERITIES)
    _check_choice("kind", kind, KINDS)
    _check_choice("status", status, tuple(s.value for s in StatusFilter))
    return QueueFilter(severity=severity or None, kind=kind or None, status=status or StatusFilter.active.value,
                       community=community[:200] or None)


def format_age(seconds: float, translations: Optional[gettext.NullTranslations] = None) -> str:
    """How long an escalation has waited, for people: '3 h 12 min', '2 d 5 h', '7 min' (in the
    language of `translations`; English without)."""
    tr = translations or gettext.NullTranslations()
    minutes = max(int(seconds), 0) // 60
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return tr.gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return tr.gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return tr.gettext("%(minutes)s min") % {"minutes": minutes} if minutes else tr.gettext("under 1 min")


def list_queue(session: Session, *, filters: QueueFilter, now: datetime, mask_phones: bool,
               limit: Optional[int] = None, offset: int = 0) -> QueuePage:
    """One page of the queue (urgent first, then oldest first) and how many match in all."""
    limit = limit or PAGE_SIZE
    rank = sa.case({value: position for position, value in enumerate(SEVERITIES)}, value=Escalation.severity,
                   else_=len(SEVERITIES))
    rows = session.execute(_filtered(_columns(), filters)
                           .order_by(rank, Escalation.created_at, Escalation.id).limit(limit).offset(offset))
    counted = select(func.count(Escalation.id)).select_from(Escalation) \
        .join(Household, Household.id == Escalation.household_id, isouter=True)
    total = session.execute(_filtered(counted, filters)).scalar_one()
    return QueuePage(items=[_item(row, now, mask_phones) for row in rows], total=total, offset=offset, limit=limit)


def find_item(session: Session, *, escalation_id: int, now: datetime, mask_phones: bool) -> QueueItem:
    row = session.execute(_columns().where(Escalation.id == escalation_id)).first()
    if row is None:
        raise EscalationNotFound(N_("there is no escalation %(id)s", id=escalation_id))
    return _item(row, now, mask_phones)


def active_user_names(session: Session) -> List[str]:
    """Whom an escalation can be assigned to."""
    return list(session.exec(select(User.name).where(User.active == True).order_by(User.name)))  # noqa: E712


def acknowledge(session: Session, *, escalation_id: int, user: User, now: datetime) -> Escalation:
    """`user` takes an open escalation (and is assigned to it unless someone already is)."""
    row = _find(session, escalation_id)
    if row.status == _ACKNOWLEDGED and row.assigned_to:
        raise EscalationConflict(N_("escalation %(id)s is already acknowledged by %(who)s; there is nothing to "
                                    "acknowledge", id=row.id, who=row.assigned_to))
    if row.status == _ACKNOWLEDGED:
        raise EscalationConflict(N_("escalation %(id)s is already acknowledged; there is nothing to acknowledge",
                                    id=row.id))
    if row.status != _OPEN:
        raise EscalationConflict(N_("escalation %(id)s is already resolved; there is nothing to acknowledge",
                                    id=row.id))
    _update(session, row, status=_ACKNOWLEDGED, acknowledged_at=now, assigned_to=row.assigned_to or user.name)
    audit.record(session, user=user, action="acknowledge", target=f"escalation {row.id}")
    return _find(session, escalation_id)


def assign(session: Session, *, escalation_id: int, user: User, assignee: str, now: datetime) -> Escalation:
    """Give an unresolved escalation to an active user; an open one becomes acknowledged."""
    row = _find(session, escalation_id)
    assignee = assignee.strip()
    if not assignee:
        raise QueueError(N_("choose whom to assign the escalation to"))
    if assignee not in active_user_names(session):
        raise QueueError(N_("there is no active user %(name)r to assign the escalation to", name=assignee))
    if row.status == _RESOLVED:
        raise EscalationConflict(N_("escalation %(id)s is already resolved; it cannot be assigned", id=row.id))
    _update(session, row, status=_ACKNOWLEDGED, acknowledged_at=row.acknowledged_at or now, assigned_to=assignee)
    audit.record(session, user=user, action="assign", target=f"escalation {row.id}", detail=f"to {assignee}")
    return _find(session, escalation_id)


def resolve(session: Session, *, escalation_id: int, user: User, note: str, now: datetime) -> Escalation:
    """Close an escalation with what was done; a resolved one stays as it was."""
    row = _find(session, escalation_id)
    if row.status == _RESOLVED:
        if row.resolved_at:
            raise EscalationConflict(N_("escalation %(id)s was already resolved on %(when)s; its note stays as it was",
                                        id=row.id, when=row.resolved_at.strftime("%Y-%m-%d %H:%M UTC")))
        raise EscalationConflict(N_("escalation %(id)s was already resolved; its note stays as it was", id=row.id))
    note = check_note(note)
    _update(session, row, status=_RESOLVED, resolved_at=now, resolution_note=note)
    audit.record(session, user=user, action="resolve", target=f"escalation {row.id}", detail=note)
    return _find(session, escalation_id)


def check_note(note: str) -> str:
    """The outcome note, trimmed; blank, longer than NOTE_MAX characters or with control characters is refused."""
    note = (note or "").strip()
    if not note:
        raise QueueError(N_("write the outcome: a resolution needs a note saying what was done"))
    if len(note) > NOTE_MAX:
        raise QueueError(N_("the outcome note has %(count)s characters; keep it to %(most)s", count=len(note),
                            most=NOTE_MAX))
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in note):
        # A NUL cannot be stored in PostgreSQL text; other control characters are never meant.
        raise QueueError(N_("the outcome note has a control character; write plain text"))
    return note


def _check_choice(name: str, value: str, allowed: Tuple[str, ...]) -> None:
    if value and value not in allowed:
        raise QueueError(N_("unknown %(name)s %(value)r: use %(allowed)s", name=name, value=value[:40],
                            allowed=", ".join(allowed)))


def _columns():
    return (select(Escalation, Household.community, Household.contact_name, Household.phone)
            .join(Household, Household.id == Escalation.household_id, isouter=True))


def _filtered(statement, filters: QueueFilter):
    if filters.community:
        statement = statement.where(Household.community == filters.community)
    if filters.severity:
        statement = statement.where(Escalation.severity == filters.severity)
    if filters.kind:
        statement = statement.where(Escalation.kind == filters.kind)
    if filters.status == StatusFilter.active.value:
        statement = statement.where(Escalation.status.in_((_OPEN, _ACKNOWLEDGED)))
    elif filters.status != StatusFilter.all.value:
        statement = statement.where(Escalation.status == filters.status)
    return statement


def _item(row, now: datetime, mask_phones: bool) -> QueueItem:
    escalation, community, contact_name, phone = row
    latest = escalation.last_raised_at or escalation.created_at
    return QueueItem(
        id=escalation.id, kind=escalation.kind, severity=escalation.severity, status=escalation.status,
        household_id=escalation.household_id, community=community, contact_name=contact_name,
        phone=mask_phone(phone) if mask_phones else phone, detail=escalation.detail,
        created_at=escalation.created_at, age_seconds=max(int((now - escalation.created_at).total_seconds()), 0),
        assigned_to=escalation.assigned_to, resolution_note=escalation.resolution_note,
        acknowledged_at=escalation.acknowledged_at, resolved_at=escalation.resolved_at,
        raised_count=escalation.raised_count or 1, last_raised_at=latest,
        latest_age_seconds=max(int((now - latest).total_seconds()), 0), merged_into=escalation.merged_into)


def _find(session: Session, escalation_id: int) -> Escalation:
    row = session.get(Escalation, escalation_id, populate_existing=True)
    if row is None:
        raise EscalationNotFound(N_("there is no escalation %(id)s", id=escalation_id))
    return row


def _update(session: Session, row: Escalation, **values) -> None:
    """Write the change only if nobody changed the status meanwhile (two people, one escalation)."""
    done = session.execute(sa.update(Escalation).where(Escalation.id == row.id, Escalation.status == row.status)
                           .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise EscalationConflict(N_("escalation %(id)s was changed by someone else meanwhile; reload and try again",
                                    id=row.id))
