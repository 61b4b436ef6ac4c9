"""The campaigns page and API: progress per round, the chart data aggregated in SQL, filters, roles."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlmodel import Session

from campaigns.console import progress
from campaigns.records.models import Attempt, PlannedRound, Screening
from tests.campaigns.console.conftest import api_token, sign_in
from tests.campaigns.engine_helpers import add, change, household, make_spec, start, utc

DAY = date(2024, 3, 5)
PHONES = {f"H{i}": f"+1415555010{i}" for i in range(1, 5)}


def screening(household_id: str, at: datetime, *, campaign: str | None = "c1", conversation: str = "conv",
              person: int = 0, abnormal: bool = False, answered: bool = True) -> Screening:
    return Screening(household_id=household_id, person_index=person, campaign_id=campaign, channel="voice",
                     conversation_id=conversation, started_at=at, finished_at=at, abnormal=abnormal,
                     temperature_c=(38.5 if abnormal else 36.8) if answered else None,
                     outcome="completed" if answered else "partial")


def attempt(household_id: str, status: str, *, round_no: int = 1, placed: bool = False,
            conversation: str | None = None, campaign: str = "c1") -> Attempt:
    due = utc(2024, 3, 5, 9)
    return Attempt(campaign_id=campaign, household_id=household_id, day=DAY, round_no=round_no, due_at=due,
                   status=status, placed_at=due if placed else None, conversation_id=conversation)


@pytest.fixture
def started(db):
    """Campaign c1 (0.5 calls/s) with round 1 of 2024-03-05 half done and round 2 planned, empty;
    campaign c2 paused with nothing planned. H1 reached (2 people, 1 abnormal), H2 due, H3 ringing,
    H4 unreachable."""
    add(db, *[household(hid, phone, community="North" if hid in ("H1", "H2") else "South")
              for hid, phone in PHONES.items()])
    now = utc(2024, 3, 5, 8)
    start(db, make_spec(pacing={"calls_per_second": 0.5}), now)
    start(db, make_spec(name="c2"), now)
    change(db, "c2", "pause", now)
    add(db, PlannedRound(campaign_id="c1", day=DAY, round_no=1, households=4),
        PlannedRound(campaign_id="c1", day=DAY, round_no=2, households=0),
        attempt("H1", "completed", placed=True, conversation="conv-1"),
        attempt("H2", "due"), attempt("H3", "dialing", placed=True), attempt("H4", "no_answer", placed=True),
        screening("H1", utc(2024, 3, 5, 9, 1), conversation="conv-1", abnormal=True),
        screening("H1", utc(2024, 3, 5, 9, 1), conversation="conv-1", person=1))
    return db


def cells(html: str, table_class: str) -> list[list[str]]:
    body = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>")[1], re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_campaigns_page_shows_progress_per_round_with_time_to_finish(client, started):
    sign_in(client, "viewer")
    html = client.get("/campaigns?campaign=c1").text
    assert cells(html, "rounds") == [
        ["2024-03-05", "1", "4", "1", "1", "1", "1", "1", "50%", "~0:00:02"],
        ["2024-03-05", "2", "0", "0", "0", "0", "0", "0", "-", "finished"],
    ]
    assert 'status-running' in html and "pacing 0.5 calls/s" in html


def test_campaigns_page_lists_every_campaign_with_its_status(client, started):
    sign_in(client, "viewer")
    html = client.get("/campaigns").text
    assert re.findall(r'<section class="card campaign" id="campaign-(\w+)">\s*<h2>\w+ <span class="status status-(\w+)',
                      html) == [("c1", "running"), ("c2", "paused")]
    assert "No round planned yet" in html  # c2


def test_campaigns_api_gives_rounds_with_eta_in_seconds(client, started):
    token = api_token(started, "viewer")
    body = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(c["id"], c["status"], c["calls_per_second"]) for c in body] == [("c1", "running", 0.5),
                                                                             ("c2", "paused", 10.0)]
    assert body[0]["rounds"][0] == {"day": "2024-03-05", "round_no": 1, "households": 4, "due": 1, "dialling": 1,
                                    "reached": 1, "abnormal": 1, "unreachable": 1, "finished": False,
                                    "eta_seconds": 2}
    assert body[0]["rounds"][1]["finished"] is True and body[0]["rounds"][1]["eta_seconds"] is None


def test_campaigns_filter_shows_one_campaign_and_an_unknown_one_is_404(client, started):
    sign_in(client, "operator")
    assert [c["id"] for c in client.get("/api/v1/campaigns?campaign=c2").json()] == ["c2"]
    html = client.get("/campaigns?campaign=c2").text
    assert 'id="campaign-c2"' in html and 'id="campaign-c1"' not in html
    page = client.get("/campaigns?campaign=nope")
    assert page.status_code == 404 and "no campaign named &#39;nope&#39;" in page.text
    assert client.get("/api/v1/campaigns?campaign=nope").json() == {"detail": "no campaign named 'nope'"}


def test_campaigns_without_a_user_redirect_or_401_and_show_nothing(client, started):
    page = client.get("/campaigns", follow_redirects=False)
    api = client.get("/api/v1/campaigns")
    assert (page.status_code, page.headers["location"], api.status_code) == (303, "/login?next=/campaigns", 401)
    for body in (page.text, api.text):
        assert "c1" not in body and not any(phone in body for phone in PHONES.values())


def test_campaigns_page_draws_both_charts_from_the_data(client, started):
    sign_in(client, "viewer")
    html = client.get("/campaigns?campaign=c1").text
    assert "Screenings per hour (UTC)" in html
    assert re.findall(r'<rect class="bar"[^>]*><title>([^<]*)</title>', html) == ["2024-03-05 09:00: 2",
                                                                                 "North: 1 of 2 (50%)"]
    assert cells(html, "communities") == [["North", "2", "1", "50%"]]


def test_campaigns_page_with_nothing_started_says_so(client):
    sign_in(client, "viewer")
    html = client.get("/campaigns").text
    assert "No campaign has been started." in html and html.count("nothing to show yet") == 2


# --- the chart data, aggregated by the database -------------------------------------------------

def test_campaigns_timeline_counts_per_day_with_empty_days_as_zero(db):
    add(db, household("H1", "+14155550101"),
        *[screening("H1", at) for at in (utc(2024, 3, 1, 9), utc(2024, 3, 1, 23, 59), utc(2024, 3, 4, 0, 0))])
    with Session(db) as session:
        timeline = progress.screening_timeline(session)
    assert timeline == progress.Timeline("day", [("2024-03-01", 2), ("2024-03-02", 0), ("2024-03-03", 0),
                                                 ("2024-03-04", 1)])


def test_campaigns_timeline_counts_per_hour_over_a_short_range_for_one_campaign(db):
    add(db, household("H1", "+14155550101"),
        screening("H1", utc(2024, 3, 5, 9, 5)), screening("H1", utc(2024, 3, 5, 9, 55)),
        screening("H1", utc(2024, 3, 5, 11, 30)), screening("H1", utc(2024, 3, 9), campaign="other"),
        screening("H1", utc(2024, 3, 5, 10), campaign=None))
    with Session(db) as session:
        timeline = progress.screening_timeline(session, campaign_id="c1")
        everything = progress.screening_timeline(session)
    assert timeline == progress.Timeline("hour", [("2024-03-05 09:00", 2), ("2024-03-05 10:00", 0),
                                                  ("2024-03-05 11:00", 1)])
    assert everything.unit == "day" and sum(count for _, count in everything.points) == 5


def test_campaigns_timeline_keeps_the_last_sixty_days(db):
    add(db, household("H1", "+14155550101"), screening("H1", utc(2024, 1, 1)), screening("H1", utc(2024, 6, 1)))
    with Session(db) as session:
        points = progress.screening_timeline(session).points
    assert (len(points), points[0], points[-1]) == (60, ("2024-04-03", 0), ("2024-06-01", 1))


def test_campaigns_timeline_is_empty_without_screenings(db):
    with Session(db) as session:
        assert progress.screening_timeline(session) == progress.Timeline("day", [])


def test_campaigns_abnormal_rate_per_community_counts_people_with_answers(db):
    at = utc(2024, 3, 5, 9)
    add(db, household("N1", "+14155550101", community="North"), household("N2", "+14155550102", community="North"),
        household("S1", "+14155550103", community="South"), household("X1", "+14155550104"),
        screening("N1", at, abnormal=True), screening("N1", at, person=1), screening("N2", at),
        screening("N2", at, person=1, answered=False),  # no answer: not screened
        screening("S1", at, abnormal=True), screening("S1", at, abnormal=True, campaign="other"),
        screening("X1", at))
    with Session(db) as session:
        rates = progress.abnormal_by_community(session)
        for_c1 = progress.abnormal_by_community(session, campaign_id="c1")
    assert [(r.community, r.screened, r.abnormal) for r in rates] == [
        ("South", 2, 2), ("North", 3, 1), (progress.NO_COMMUNITY, 1, 0)]
    assert [(r.community, r.screened, r.abnormal) for r in for_c1] == [
        ("South", 1, 1), ("North", 3, 1), (progress.NO_COMMUNITY, 1, 0)]


def test_campaigns_fill_buckets_makes_every_hour_between_the_ends():
    points = progress.fill_buckets({"2024-03-05 22:00": 3}, start=utc(2024, 3, 5, 21, 30),
                                   end=utc(2024, 3, 6, 0, 10), hourly=True)
    assert points == [("2024-03-05 21:00", 0), ("2024-03-05 22:00", 3), ("2024-03-05 23:00", 0),
                      ("2024-03-06 00:00", 0)]


def test_campaigns_timeline_buckets_on_postgres(pg_db):
    add(pg_db, household("H1", "+14155550101", community="North"),
        screening("H1", utc(2024, 3, 5, 9, 5), abnormal=True), screening("H1", utc(2024, 3, 5, 11, 59)),
        screening("H1", utc(2024, 3, 8, 9, 5), campaign="other"))
    with Session(pg_db) as session:
        hourly = progress.screening_timeline(session, campaign_id="c1")
        daily = progress.screening_timeline(session)
        rates = progress.abnormal_by_community(session)
    assert hourly == progress.Timeline("hour", [("2024-03-05 09:00", 1), ("2024-03-05 10:00", 0),
                                                ("2024-03-05 11:00", 1)])
    assert daily == progress.Timeline("day", [("2024-03-05", 2), ("2024-03-06", 0), ("2024-03-07", 0),
                                              ("2024-03-08", 1)])
    assert rates == [progress.CommunityRate("North", 3, 1)]
