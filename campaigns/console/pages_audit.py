"""The audit log, for supervisors: who viewed, exported or changed what, newest first,
filtered by user and action, a page at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from campaigns.console.rendering import render
from campaigns.console.deps import get_session, require
from campaigns.records.models import AuditEntry, Role, User

router = APIRouter()
api = APIRouter(tags=["audit"])
PER_PAGE = 100
MAX_PAGE = 1_000_000  # 100 million entries back; further would overflow the database's offset


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]  # newest first
    page: int
    has_next: bool


def audit_page(session: Session, *, user_name: Optional[str] = None, action: Optional[str] = None,
               page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """One page of the audit log, newest first; reads one row more than a page to know if another follows."""
    query = select(AuditEntry)
    if user_name:
        query = query.where(AuditEntry.user_name == user_name)
    if action:
        query = query.where(AuditEntry.action == action)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
    rows = list(session.exec(query).all())
    return AuditPage(rows[:per_page], page, len(rows) > per_page)


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    user_name: str
    action: str = Field(description="view | export | acknowledge | assign | resolve | login | ...")
    target: str = Field(description='what it was about, e.g. "household H-1"')
    detail: Optional[str]


class AuditPageOut(BaseModel):
    page: int
    per_page: int
    next_page: Optional[int] = Field(description="null on the last page")
    entries: List[AuditEntryOut] = Field(description="newest first")


@router.get("/audit")
def audit_log_page(request: Request, user: str = "", action: str = "", page: int = Query(1, ge=1, le=MAX_PAGE),
                   staff: User = Depends(require(Role.supervisor)), session: Session = Depends(get_session)):
    found = audit_page(session, user_name=user.strip() or None, action=action.strip() or None, page=page)
    filters = {key: value for key, value in (("user", user.strip()), ("action", action.strip())) if value}
    return render(request, "audit.html", found=found, filter_user=user.strip(), filter_action=action.strip(),
                  previous_url=_url(filters, page - 1) if page > 1 else None,
                  next_url=_url(filters, page + 1) if found.has_next else None)


@api.get("/audit", response_model=AuditPageOut, summary="The audit log, newest first (supervisors only)",
         responses={403: {"description": "not a supervisor"}})
def audit_log_api(user: Optional[str] = Query(None, description="only this user's entries"),
                  action: Optional[str] = Query(None, description="only this action"),
                  page: int = Query(1, ge=1, le=MAX_PAGE), staff: User = Depends(require(Role.supervisor)),
                  session: Session = Depends(get_session)):
    found = audit_page(session, user_name=user, action=action, page=page)
    return AuditPageOut(page=page, per_page=PER_PAGE, next_page=page + 1 if found.has_next else None,
                        entries=[AuditEntryOut(**entry.dict()) for entry in found.entries])


def _url(filters: dict[str, str], page: int) -> str:
    return "/audit?" + urlencode({**filters, "page": page})
