"""The escalation queue: a page that refreshes its rows every few seconds, forms to acknowledge,
assign and resolve, and the same as a JSON API. Viewers read (phone numbers masked); operators
and supervisors act. The data and the rules live in `campaigns.console.queue`."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from campaigns.console import audit, i18n, queue
from campaigns.console.i18n import N_
from campaigns.console.rendering import TEMPLATES, flash, page_context, render
from campaigns.console.deps import check_csrf, current_user, get_session, require
from campaigns.console.queue import QueueError, QueueFilter, StatusFilter
from campaigns.records.models import ROLE_RANK, EscalationKind, Role, Severity, User, utcnow

router = APIRouter()
api = APIRouter(tags=["escalations"])
POLL_SECONDS = 5
MAX_OFFSET = 10_000_000  # further than any queue goes; a larger offset would overflow the database's integers
MAX_ID = 2 ** 63 - 1  # the largest id a database keeps


# ---- pages ----------------------------------------------------------------------------------------

@router.get("/escalations")
def queue_page(request: Request, severity: str = "", kind: str = "", status: str = "", community: str = "",
               offset: str = "", user: User = Depends(current_user), session: Session = Depends(get_session)):
    filters = _page_filter(severity=severity, kind=kind, status=status, community=community)
    # The page shows names and phone numbers: every view is audited.
    audit.record(session, user=user, action="view", target="escalations", detail=_viewed(filters, _offset(offset)))
    session.commit()
    return _show(request, session, user, filters, _offset(offset))


@router.get("/escalations/rows")
def queue_rows(request: Request, severity: str = "", kind: str = "", status: str = "", community: str = "",
               offset: str = "", user: User = Depends(current_user), session: Session = Depends(get_session)):
    """The table body alone, for the page's refresh; rendered by the same partial as the page."""
    filters = _page_filter(severity=severity, kind=kind, status=status, community=community)
    # Audited too, but an open page's refreshes (the same view within a while) make no new entries.
    audit.record_view_once(session, user=user, target="escalations", detail=_viewed(filters, _offset(offset)),
                           now=utcnow())
    session.commit()
    context = page_context(request, user=user, **_context(session, user, filters, _offset(offset)))
    return TEMPLATES.TemplateResponse("escalations_rows.html", context, headers={"Cache-Control": "no-store"})


def _form_filter(severity: str = Form(""), kind: str = Form(""), status: str = Form(""),
                 community: str = Form(""), offset: str = Form("")) -> dict:
    """The queue's filters, carried by each form so the page comes back as it was."""
    try:
        filters = queue.parse_filter(severity=severity, kind=kind, status=status, community=community)
    except QueueError:
        filters = QueueFilter()
    return {"filters": filters, "offset": _offset(offset)}


@router.post("/escalations/{escalation_id}/acknowledge", dependencies=[Depends(check_csrf)])
def acknowledge_form(request: Request, escalation_id: int = Path(..., ge=1, le=MAX_ID),
                     back: dict = Depends(_form_filter),
                     user: User = Depends(require(Role.operator)), session: Session = Depends(get_session)):
    return _act(request, session, user, back, escalation_id, "acknowledge",
                lambda: queue.acknowledge(session, escalation_id=escalation_id, user=user, now=utcnow()),
                done=N_("Escalation %(id)s acknowledged.", id=escalation_id))


@router.post("/escalations/{escalation_id}/assign", dependencies=[Depends(check_csrf)])
def assign_form(request: Request, escalation_id: int = Path(..., ge=1, le=MAX_ID), assignee: str = Form(""),
                back: dict = Depends(_form_filter),
                user: User = Depends(require(Role.operator)), session: Session = Depends(get_session)):
    return _act(request, session, user, back, escalation_id, "assign",
                lambda: queue.assign(session, escalation_id=escalation_id, user=user, assignee=assignee,
                                     now=utcnow()),
                done=N_("Escalation %(id)s assigned to %(name)s.", id=escalation_id, name=assignee.strip()))


@router.post("/escalations/{escalation_id}/resolve", dependencies=[Depends(check_csrf)])
def resolve_form(request: Request, escalation_id: int = Path(..., ge=1, le=MAX_ID), note: str = Form(""),
                 back: dict = Depends(_form_filter),
                 user: User = Depends(require(Role.operator)), session: Session = Depends(get_session)):
    return _act(request, session, user, back, escalation_id, "resolve",
                lambda: queue.resolve(session, escalation_id=escalation_id, user=user, note=note, now=utcnow()),
                done=N_("Escalation %(id)s resolved.", id=escalation_id), note=note)


def _act(request: Request, session: Session, user: User, back: dict, escalation_id: int, action: str, change,
         done: str, note: str = ""):
    """Make the change and go back to the queue as it was; or show the queue again with the error."""
    try:
        change()
    except QueueError as error:
        session.rollback()
        return _show(request, session, user, back["filters"], back["offset"], status_code=error.status_code,
                     error=i18n.message_of(error), error_id=escalation_id, error_action=action, note=note)
    session.commit()
    flash(request, done)
    query = {**back["filters"].query(), **({"offset": back["offset"]} if back["offset"] else {})}
    return RedirectResponse("/escalations" + ("?" + urlencode(query) if query else ""), status_code=303)


def _show(request: Request, session: Session, user: User, filters: QueueFilter, offset: int,
          status_code: int = 200, **extra):
    context = _context(session, user, filters, offset)
    return render(request, "escalations.html", status_code=status_code, poll_seconds=POLL_SECONDS,
                  severities=queue.SEVERITIES, kinds=queue.KINDS, statuses=[s.value for s in StatusFilter],
                  **context, **extra)


