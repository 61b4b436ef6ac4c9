"""The lists a district office prints: field visits (households a campaign day did not reach) and
follow-ups (open abnormal and urgent cases), each a page laid out for A4 paper and a PDF.

Every reader may open the pages, phones masked for viewers; printing them, and the PDFs, are for
operators and supervisors. Each read is audited: the lists name residents and their numbers.
Pages stream: rows are rendered as the database yields them, in a session of their own.
"""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Iterator
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from campaigns.console import audit, i18n, list_documents, progress
from campaigns.console.deps import current_user, get_session, require
from campaigns.console.i18n import N_
from campaigns.console.printing import TooManyRows
from campaigns.console.rendering import TEMPLATES, page_context
from campaigns.console.time_filters import office_zone
from campaigns.records import case_lists, field_visits, local_times
from campaigns.records.household_search import communities
from campaigns.records.models import ROLE_RANK, Role, User, utcnow

router = APIRouter()
CHUNK_CHARS = 64 * 1024
PDF_TYPE = "application/pdf"
_DAY = Query("", description="a local date, YYYY-MM-DD; blank: today in the office's zone")
_COMMUNITY = Query("", max_length=200, description="one community, exactly; blank: every community")
_CAMPAIGN = Query("", max_length=64, description="one campaign; blank: every campaign")


@router.get("/lists/field-visits")
def field_visit_page(request: Request, day: str = _DAY, campaign: str = _CAMPAIGN, community: str = _COMMUNITY,
                     user: User = Depends(current_user), session: Session = Depends(get_session)):
    chosen, where = parse_day(day, request), _scope(campaign, community)
    _audit(session, user, "field visits", {"day": chosen.isoformat(), **where})
    query = urlencode({"day": chosen.isoformat(), **where})

    def rows(list_session: Session) -> Iterator:
        return field_visits.field_visits(list_session, day=chosen, campaign_id=where.get("campaign"),
                                         community=where.get("community"))

    tr = i18n.for_request(request)
    return _stream(request, user, "lists_field_visits.html", rows, day=chosen, filters=where, query=query,
                   attempts=lambda visit: list_documents.attempt_words(visit, office_zone(request), tr),
                   communities=communities(session),
                   campaigns=progress.campaign_ids(session))


@router.get("/lists/field-visits.pdf")
def field_visit_pdf(request: Request, day: str = _DAY, campaign: str = _CAMPAIGN, community: str = _COMMUNITY,
                    user: User = Depends(require(Role.operator)), session: Session = Depends(get_session)):
    chosen, where = parse_day(day, request), _scope(campaign, community)
    _audit(session, user, "field visits", {"day": chosen.isoformat(), **where}, action="export")
    return _pdf(f"field-visits-{chosen.isoformat()}.pdf", lambda: list_documents.field_visit_pdf(
        session, day=chosen, campaign_id=where.get("campaign"), community=where.get("community"),
        office=office_zone(request), mask=False, now=utcnow(), translations=i18n.for_request(request)))


@router.get("/lists/follow-ups")
def follow_up_page(request: Request, community: str = _COMMUNITY, user: User = Depends(current_user),
                   session: Session = Depends(get_session)):
    where = _scope("", community)
    _audit(session, user, "follow-ups", where)

    def rows(list_session: Session) -> Iterator:
        return case_lists.follow_ups(list_session, community=where.get("community"))

    return _stream(request, user, "lists_follow_ups.html", rows, filters=where, query=urlencode(where),
                   communities=communities(session))


@router.get("/lists/follow-ups.pdf")
def follow_up_pdf(request: Request, community: str = _COMMUNITY, user: User = Depends(require(Role.operator)),
                  session: Session = Depends(get_session)):
    where = _scope("", community)
    _audit(session, user, "follow-ups", where, action="export")
    return _pdf(f"follow-ups-{local_times.today(office_zone(request)).isoformat()}.pdf",
                lambda: list_documents.follow_up_pdf(session, community=where.get("community"),
                                                     office=office_zone(request), mask=False, now=utcnow(),
                                                     translations=i18n.for_request(request)))


def parse_day(text: str, request: Request) -> date:
    """A local date from the query; blank is the office's today; anything else is a 400."""
    text = text.strip()
    if not text:
        return local_times.today(office_zone(request))
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise HTTPException(status_code=400, detail=N_("day %(text)r is not a date: use YYYY-MM-DD", text=text[:40]))


def _scope(campaign: str, community: str) -> dict[str, str]:
    return {key: value.strip() for key, value in (("campaign", campaign), ("community", community)) if value.strip()}


def _audit(session: Session, user: User, target: str, shown: dict, *, action: str = "view") -> None:
    # Recorded before a row is read: an interrupted list is in the log too. A PDF is an export.
    detail = urlencode(shown) + ("; pdf" if action == "export" else "")
    audit.record(session, user=user, action=action, target=target, detail=detail or None)
    session.commit()
    session.refresh(user)  # loaded again now: an error page after this names the user


def _pdf(filename: str, make) -> Response:
    try:
        body = make()
    except TooManyRows as error:
        raise HTTPException(status_code=400, detail=i18n.message_of(error)) from None
    return Response(body, media_type=PDF_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _stream(request: Request, user: User, template: str, rows, **context) -> StreamingResponse:
    """The page, rendered while its rows are read (in a session of the stream's own)."""
    masked = ROLE_RANK.get(user.role, 0) < ROLE_RANK[Role.operator.value]
    # The page outlives the request's session: the header needs only the user's name and role.
    reader = SimpleNamespace(name=user.name, role=user.role)
    context = page_context(request, user=reader, flash=None, masked=masked, can_print=not masked,
                           phone=lambda number: list_documents.phone_of(number, masked),
                           printed=local_times.stamped(utcnow(), office_zone(request)), **context)
    engine = request.app.state.engine

    def chunks() -> Iterator[str]:
        with Session(engine) as list_session:
            buffer, size = [], 0
            for piece in TEMPLATES.get_template(template).generate(items=rows(list_session), **context):
                buffer.append(piece)
                size += len(piece)
                if size >= CHUNK_CHARS:
                    yield "".join(buffer)
                    buffer, size = [], 0
            yield "".join(buffer)

    return StreamingResponse(chunks(), media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})
