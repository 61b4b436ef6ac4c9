"""Reports: the daily summary (per community, one campaign day: households targeted, reached,
unreachable and opted out; people screened, abnormal, urgent; help requests) as a page, a CSV and
JSON, counted by records/counts.py as everything else is; and the escalation export, a CSV of the
queue's cases with the queue's filters, each person named.

The summary holds counts only, and any signed-in reader may see it. The export names residents and
their numbers: operators and supervisors only, and audited. The pages' CSV downloads start with a
byte-order mark, as every CSV file for people does (records/export.py); the API's do not.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Iterator, List, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from campaigns.console import audit, i18n, progress, queue
from campaigns.console.i18n import N_
from campaigns.console.deps import current_user, get_session, require
from campaigns.console.pages_lists import parse_day
from campaigns.console.rendering import render
from campaigns.console.time_filters import office_zone
from campaigns.records import case_lists, counts, export, local_times, summaries
from campaigns.records.models import Campaign, Role, User

router = APIRouter()
api = APIRouter(tags=["reports"])
CSV_TYPE = "text/csv; charset=utf-8"
BATCH_LINES = 500
_DAY = Query("", description="the campaign day, a local date YYYY-MM-DD; blank: today in the office's zone")
_CAMPAIGN = Query("", max_length=64, description="one campaign; blank: every campaign")


class DailyLineOut(BaseModel):
    community: str = Field(description=f"{counts.NO_COMMUNITY!r} for households without one; "
                                       f"{summaries.TOTAL!r} for the sum")
    households_targeted: int = Field(description="households with an attempt that day")
    reached: int = Field(description="households with whom a conversation took place")
    unreachable: int = Field(description="placed, never reached, nothing left to try: sent for a field visit")
    opted_out: int = Field(description="households that opted out in that day's conversations")
    people_screened: int = Field(description="people with an answer recorded, once per conversation")
    abnormal: int
    urgent: int
    help_requests: int = Field(description="households whose help-request case was last raised that day")


class DailySummaryOut(BaseModel):
    day: date
    campaign: Optional[str] = Field(description="null: every campaign")
    lines: List[DailyLineOut] = Field(description="per community by name, then the sum")


@router.get("/reports/daily")
def daily_page(request: Request, day: str = _DAY, campaign: str = _CAMPAIGN, user: User = Depends(current_user),
               session: Session = Depends(get_session)):
    summary = summaries.daily_summary(session, day=parse_day(day, request), campaign_id=_campaign(session, campaign))
    query = {"day": summary.day.isoformat(), **({"campaign": summary.campaign} if summary.campaign else {})}
    return render(request, "report_daily.html", summary=summary, campaigns=progress.campaign_ids(session),
                  query=query, total=summaries.TOTAL)


@router.get("/reports/daily.csv")
def daily_csv(request: Request, day: str = _DAY, campaign: str = _CAMPAIGN, user: User = Depends(current_user),
              session: Session = Depends(get_session)):
    summary = summaries.daily_summary(session, day=parse_day(day, request), campaign_id=_campaign(session, campaign))
    out = io.StringIO()
    out.write(export.BOM)
    writer = csv.writer(out)
    writer.writerow(summaries.HEADER)
    writer.writerows(summaries.csv_lines(summary))
    name = f"daily-{summary.day.isoformat()}{'-' + summary.campaign if summary.campaign else ''}.csv"
    return StreamingResponse(iter([out.getvalue()]), media_type=CSV_TYPE,
                             headers={"Content-Disposition": f'attachment; filename="{_safe(name)}"'})


@api.get("/reports/daily", response_model=DailySummaryOut, summary="The daily summary of one campaign day")
def daily_api(request: Request, day: str = _DAY, campaign: str = _CAMPAIGN, user: User = Depends(current_user),
              session: Session = Depends(get_session)):
    summary = summaries.daily_summary(session, day=parse_day(day, request), campaign_id=_campaign(session, campaign))
    return DailySummaryOut(day=summary.day, campaign=summary.campaign,
                           lines=[DailyLineOut(**vars(line)) for line in summary.lines])


@router.get("/escalations/export.csv")
def escalations_csv(request: Request, severity: str = "", kind: str = "", status: str = "", community: str = "",
                    user: User = Depends(require(Role.operator)), session: Session = Depends(get_session)):
    return _cases_csv(request, session, user, bom=True, severity=severity, kind=kind, status=status,
                      community=community)


@api.get("/escalations.csv", summary="The queue's cases as CSV, with its filters (operator or supervisor)",
         response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def escalations_csv_api(request: Request, severity: str = "", kind: str = "", status: str = "", community: str = "",
                        user: User = Depends(require(Role.operator)), session: Session = Depends(get_session)):
    return _cases_csv(request, session, user, bom=False, severity=severity, kind=kind, status=status,
                      community=community)


def _campaign(session: Session, text: str) -> Optional[str]:
    text = text.strip()
    if text and session.exec(select(Campaign.id).where(Campaign.id == text)).first() is None:
        raise HTTPException(status_code=404, detail=N_("no campaign named %(id)r", id=text[:64]))
    return text or None


def _cases_csv(request: Request, session: Session, user: User, *, bom: bool, **given: str) -> StreamingResponse:
    try:
        filters = queue.parse_filter(**given)
    except queue.QueueError as error:
        raise HTTPException(status_code=400, detail=i18n.message_of(error)) from None
    # Recorded before the first line leaves, so an interrupted export is in the log too.
    shown = " ".join(f"{key}={value}" for key, value in filters.query().items()) or "no filters"
    audit.record(session, user=user, action="export", target="escalations", detail=f"csv; {shown}")
    session.commit()
    office, engine = office_zone(request), request.app.state.engine
    name = f"escalations-{local_times.today(office).isoformat()}.csv"
    return StreamingResponse(_case_lines(engine, filters, office, bom), media_type=CSV_TYPE,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _case_lines(engine, filters: queue.QueueFilter, office, bom: bool) -> Iterator[str]:
    # Its own session: the stream outlives the request's.
    out = io.StringIO()
    if bom:
        out.write(export.BOM)
    writer = csv.writer(out)
    writer.writerow(case_lists.HEADER)
    with Session(engine) as session:
        found = case_lists.cases(session, severity=filters.severity, kind=filters.kind, status=filters.status,
                                 community=filters.community)
        for number, case in enumerate(found, 1):
            writer.writerow(case_lists.export_cells(case, office=office))
            if number % BATCH_LINES == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def _safe(name: str) -> str:
    """A file name a Content-Disposition header can carry: ASCII letters, digits, '-', '_' and '.'."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
