"""The audit log: who viewed, exported or changed what. The caller commits."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlmodel import Session, select

from campaigns.records.models import AuditEntry, User

COMMAND_LINE = "(command line)"  # who made a change with `screening users`; no user name has brackets
SAME_VIEW = timedelta(minutes=15)  # a view repeated within this long (a page refreshing itself) is one entry


def record(session: Session, *, user: User, action: str, target: str = "", detail: Optional[str] = None) -> None:
    record_as(session, name=user.name, action=action, target=target, detail=detail)


def record_as(session: Session, *, name: str, action: str, target: str = "", detail: Optional[str] = None) -> None:
    session.add(AuditEntry(user_name=name[:64], action=action, target=target[:200],
                           detail=detail[:1000] if detail else None))


def record_view_once(session: Session, *, user: User, target: str, detail: Optional[str], now: datetime) -> None:
    """A view, unless the user had the same view (target and detail) within SAME_VIEW: the
    queue's rows refresh every few seconds, and each refresh would otherwise be an entry."""
    detail = detail[:1000] if detail else None
    query = select(AuditEntry.id).where(
        AuditEntry.user_name == user.name, AuditEntry.action == "view", AuditEntry.target == target[:200],
        AuditEntry.detail.is_(None) if detail is None else AuditEntry.detail == detail,
        AuditEntry.at >= now - SAME_VIEW)
    if session.exec(query.limit(1)).first() is None:
        record(session, user=user, action="view", target=target, detail=detail)