def _context(session: Session, user: User, filters: QueueFilter, offset: int) -> dict:
    can_act = _can_act(user)
    page = queue.list_queue(session, filters=filters, now=utcnow(), mask_phones=not can_act, offset=offset)
    query = filters.query()
    return {"page": page, "filters": filters, "can_act": can_act, "query": urlencode(query),
            "query_with_offset": urlencode({**query, **({"offset": offset} if offset else {})}),
            "assignees": queue.active_user_names(session) if can_act else []}


def _page_filter(**given: str) -> QueueFilter:
    try:
        return queue.parse_filter(**given)
    except QueueError as error:
        raise HTTPException(status_code=400, detail=i18n.message_of(error)) from None


def _offset(text: str) -> int:
    """The page's own links set it; anything else (a sign, '²', a thousand digits) is the first page."""
    text = text.strip()
    return min(int(text), MAX_OFFSET) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


def _viewed(filters: QueueFilter, offset: int) -> Optional[str]:
    """What a view of the queue showed, for the audit log."""
    return urlencode({**filters.query(), **({"offset": offset} if offset else {})}) or None


def _can_act(user: User) -> bool:
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[Role.operator.value]


# ---- JSON API -------------------------------------------------------------------------------------

class QueueItemOut(BaseModel):
    id: int
    kind: EscalationKind
    severity: Severity
    status: str = Field(..., description="open, acknowledged or resolved")
    household_id: str
    community: Optional[str]
    contact_name: Optional[str]
    phone: Optional[str] = Field(None, description="E.164; masked for viewers")
    detail: str
    created_at: datetime
    age_seconds: int = Field(..., description="seconds since the escalation was raised")
    assigned_to: Optional[str]
    resolution_note: Optional[str]
    acknowledged_at: Optional[datetime]
    resolved_at: Optional[datetime]


class QueuePageOut(BaseModel):
    items: List[QueueItemOut]
    total: int = Field(..., description="every escalation matching the filters")
    limit: int
    offset: int


class AssignEscalationIn(BaseModel):
    user: str = Field(..., description="the name of an active console user", example="operator")


class ResolveEscalationIn(BaseModel):
    note: str = Field(..., description=f"what was done; required, at most {queue.NOTE_MAX} characters",
                      example="Visited; referred to the clinic.")


class QueueErrorOut(BaseModel):
    detail: str


_ERRORS = {code: {"model": QueueErrorOut, "description": text} for code, text in (
    (400, "the request cannot be carried out (the detail says why)"), (403, "needs the operator role, or CSRF"),
    (404, "no such escalation"), (409, "the escalation is already resolved or was changed meanwhile"))}


@api.get("/escalations", response_model=QueuePageOut, summary="The escalation queue, urgent first, then oldest")
def list_api(severity: Optional[Severity] = None, kind: Optional[EscalationKind] = None,
             status: StatusFilter = StatusFilter.active, community: Optional[str] = None,
             limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET),
             user: User = Depends(current_user), session: Session = Depends(get_session)):
    filters = QueueFilter(severity=severity.value if severity else None, kind=kind.value if kind else None,
                          status=status.value, community=community or None)
    # Names and phone numbers, as on the page: every read is audited.
    shown = " ".join(f"{key}={value}" for key, value in {**filters.query(), "limit": limit, "offset": offset}.items())
    audit.record(session, user=user, action="view", target="escalations", detail=f"api; {shown}")
    session.commit()
    page = queue.list_queue(session, filters=filters, now=utcnow(), mask_phones=not _can_act(user),
                            limit=limit, offset=offset)
    return QueuePageOut(items=[QueueItemOut(**vars(item)) for item in page.items], total=page.total,
                          limit=limit, offset=offset)


@api.post("/escalations/{escalation_id}/acknowledge", response_model=QueueItemOut, responses=_ERRORS,
          dependencies=[Depends(check_csrf)], summary="Take an open escalation")
def acknowledge_api(escalation_id: int = Path(..., ge=1, le=MAX_ID), user: User = Depends(require(Role.operator)),
                    session: Session = Depends(get_session)):
    return _api_change(session, escalation_id,
                       lambda: queue.acknowledge(session, escalation_id=escalation_id, user=user, now=utcnow()))


@api.post("/escalations/{escalation_id}/assign", response_model=QueueItemOut, responses=_ERRORS,
          dependencies=[Depends(check_csrf)], summary="Give an escalation to a user")
def assign_api(escalation_id: int = Path(..., ge=1, le=MAX_ID), body: AssignEscalationIn = Body(...),
               user: User = Depends(require(Role.operator)),
               session: Session = Depends(get_session)):
    return _api_change(session, escalation_id,
                       lambda: queue.assign(session, escalation_id=escalation_id, user=user, assignee=body.user,
                                            now=utcnow()))


@api.post("/escalations/{escalation_id}/resolve", response_model=QueueItemOut, responses=_ERRORS,
          dependencies=[Depends(check_csrf)], summary="Close an escalation with an outcome note")
def resolve_api(escalation_id: int = Path(..., ge=1, le=MAX_ID), body: ResolveEscalationIn = Body(...),
                user: User = Depends(require(Role.operator)),
                session: Session = Depends(get_session)):
    return _api_change(session, escalation_id,
                       lambda: queue.resolve(session, escalation_id=escalation_id, user=user, note=body.note,
                                             now=utcnow()))


def _api_change(session: Session, escalation_id: int, change) -> QueueItemOut:
    try:
        change()
    except QueueError as error:
        session.rollback()
        raise HTTPException(status_code=error.status_code, detail=str(error)) from None
    session.commit()
    item = queue.find_item(session, escalation_id=escalation_id, now=utcnow(), mask_phones=False)
    return QueueItemOut(**vars(item))
