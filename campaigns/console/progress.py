"""What the campaigns page shows: each campaign's progress per round, screenings over time
and the abnormal rate per community. Every count is aggregated by the database (GROUP BY);
no screening or attempt row is loaded. Keyword-only data functions taking the session."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.records import counts, progress
from campaigns.outreach.campaign_file import CampaignFileError, spec_from_json
from campaigns.records.models import Campaign, Household, Screening

SHORT_RANGE = timedelta(hours=48)  # screenings spanning no more than this are counted per hour
MAX_DAYS = 60  # the day chart shows at most the last 60 days
DAY_LABEL, HOUR_LABEL = "%Y-%m-%d", "%Y-%m-%d %H:00"
NO_COMMUNITY = counts.NO_COMMUNITY
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class RoundLine:
    """One round's progress, with how long what is still due will take to place."""

    progress: progress.RoundProgress
    eta: Optional[timedelta]

    @property
    def finished(self) -> bool:
        return self.progress.due == 0 and self.progress.dialling == 0


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    calls_per_second: Optional[float]  # None when the stored file can no longer be read
    rounds: list[RoundLine]


@dataclass(frozen=True)
class Timeline:
    unit: str  # "hour" or "day", of the office's zone
    points: list[tuple[str, int]]  # (bucket label, screenings), every bucket of the range, in order


@dataclass(frozen=True)
class CommunityRate:
    community: str
    screened: int  # people with at least one answer recorded
    abnormal: int  # of those, people judged abnormal

    @property
    def rate(self) -> float:
        return self.abnormal / self.screened if self.screened else 0.0


def campaigns_progress(session: Session, *, campaign_id: Optional[str] = None) -> list[CampaignProgress]:
    """Every campaign (or the one named), by name, with its rounds in order."""
    query = select(Campaign).order_by(Campaign.id)
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    return [_progress(session, campaign) for campaign in session.exec(query).all()]


def campaign_ids(session: Session) -> list[str]:
    return list(session.exec(select(Campaign.id).order_by(Campaign.id)).all())


def _progress(session: Session, campaign: Campaign) -> CampaignProgress:
    try:
        cps: Optional[float] = spec_from_json(campaign.spec_json).pacing.calls_per_second
    except CampaignFileError:
        cps = None
    rounds = [RoundLine(r, r.eta(cps) if cps else None)
              for r in progress.round_progress(session, campaign_id=campaign.id)]
    return CampaignProgress(campaign, cps, rounds)


def screening_timeline(session: Session, *, campaign_id: Optional[str] = None, office: ZoneInfo = UTC) -> Timeline:
    """Screenings (one per person) counted per hour of the office's zone when they span at most
    SHORT_RANGE, else per day over at most the last MAX_DAYS days; empty buckets count zero.

    The database counts per UTC hour (at most 24 * MAX_DAYS groups); the hours are then added up
    into the office's hours or days. In a zone whose offset is not whole hours, a UTC hour counts in
    the office hour it starts in."""
    column = Screening.__table__.c.finished_at
    first, last = session.execute(
        _for_campaign(sa.select(sa.func.min(column), sa.func.max(column)), campaign_id)).one()
    if first is None:
        return Timeline("day", [])
    first, last = first.astimezone(office), last.astimezone(office)
    hourly = last - first <= SHORT_RANGE
    start = _floor(first, hourly)
    if not hourly:
        start = max(start, _floor(last, False) - timedelta(days=MAX_DAYS - 1))
    bucket = _utc_hour(session, column).label("bucket")
    query = _for_campaign(sa.select(bucket, sa.func.count()).where(column >= start), campaign_id).group_by(bucket)
    per_bucket: Counter = Counter()
    for label, count in session.execute(query):
        at = datetime.strptime(label, HOUR_LABEL).replace(tzinfo=timezone.utc).astimezone(office)
        per_bucket[at.strftime(HOUR_LABEL if hourly else DAY_LABEL)] += count
    return Timeline("hour" if hourly else "day", fill_buckets(per_bucket, start=start, end=last, hourly=hourly))


def fill_buckets(counts: dict[str, int], *, start: datetime, end: datetime, hourly: bool) -> list[tuple[str, int]]:
    """Every hour (or day) from `start` to `end` in `start`'s zone, with its count, zero where `counts` has none."""
    zone = start.tzinfo
    labels = []
    if hourly:  # stepped in UTC: a local hour that a DST change skips is skipped, one it repeats is named once
        at = _floor(start, True).astimezone(timezone.utc)
        while at <= end:
            labels.append(at.astimezone(zone).strftime(HOUR_LABEL))
            at += timedelta(hours=1)
    else:
        day, last = start.date(), end.astimezone(zone).date()
        while day <= last:
            labels.append(day.strftime(DAY_LABEL))
            day += timedelta(days=1)
    return [(label, int(counts.get(label, 0))) for label in dict.fromkeys(labels)]


def abnormal_by_community(session: Session, *, campaign_id: Optional[str] = None) -> list[CommunityRate]:
    """People screened and people abnormal per community, highest abnormal rate first."""
    h, s = Household.__table__.c, Screening.__table__.c
    screened_count = sa.func.sum(sa.case((counts.SCREENED, 1), else_=0))  # the one rule of records/counts.py
    abnormal_count = sa.func.sum(sa.case((s.abnormal.is_(True), 1), else_=0))  # abnormal counts as screened
    query = _for_campaign(
        sa.select(h.community, screened_count, abnormal_count)
        .select_from(Screening.__table__.join(Household.__table__, h.id == s.household_id)), campaign_id)
    query = query.group_by(h.community).having(screened_count > 0)
    rates = [CommunityRate(community or NO_COMMUNITY, int(total), int(abnormal or 0))
             for community, total, abnormal in session.execute(query)]
    return sorted(rates, key=lambda r: (-r.rate, -r.screened, r.community))


def _for_campaign(query, campaign_id: Optional[str]):
    return query if campaign_id is None else query.where(Screening.__table__.c.campaign_id == campaign_id)


def _utc_hour(session: Session, column):
    """The UTC hour of a timestamp, labelled as HOUR_LABEL."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD HH24:00")
    # SQLite keeps UTC timestamps as ISO text.
    return sa.func.strftime(HOUR_LABEL, column)


def _floor(moment: datetime, hourly: bool) -> datetime:
    """The start of the moment's hour or day, in its own zone."""
    return moment.replace(minute=0, second=0, microsecond=0) if hourly else \
        moment.replace(hour=0, minute=0, second=0, microsecond=0)
