"""The audit log: who viewed, exported or changed what. The caller commits."""
from __future__ import annotations

from typing import Optional

from sqlmodel import Session

from campaigns.records.models import AuditEntry, User


def record(session: Session, *, user: User, action: str, target: str = "", detail: Optional[str] = None) -> None:
    session.add(AuditEntry(user_name=user.name, action=action, target=target[:200],
                           detail=detail[:1000] if detail else None))
