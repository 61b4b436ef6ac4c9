"""The daily summary (page, CSV, JSON), the escalation export with the queue's filters, the household
search, and times in the office's zone across the console."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from campaigns.console import progress
from campaigns.console.app import create_app
from campaigns.phones import mask_phone
from campaigns.records import case_lists, summaries
from campaigns.records.models import Attempt, AuditEntry, Campaign, Escalation, Screening
from campaigns.settings import get_settings
from tests.campaigns.console.conftest import add_staff, api_token, sign_in
from tests.campaigns.engine_helpers import add, household, utc

DAY = date(2024, 3, 5)
PHONE = "+14155550101"


@pytest.fixture
def console(db, monkeypatch):
    """The console of an office in Nairobi (UTC+3, no daylight saving)."""
    monkeypatch.setenv("SCREENING_OFFICE_TIMEZONE", "Africa/Nairobi")
    get_settings.cache_clear()
    add_staff(db)
    return create_app(get_settings())


@pytest.fixture
def day_of_calls(db):
    add(db, Campaign(id="c1", spec_json="{}"), Campaign(id="c2", spec_json="{}"),
        household("N1", PHONE, community="North", contact_name="Ana", member_names="Ana;Bo", members=2),
        household("N2", "+14155550102", community="North"), household("S1", "+14155550103", community="South"))
    at = utc(2024, 3, 5, 9)
    add(db, *(Attempt(campaign_id=c, household_id=h, day=DAY, round_no=1, due_at=at, placed_at=at, status=status,
                      conversation_id=f"{h}-{c}") for c, h, status in (
        ("c1", "N1", "completed"), ("c1", "N2", "no_answer"), ("c1", "S1", "completed"), ("c2", "S1", "completed"))))
    add(db, Screening(household_id="N1", conversation_id="N1-c1", started_at=at, finished_at=at, temperature_c=38.8,
                      abnormal=True),
        Screening(household_id="N1", person_index=1, conversation_id="N1-c1", started_at=at, finished_at=at,
                  temperature_c=36.6),
        Screening(household_id="S1", conversation_id="S1-c2", started_at=at, finished_at=at, temperature_c=36.6),
        Escalation(household_id="N1", kind="abnormal", severity="high", created_at=at, conversation_id="N1-c1",
                   people=json.dumps([{"index": 0, "temperature_c": 38.8, "symptoms": [], "red_flags": []}])),
        Escalation(household_id="S1", kind="help_request", severity="high", created_at=utc(2024, 3, 5, 10),
                   conversation_id="S1-c1", detail="resident said: I need food"),
        Escalation(household_id="N2", kind="field_visit", severity="routine", status="resolved",
                   created_at=utc(2024, 3, 5, 21), detail="not reached"))
    return db


def rows_of(text: str) -> list[list[str]]:
    """A CSV's rows; a page's download starts with a byte-order mark (for Excel), read as "utf-8-sig" does."""
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def cells(html: str) -> list[list[str]]:
    body = re.search(r'<table class="daily">(.*?)</table>', html, re.S).group(1).split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_daily_summary_page_csv_and_api_give_the_same_numbers(client, day_of_calls):
    sign_in(client, "viewer")
    page = cells(client.get("/reports/daily?day=2024-03-05&campaign=c1").text)
    lines = rows_of(client.get("/reports/daily.csv?day=2024-03-05&campaign=c1").text)
    api = client.get("/api/v1/reports/daily?day=2024-03-05&campaign=c1",
                     headers={"Authorization": f"Bearer {api_token(day_of_calls, 'viewer')}"}).json()
    assert page == [["North", "2", "1", "1", "0", "2", "1", "0", "0"], ["South", "1", "1", "0", "0", "0", "0", "0", "1"],
                    [summaries.TOTAL, "3", "2", "1", "0", "2", "1", "0", "1"]]
    assert lines[0] == list(summaries.HEADER) and [line[2:] for line in lines[1:]] == page
    assert [line[:2] for line in lines[1:]] == [["2024-03-05", "c1"]] * 3
    assert [[line["community"], line["households_targeted"], line["people_screened"]] for line in api["lines"]] == [
        ["North", 2, 2], ["South", 1, 0], [summaries.TOTAL, 3, 2]]


def test_daily_summary_of_every_campaign_counts_a_household_once(client, day_of_calls):
    sign_in(client, "viewer")
    total = rows_of(client.get("/reports/daily.csv?day=2024-03-05").text)[-1]
    assert total[1:] == ["", summaries.TOTAL, "3", "2", "1", "0", "3", "1", "0", "1"]


@pytest.mark.parametrize("query, status, message", [
    ("day=2024-02-30", 400, "is not a date"), ("campaign=nope", 404, "no campaign named"),
    ("day=" + "9" * 5000, 400, "is not a date")])
def test_daily_summary_refuses_what_it_cannot_read(client, day_of_calls, query, status, message):
    sign_in(client, "viewer")
    for path in ("/reports/daily", "/reports/daily.csv", "/api/v1/reports/daily"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == status and message in response.text


def test_escalation_export_takes_the_queues_filters_and_names_people(client, day_of_calls):
    sign_in(client, "operator")
    every = rows_of(client.get("/escalations/export.csv?status=all").text)
    north = rows_of(client.get("/escalations/export.csv?community=North&kind=abnormal").text)
    assert every[0] == list(case_lists.HEADER) and len(every) == 4
    assert [row[4] for row in every[1:]] == ["abnormal", "help_request", "field_visit"]  # high first, then oldest
    line = dict(zip(case_lists.HEADER, north[1]))
    assert (len(north), line["people"], line["phone"], line["created_at"]) == (
        2, "Ana (contact), 38.8 °C", PHONE, "2024-03-05T12:00:00+03:00")


def test_escalation_export_is_for_operators_and_audited(client, day_of_calls):
    sign_in(client, "viewer")
    assert client.get("/escalations/export.csv").status_code == 403
    headers = {"Authorization": f"Bearer {api_token(day_of_calls, 'supervisor')}"}
    response = client.get("/api/v1/escalations.csv?severity=high", headers=headers)
    assert response.status_code == 200 and len(rows_of(response.text)) == 3
    with Session(day_of_calls) as session:
        entries = [(e.user_name, e.action, e.target, e.detail) for e in session.exec(select(AuditEntry))
                   if e.action in ("view", "export")]
    assert entries == [("supervisor", "export", "escalations", "csv; severity=high")]


@pytest.mark.parametrize("path, bom", [("/reports/daily.csv?day=2024-03-05", True), ("/escalations/export.csv", True),
                                       ("/api/v1/escalations.csv", False)], ids=["daily", "escalations", "api"])
def test_csv_downloads_for_people_start_with_a_byte_order_mark_and_the_api_s_do_not(client, day_of_calls, path, bom):
    headers = {"Authorization": f"Bearer {api_token(day_of_calls, 'operator')}"}
    body = client.get(path, headers=headers).content
    assert body.startswith(b"\xef\xbb\xbf") == bom and body.count(b"\xef\xbb\xbf") == int(bom)


@pytest.mark.parametrize("query", ["severity=loud", "kind=" + "k" * 300, "status=gone"])
def test_escalation_export_refuses_unknown_filters(client, day_of_calls, query):
    sign_in(client, "operator")
    response = client.get(f"/escalations/export.csv?{query}")
    assert response.status_code == 400 and "unknown" in response.text


# --- the household search ------------------------------------------------------------------------

@pytest.mark.parametrize("role, shown", [("viewer", mask_phone(PHONE)), ("operator", PHONE)])
def test_household_search_finds_by_name_and_masks_phones_for_viewers(client, day_of_calls, role, shown):
    sign_in(client, role)
    html = client.get("/households?q=ana").text
    assert re.findall(r'<a href="/households/([^"]+)">', html) == ["N1"]
    assert re.search(r'<td class="phone">([^<]*)', html).group(1) == shown
    assert "2024-03-05 12:00: 2 people" in html and "1 abnormal" in html and ">abnormal</span>" in html
    if role == "viewer":
        assert PHONE not in html


def test_household_search_by_phone_and_community_pages_and_api(client, day_of_calls, monkeypatch):
    monkeypatch.setattr("campaigns.records.household_search.PAGE_ROWS", 1)
    sign_in(client, "operator")
    assert re.findall(r'<a href="/households/([^"]+)">', client.get("/households?q=(415) 555-0103").text) == ["S1"]
    first = client.get("/households?community=North").text
    assert 'href="/households?community=North&amp;after=N1"' in first
    second = client.get("/households?community=North&after=N1").text
    assert re.findall(r'<a href="/households/([^"]+)">', second) == ["N2"] and "first page" in second
    api = client.get("/api/v1/households?q=%2B14155550103",
                     headers={"Authorization": f"Bearer {api_token(day_of_calls, 'viewer')}"}).json()
    assert api == {"items": [{"id": "S1", "contact_name": None, "community": "South", "phone": mask_phone(
        "+14155550103"), "address": None, "last_screening_at": "2024-03-05T09:00:00+00:00",
        "last_screening_abnormal": 0, "open_cases": ["help_request"]}], "next_after": None}


def test_household_search_is_audited_with_what_was_asked(client, day_of_calls):
    sign_in(client, "viewer")
    client.get("/households?q=ana&community=North")
    with Session(day_of_calls) as session:
        entries = [(e.action, e.target, e.detail) for e in session.exec(select(AuditEntry)) if e.action == "view"]
    assert entries == [("view", "households", "page; q=ana; community=North")]


# --- times in the office's zone ------------------------------------------------------------------

def test_household_page_shows_times_in_the_office_zone_and_names_people(client, day_of_calls):
    add(day_of_calls, household("O1", "+14155550109", opted_out_at=utc(2024, 3, 5, 22, 30), address="3 Lake Rd"))
    sign_in(client, "operator")
    html = client.get("/households/O1").text
    assert "Not contacted: opted out on 2024-03-06 01:30 EAT" in html and "Times in Africa/Nairobi." in html
    assert '<td class="address">3 Lake Rd</td>' in html
    people = re.findall(r"<td>(Ana \(contact\)|Bo|member 2)</td>", client.get("/households/N1").text)
    assert people == ["Bo", "Ana (contact)"]  # newest first, then the last person first


def test_campaigns_and_audit_pages_show_office_times(client, day_of_calls):
    sign_in(client, "supervisor")
    assert "Screenings per hour (Africa/Nairobi)" in client.get("/campaigns").text
    assert "<th>When (Africa/Nairobi)</th>" in client.get("/audit").text


@pytest.mark.parametrize("times, unit, points", [
    ([utc(2024, 3, 5, 20, 30), utc(2024, 3, 5, 21, 10)], "hour", [("2024-03-05 23:00", 1), ("2024-03-06 00:00", 1)]),
    ([utc(2024, 3, 1, 22), utc(2024, 3, 4, 20)], "day", [("2024-03-02", 1), ("2024-03-03", 0), ("2024-03-04", 1)]),
], ids=["hours", "days"])
def test_the_screenings_chart_counts_the_office_hours_and_days(db, times, unit, points):
    add(db, household("H1", PHONE), *(Screening(household_id="H1", conversation_id=f"c{n}", started_at=at,
                                                finished_at=at, temperature_c=36.6) for n, at in enumerate(times)))
    with Session(db) as session:
        assert progress.screening_timeline(session, office=ZoneInfo("Africa/Nairobi")) == progress.Timeline(unit, points)
