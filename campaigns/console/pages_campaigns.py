"""The campaigns page (the landing page after sign-in) and its JSON API: each campaign's
progress per round, screenings over time and the abnormal rate per community."""
from __future__ import annotations

from datetime import date, datetime
from typing import List, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from campaigns.console import charts, i18n, progress, words
from campaigns.console.i18n import N_
from campaigns.console.rendering import render
from campaigns.console.deps import current_user, get_session
from campaigns.records import local_times
from campaigns.records.models import CampaignStatus, User

router = APIRouter()
api = APIRouter(tags=["campaigns"])
MAX_COMMUNITIES = 30  # the chart shows the highest rates; the table below it has them all


class RoundOut(BaseModel):
    day: date = Field(description="the households' local date of the round")
    round_no: int = Field(description="1 = the first round of the day")
    households: int = Field(description="households planned for the round")
    due: int = Field(description="households with an attempt still waiting")
    dialling: int = Field(description="households being contacted right now")
    reached: int = Field(description="households with whom a conversation took place")
    abnormal: int = Field(description="people judged abnormal in the round's conversations")
    unreachable: int = Field(description="households every attempt of the round failed to reach")
    finished: bool = Field(description="nothing is due or being dialled any more")
    eta_seconds: Optional[int] = Field(description="time to place what is still due at the campaign's pacing; "
                                                   "null when nothing is due")


class CampaignOut(BaseModel):
    id: str
    status: CampaignStatus
    source: str = Field(description="the campaign file it was started from")
    created_at: datetime = Field(description="when it was first started (UTC)")
    calls_per_second: Optional[float] = Field(description="pacing; null if the stored file cannot be read")
    rounds: List[RoundOut]


@router.get("/campaigns")
def campaigns_page(request: Request, campaign: Optional[str] = None, user: User = Depends(current_user),
                   session: Session = Depends(get_session)):
    campaign = campaign or None
    found = _campaigns(session, campaign)
    office = request.app.state.settings.office_timezone
    timeline = progress.screening_timeline(session, campaign_id=campaign, office=local_times.zone(office))
    rates = progress.abnormal_by_community(session, campaign_id=campaign)
    shown = rates[:MAX_COMMUNITIES]
    tr = i18n.for_request(request)
    per = tr.gettext("Screenings per hour (%(zone)s)") if timeline.unit == "hour" else \
        tr.gettext("Screenings per day (%(zone)s)")
    return render(
        request, "campaigns.html", campaigns=found, selected=campaign, names=progress.campaign_ids(session),
        timeline=timeline, rates=rates,
        timeline_chart=charts.bar_chart(timeline.points, title=per % {"zone": office}, translations=tr),
        rate_chart=charts.rate_chart([(words.community(tr, r.community), r.abnormal, r.screened) for r in shown],
                                     title=tr.gettext("Abnormal share of people screened, per community"),
                                     translations=tr),
        communities_hidden=len(rates) - len(shown))


@api.get("/campaigns", response_model=List[CampaignOut], summary="Campaigns with their progress per round")
def campaigns_api(campaign: Optional[str] = Query(None, description="only this campaign"),
                  user: User = Depends(current_user), session: Session = Depends(get_session)):
    return [_campaign_out(item) for item in _campaigns(session, campaign or None)]


def _campaigns(session: Session, campaign_id: Optional[str]) -> list[progress.CampaignProgress]:
    found = progress.campaigns_progress(session, campaign_id=campaign_id)
    if campaign_id is not None and not found:
        raise HTTPException(status_code=404, detail=N_("no campaign named %(id)r", id=campaign_id))
    return found


def _campaign_out(item: progress.CampaignProgress) -> CampaignOut:
    rounds = [RoundOut(day=line.progress.day, round_no=line.progress.round_no, households=line.progress.households,
                       due=line.progress.due, dialling=line.progress.dialling, reached=line.progress.reached,
                       abnormal=line.progress.abnormal, unreachable=line.progress.unreachable,
                       finished=line.finished, eta_seconds=int(line.eta.total_seconds()) if line.eta else None)
              for line in item.rounds]
    return CampaignOut(id=item.campaign.id, status=item.campaign.status, source=item.campaign.source,
                       created_at=item.campaign.created_at, calls_per_second=item.calls_per_second, rounds=rounds)
