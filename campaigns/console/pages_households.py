"""Households: the search (by id, phone, name or community, each with its last screening and open
cases) and one household's page, with their JSON API: the roster, opt-outs, every screening,
escalations and the attempt log with why it was or was not contacted. Phone numbers (and
conversation ids, which may be phone numbers) are masked for viewers. Every view is audited.
Times are shown in the office's zone."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import List, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from campaigns.records import case_people, household_search, progress, self_reports
from campaigns.console import audit, i18n
from campaigns.console.i18n import N_
from campaigns.console.time_filters import office_zone
from campaigns.console.rendering import render
from campaigns.console.deps import current_user, get_session
from campaigns.records.models import ROLE_RANK, Attempt, Escalation, Household, OptOut, Role, Screening, User
from campaigns.phones import mask_phone

router = APIRouter()
api = APIRouter(tags=["households"])


@dataclass(frozen=True)
class HouseholdRecord:
    household: Household
    not_contacted: Optional[str]  # the standing reason it is never dialled, if any
    opt_outs: list[OptOut]  # oldest first
    screenings: list[Screening]  # newest first
    escalations: list[Escalation]  # newest first
    attempts: list[Attempt]  # oldest first
    sources: dict[int, Optional[str]] = field(default_factory=dict)  # each screening's, by id


def household_record(session: Session, *, household_id: str, office=progress.UTC) -> Optional[HouseholdRecord]:
    """Everything the console shows about one household; None if there is no such household."""
    household = session.get(Household, household_id)
    if household is None:
        return None
    screenings = list(session.exec(select(Screening).where(Screening.household_id == household_id)
                                   .order_by(Screening.finished_at.desc(), Screening.id.desc())).all())
    return HouseholdRecord(
        household=household,
        not_contacted=progress.why_not_contacted(household, None, office=office),
        opt_outs=list(session.exec(select(OptOut).where(OptOut.household_id == household_id)
                                   .order_by(OptOut.created_at, OptOut.id)).all()),
        screenings=screenings, sources=self_reports.sources_of(session, screening_ids=[s.id for s in screenings]),
        escalations=list(session.exec(select(Escalation).where(Escalation.household_id == household_id)
                                      .order_by(Escalation.created_at.desc(), Escalation.id.desc())).all()),
        attempts=progress.household_log(session, household_id=household_id))


class OptOutOut(BaseModel):
    at: datetime
    channel: str
    said: Optional[str] = Field(description="what the resident said")


class ScreeningOut(BaseModel):
    id: int
    person_index: int = Field(description="0 = the household contact")
    person_name: Optional[str]
    campaign_id: Optional[str] = Field(description="null for self-reports")
    channel: str
    source: Optional[str] = Field(description="call | sms | link | walk_in (a self-report); null: unknown")
    conversation_id: str = Field(description="masked for viewers")
    finished_at: datetime
    temperature_c: Optional[float]
    feels_feverish: Optional[bool]
    symptoms: Optional[List[str]] = Field(description="symptom codes; null = not answered")
    red_flags: Optional[List[str]] = Field(description="red-flag codes; null = not answered")
    abnormal: bool
    urgent: bool
    reason: Optional[str]
    outcome: str
    callback_at: Optional[datetime]


class EscalationOut(BaseModel):
    id: int
    kind: str
    severity: str
    status: str
    detail: str
    assigned_to: Optional[str]
    created_at: datetime
    acknowledged_at: Optional[datetime]
    resolved_at: Optional[datetime]
    resolution_note: Optional[str]


class AttemptOut(BaseModel):
    campaign_id: str
    day: date
    round_no: int
    try_no: int
    kind: str = Field(description="round | retry | callback")
    channel: str
    due_at: datetime
    placed_at: Optional[datetime]
    ended_at: Optional[datetime]
    status: str
    detail: Optional[str] = Field(description="why: the carrier's outcome, a skip or a cancel reason")


class HouseholdHitOut(BaseModel):
    id: str
    contact_name: Optional[str]
    community: Optional[str]
    phone: Optional[str] = Field(description="E.164; masked for viewers")
    address: Optional[str]
    last_screening_at: Optional[datetime] = Field(description="when the household was last screened")
    last_screening_abnormal: Optional[int] = Field(description="people judged abnormal in that screening")
    open_cases: List[str] = Field(description="kinds of its open or acknowledged cases, most urgent first")


class HouseholdSearchOut(BaseModel):
    items: List[HouseholdHitOut] = Field(description="by id")
    next_after: Optional[str] = Field(description="pass as `after` for the next page; null on the last")


class HouseholdOut(BaseModel):
    id: str
    phone: Optional[str] = Field(description="E.164; masked for viewers")
    phone_masked: bool
    contact_name: Optional[str]
    members: int
    member_names: List[str]
    language: str
    timezone: str
    community: Optional[str]
    address: Optional[str] = Field(None, description="from the household list, for field visits")
    notes: Optional[str] = Field(None, description="the office's notes from the household list")
    walk_in: bool
    opted_out_at: Optional[datetime]
    wrong_number_at: Optional[datetime] = Field(description="when the number was flagged as wrong")
    not_contacted: Optional[str] = Field(description="the standing reason it is never dialled, if any")
    opt_outs: List[OptOutOut]
    screenings: List[ScreeningOut] = Field(description="newest first")
    escalations: List[EscalationOut] = Field(description="newest first")
    attempts: List[AttemptOut] = Field(description="oldest first")


@router.get("/households")
def search_page(request: Request, q: str = Query("", max_length=200), community: str = Query("", max_length=200),
                after: str = Query("", max_length=64), user: User = Depends(current_user),
                session: Session = Depends(get_session)):
    found = _searched(request, session, user, q=q, community=community, after=after, via="page")
    shown = {key: value.strip() for key, value in (("q", q), ("community", community)) if value.strip()}
    return render(request, "households.html", found=found, q=q.strip(), community=community.strip(),
                  communities=household_search.communities(session), masked=_masked(user), mask=mask_phone,
                  next_url=f"/households?{urlencode({**shown, 'after': found.next_after})}" if found.next_after
                  else None, first_url=f"/households?{urlencode(shown)}" if after.strip() else None)


@router.get("/households/{household_id}")
def household_page(request: Request, household_id: str, user: User = Depends(current_user),
                   session: Session = Depends(get_session)):
    record = _viewed(session, user, household_id, via="page", office=office_zone(request))
    masked = _masked(user)
    names = case_people.roster(contact_name=record.household.contact_name,
                               member_names=record.household.member_names, members=record.household.members)
    tr = i18n.for_request(request)
    return render(request, "household.html", record=record, masked=masked, mask=mask_phone,
                  phone=_phone(record.household.phone, masked), members=_names(record.household.member_names),
                  person=lambda row: person_label(tr, row.person_index, row.person_name
                                                  or case_people.name_of(names, row.person_index)))


@api.get("/households", response_model=HouseholdSearchOut, summary="Households by id, phone, name or community")
def search_api(request: Request, q: str = Query("", max_length=200, description="an id's start, a phone number, "
                                                "or part of a name or community"),
               community: str = Query("", max_length=200, description="one community, exactly"),
               after: str = Query("", max_length=64, description="`next_after` of the previous page"),
               user: User = Depends(current_user), session: Session = Depends(get_session)):
    found = _searched(request, session, user, q=q, community=community, after=after, via="api")
    masked = _masked(user)
    return HouseholdSearchOut(next_after=found.next_after, items=[HouseholdHitOut(
        id=hit.household.id, contact_name=hit.household.contact_name, community=hit.household.community,
        phone=_phone(hit.household.phone, masked) if hit.household.phone else None, address=hit.household.address,
        last_screening_at=hit.last_screening.finished_at if hit.last_screening else None,
        last_screening_abnormal=hit.last_screening.abnormal if hit.last_screening else None,
        open_cases=[kind for kind, _ in hit.open_cases]) for hit in found.hits])


@api.get("/households/{household_id}", response_model=HouseholdOut, summary="One household's record",
         responses={404: {"description": "no such household"}})
def household_api(request: Request, household_id: str, user: User = Depends(current_user),
                  session: Session = Depends(get_session)):
    record = _viewed(session, user, household_id, via="api", office=office_zone(request))
    masked, h = _masked(user), record.household
    return HouseholdOut(
        id=h.id, phone=_phone(h.phone, masked) if h.phone else None, phone_masked=masked,
        contact_name=h.contact_name, members=h.members, member_names=_names(h.member_names), language=h.language,
        timezone=h.timezone, community=h.community, address=h.address, notes=h.notes, walk_in=h.walk_in,
        opted_out_at=h.opted_out_at,
        wrong_number_at=h.wrong_number_at, not_contacted=record.not_contacted,
        opt_outs=[OptOutOut(at=o.created_at, channel=o.channel, said=o.said) for o in record.opt_outs],
        screenings=[_screening_out(s, masked, record.sources.get(s.id)) for s in record.screenings],
        escalations=[EscalationOut(**e.dict(include=set(EscalationOut.__fields__))) for e in record.escalations],
        attempts=[AttemptOut(**a.dict(include=set(AttemptOut.__fields__))) for a in record.attempts])


def _viewed(session: Session, user: User, household_id: str, *, via: str, office=progress.UTC) -> HouseholdRecord:
    if session.get(Household, household_id) is None:
        raise HTTPException(status_code=404, detail=N_("no household %(id)r", id=household_id))
    # Committed before reading, so the rows read are not expired (and reloaded one by one) by the commit.
    audit.record(session, user=user, action="view", target=f"household {household_id}", detail=via)
    session.commit()
    return household_record(session, household_id=household_id, office=office)


def _searched(request: Request, session: Session, user: User, *, q: str, community: str, after: str,
              via: str) -> household_search.SearchPage:
    shown = {key: value.strip() for key, value in (("q", q), ("community", community), ("after", after))
             if value.strip()}
    # The hits name residents and their numbers: audited, committed before the rows are read.
    audit.record(session, user=user, action="view", target="households", detail="; ".join(
        [via, *(f"{key}={value}" for key, value in shown.items())]))
    session.commit()
    return household_search.search(session, text=q, community=community.strip() or None, after=after.strip() or None,
                                   region=request.app.state.settings.default_region)


def _screening_out(s: Screening, masked: bool, source: Optional[str]) -> ScreeningOut:
    fields = s.dict(include=set(ScreeningOut.__fields__) - {"symptoms", "red_flags", "conversation_id", "source"})
    return ScreeningOut(**fields, source=source, symptoms=_codes(s.symptoms), red_flags=_codes(s.red_flags),
                        conversation_id=mask_phone(s.conversation_id) if masked else s.conversation_id)


def person_label(tr, index: int, name: Optional[str]) -> str:
    """case_people.label in the reader's words: 'Lena (contact)', 'contact', 'Jun' or 'member 2'."""
    if index == 0:
        return tr.gettext("%(name)s (contact)") % {"name": name} if name else tr.gettext("contact")
    return name or tr.gettext("member %(number)s") % {"number": index + 1}


def _masked(user: User) -> bool:
    return ROLE_RANK.get(user.role, 0) < ROLE_RANK[Role.operator.value]


def _phone(phone: Optional[str], masked: bool) -> str:
    return mask_phone(phone) if masked else (phone or "-")


def _names(joined: Optional[str]) -> list[str]:
    return [name.strip() for name in (joined or "").split(";") if name.strip()]


def _codes(joined: Optional[str]) -> Optional[list[str]]:
    return None if joined is None else [code for code in joined.split(";") if code]
