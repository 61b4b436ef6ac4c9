"""Self-reports and help requests per community, over days of the office's calendar, as a page and
JSON: walk-in conversations (no outbound attempt: the web page, a text to the office's number) with
the people they screened, and the presses of the resident page's "I need help" button by category,
counted by records/self_reports.py. Counts only: any signed-in reader may see them."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import List
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from campaigns.console.deps import current_user, get_session
from campaigns.console.i18n import N_
from campaigns.console.rendering import render
from campaigns.console.time_filters import office_zone
from campaigns.records import counts, local_times, self_reports, summaries
from campaigns.records.escalations import HELP_CATEGORIES
from campaigns.records.models import User

router = APIRouter()
api = APIRouter(tags=["reports"])
DEFAULT_DAYS = 7  # blank dates: the week up to today
_FROM = Query("", alias="from", description="first day, YYYY-MM-DD (office's zone); blank: 6 days before `to`")
_TO = Query("", alias="to", description="last day, included, YYYY-MM-DD; blank: today in the office's zone")


class CommunityReportsOut(BaseModel):
    community: str = Field(description=f"{counts.NO_COMMUNITY!r} for households without one; "
                                       f"{summaries.TOTAL!r} for the sum")
    self_reports: int = Field(description="walk-in conversations: screenings with no outbound attempt")
    by_sms: int = Field(description="of those, by text message")
    on_the_web: int = Field(description="of those, on the web page or a chat")
    people_screened: int = Field(description="people with an answer recorded in them")
    abnormal: int
    urgent: int
    help_requests: int = Field(description="presses of the resident page's \"I need help\", every category")
    medicine: int
    food: int
    medical_care: int
    other: int


class SelfReportsOut(BaseModel):
    first_day: date
    last_day: date
    timezone: str = Field(description="the office's: the days are its calendar days")
    lines: List[CommunityReportsOut] = Field(description="per community by name, then the sum")


@router.get("/reports/self-reports")
def self_reports_page(request: Request, first: str = _FROM, last: str = _TO, user: User = Depends(current_user),
                      session: Session = Depends(get_session)):
    first_day, last_day, lines = _counted(request, session, first, last)
    return render(request, "report_self_reports.html", first_day=first_day, last_day=last_day, lines=lines,
                  total=summaries.TOTAL, categories=HELP_CATEGORIES)


@api.get("/reports/self-reports", response_model=SelfReportsOut,
         summary="Self-reports and help requests per community, over days")
def self_reports_api(request: Request, first: str = _FROM, last: str = _TO, user: User = Depends(current_user),
                     session: Session = Depends(get_session)):
    first_day, last_day, lines = _counted(request, session, first, last)
    return SelfReportsOut(first_day=first_day, last_day=last_day, timezone=office_zone(request).key,
                          lines=[CommunityReportsOut(**vars(line)) for line in lines])


def _counted(request: Request, session: Session, first: str, last: str):
    office = office_zone(request)
    last_day, first_day = _day(last, "to"), _day(first, "from")
    try:
        last_day = last_day or local_times.today(office)
        first_day = first_day or last_day - timedelta(days=DEFAULT_DAYS - 1)
        start, end = _midnight(first_day, office), _midnight(last_day + timedelta(days=1), office)
    except OverflowError:  # a day the calendar cannot end, or start, in this zone
        raise HTTPException(status_code=400, detail=N_("these days are too far from today; use dates between "
                                                       "0002-01-01 and 9999-12-30")) from None
    if first_day > last_day:
        raise HTTPException(status_code=400, detail=N_("'from' (%(first)s) is after 'to' (%(last)s)",
                                                       first=first_day.isoformat(), last=last_day.isoformat()))
    return first_day, last_day, self_reports.by_community(session, start=start, end=end)


def _day(text: str, name: str):
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise HTTPException(status_code=400, detail=N_("%(name)r must be a date like 2024-03-31, not %(text)r",
                                                   name=name, text=text[:40]))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc)
