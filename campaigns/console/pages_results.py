"""The results table (one row per person screened), its CSV and Excel exports, and its JSON API.

Exports stream chunk by chunk from the database: CSV, and XLSX as a zip streamed while it is written.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterator, Optional
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from campaigns.console import audit, exports, i18n
from campaigns.console.i18n import N_
from campaigns.console.rendering import render
from campaigns.console.deps import current_user, get_session, require
from campaigns.records import self_reports
from campaigns.records.models import ROLE_RANK, Channel, Outcome, Role, User, utcnow

router = APIRouter()
api = APIRouter(tags=["results"])

PAGE_ROWS = 100
MAX_API_ROWS = 1000
MAX_ID = 2 ** 63 - 1  # a cursor's id beyond the database's integers is a broken link, not a query
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ResultRow(BaseModel):
    id: int
    finished_at: datetime
    campaign_id: Optional[str]
    household_id: str
    community: Optional[str]
    person_index: int = Field(..., description="0 = the household contact")
    person_name: Optional[str]
    channel: str
    temperature_c: Optional[float]
    temperature_said: Optional[str] = Field(None, description="the resident's own words")
    symptoms: Optional[str] = Field(None, description="';'-joined codes; empty = none; null = not answered")
    red_flags: Optional[str] = Field(None, description="';'-joined codes; empty = none; null = not answered")
    abnormal: bool
    urgent: bool
    outcome: str
    reason: Optional[str]
    source: Optional[str] = Field(None, description="where it came from: call | sms | link | walk_in "
                                                    "(a self-report: no outbound attempt); null: unknown")


class ResultPage(BaseModel):
    items: list[ResultRow]
    next_cursor: Optional[str] = Field(None, description="pass as `before` to get the next (older) page")


def result_filters(
    request: Request,
    campaign: Optional[str] = Query(None, description="campaign id"),
    community: Optional[str] = Query(None, description="household community, exactly"),
    date_from: Optional[str] = Query(None, alias="from", description="first day (YYYY-MM-DD, office time zone)"),
    date_to: Optional[str] = Query(None, alias="to", description="last day, included (YYYY-MM-DD)"),
    abnormal: Optional[str] = Query(None, description="1: abnormal people only"),
    urgent: Optional[str] = Query(None, description="1: urgent (red flag) people only"),
    outcome: Optional[str] = Query(None, description=" | ".join(o.value for o in Outcome)),
    channel: Optional[str] = Query(None, description=" | ".join(c.value for c in Channel)),
    source: Optional[str] = Query(None, description=" | ".join(self_reports.SOURCES)),
) -> exports.ResultFilters:
    params = {"campaign": campaign, "community": community, "from": date_from, "to": date_to,
              "abnormal": abnormal, "urgent": urgent, "outcome": outcome, "channel": channel, "source": source}
    try:
        filters = exports.parse_filters(params, zone=request.app.state.settings.office_timezone)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=i18n.message_of(error)) from None
    _check_calendar(filters)
    return filters


def _check_calendar(filters: exports.ResultFilters) -> None:
    """The filters' days as UTC instants must exist: 9999-12-31 has no next day to end at, and
    0001-01-01 east of UTC starts the day before the calendar does."""
    for name, instant in (("from", lambda: filters.start), ("to", lambda: filters.end)):
        try:
            instant()
        except OverflowError:
            raise HTTPException(status_code=400, detail=N_("%(name)r is too far from today; use a date between "
                                                           "0002-01-01 and 9999-12-30", name=name)) from None


@router.get("/results")
def results_page(request: Request, user: User = Depends(current_user),
                 filters: exports.ResultFilters = Depends(result_filters), before: Optional[str] = None,
                 after: Optional[str] = None, session: Session = Depends(get_session)):
    page = _page(session, filters, PAGE_ROWS, before=before, after=after)
    choices = exports.list_choices(session)
    audit.record(session, user=user, action="view", target="results", detail=filters.describe())
    session.commit()
    zone = ZoneInfo(filters.zone)
    rows = [dict(row._mapping, finished_local=f"{row.finished_at.astimezone(zone):%Y-%m-%d %H:%M}")
            for row in page.rows]
    query = filters.params()
    return render(request, "results.html", rows=rows, filters=filters, choices=choices,
                  outcomes=[o.value for o in Outcome], channels=[c.value for c in Channel],
                  sources=self_reports.SOURCES,
                  query=urlencode(query), can_export=ROLE_RANK.get(user.role, 0) >= ROLE_RANK[Role.operator.value],
                  newer=_link(query, after=page.newer), older=_link(query, before=page.older))


@router.get("/results/export.csv")
def export_csv(request: Request, user: User = Depends(require(Role.operator)),
               filters: exports.ResultFilters = Depends(result_filters), session: Session = Depends(get_session)):
    return _csv_response(request, session, user, filters, bom=True)  # for people: Excel reads the mark


@router.get("/results/export.xlsx")
def export_xlsx(request: Request, user: User = Depends(require(Role.operator)),
                filters: exports.ResultFilters = Depends(result_filters), session: Session = Depends(get_session)):
    # Streamed as it is written (records/xlsx.py): recorded before the first byte leaves, as a CSV is.
    audit.record(session, user=user, action="export", target="results", detail=f"xlsx; {filters.describe()}")
    session.commit()
    return StreamingResponse(_xlsx_chunks(request.app.state.engine, filters), media_type=XLSX_TYPE,
                             headers={"Content-Disposition": _attachment("xlsx")})


@api.get("/results", response_model=ResultPage, summary="Screenings, newest first")
def api_results(user: User = Depends(current_user), filters: exports.ResultFilters = Depends(result_filters),
                limit: int = Query(100, ge=1, le=MAX_API_ROWS),
                before: Optional[str] = Query(None, description="`next_cursor` of the previous page"),
                session: Session = Depends(get_session)):
    page = _page(session, filters, limit, before=before)
    audit.record(session, user=user, action="view", target="results", detail=f"api; {filters.describe()}")
    session.commit()
    return ResultPage(items=[ResultRow(**row._mapping) for row in page.rows], next_cursor=page.older)


@api.get("/results.csv", summary="All matching screenings as CSV (operator or supervisor)",
         response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def api_results_csv(request: Request, user: User = Depends(require(Role.operator)),
                    filters: exports.ResultFilters = Depends(result_filters),
                    session: Session = Depends(get_session)):
    return _csv_response(request, session, user, filters, bom=False)  # for scripts: plain UTF-8


def _page(session: Session, filters, limit: int, *, before=None, after=None) -> exports.ResultPage:
    try:
        for cursor in (before, after):
            if cursor and not 0 <= exports.decode_cursor(cursor)[1] <= MAX_ID:
                raise ValueError(N_("this page link is broken; start again from the first page"))
        return exports.list_results(session, filters=filters, limit=limit, before=before, after=after)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=i18n.message_of(error)) from None


def _csv_response(request: Request, session: Session, user: User, filters, *, bom: bool) -> StreamingResponse:
    # Recorded before the first byte leaves, so an interrupted export is in the log too.
    audit.record(session, user=user, action="export", target="results", detail=f"csv; {filters.describe()}")
    session.commit()
    return StreamingResponse(_csv_chunks(request.app.state.engine, filters, bom), media_type=CSV_TYPE,
                             headers={"Content-Disposition": _attachment("csv")})


def _csv_chunks(engine, filters, bom: bool) -> Iterator[bytes]:
    # Its own session: the stream outlives the request's.
    with Session(engine) as session:
        yield from exports.stream_csv(session, filters=filters, bom=bom)


def _xlsx_chunks(engine, filters) -> Iterator[bytes]:
    with Session(engine) as session:  # its own session, as for a CSV
        yield from exports.stream_xlsx(session, filters=filters, modified=utcnow())


def _attachment(extension: str) -> str:
    return f'attachment; filename="{exports.export_filename(extension, utcnow())}"'


def _link(query: dict, **cursor: Optional[str]) -> Optional[str]:
    name, value = next(iter(cursor.items()))
    return f"/results?{urlencode({**query, name: value})}" if value else None
