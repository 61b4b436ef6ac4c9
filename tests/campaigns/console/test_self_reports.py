"""Where each screening came from (call, SMS, link, walk-in) on the results and household pages and in
the API; the self-reports and help requests per community; help requests with their category."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlmodel import Session, select

from campaigns.console import words
from campaigns.records import self_reports, summaries
from campaigns.records.counts import NO_COMMUNITY
from campaigns.records.escalations import HELP_CATEGORIES, raise_help_request
from campaigns.records.models import Attempt, Campaign, Escalation, HelpRequest, Household, Screening
from tests.campaigns.console.conftest import api_token, sign_in
from tests.campaigns.engine_helpers import add, household, utc

DAY_AT = utc(2024, 3, 5, 9)
CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9"}


def screening(household_id: str, conversation: str, *, campaign: str | None, channel: str, index: int = 0,
              at: datetime = DAY_AT, **fields) -> Screening:
    return Screening(household_id=household_id, conversation_id=conversation, campaign_id=campaign, channel=channel,
                     person_index=index, started_at=at, finished_at=at, temperature_c=36.6, **fields)


@pytest.fixture
def reports(db):
    """A campaign that reached three households by call, text and link; walk-ins on the web and by SMS."""
    add(db, Campaign(id="c1", spec_json="{}"),
        household("N1", "+14155550101", community="North"), household("N2", "+14155550102", community="North"),
        household("S1", "+14155550103", community="South"),
        household("walkin-web1", None, community="North", walk_in=True), household("walkin-web2", None, walk_in=True))
    add(db, *(Attempt(campaign_id="c1", household_id=h, day=DAY_AT.date(), round_no=1, due_at=DAY_AT, status="completed",
                      channel=channel, conversation_id=conversation) for h, channel, conversation in (
        ("N1", "voice", "N1:a1"), ("N2", "sms", "N2:a2"), ("S1", "chat_link", "S1:a3"))))
    add(db, screening("N1", "N1:a1", campaign="c1", channel="voice"),
        screening("N1", "N1:a1", campaign="c1", channel="voice", index=1),
        screening("N2", "N2:a2", campaign="c1", channel="sms"),
        screening("S1", "S1:a3", campaign="c1", channel="chat"),
        screening("S1", "S1:gone", campaign="c1", channel="voice"),  # its attempt is not in the table
        screening("walkin-web1", "web-1", campaign=None, channel="chat"),
        screening("walkin-web1", "web-1", campaign=None, channel="chat", index=1, abnormal=True, temperature_said="hot"),
        screening("N2", "+14155550102", campaign=None, channel="sms"),  # N2 texted the office on its own
        screening("walkin-web2", "web-2", campaign=None, channel="chat", abnormal=True, urgent=True),
        screening("walkin-web2", "web-0", campaign=None, channel="chat", at=utc(2024, 3, 4, 12)))  # the day before
    at = utc(2024, 3, 5, 10)
    with Session(db) as session:
        raise_help_request(session, household_id=None, conversation_id="web-3", community="North",
                           category="medicine", now=at)
        raise_help_request(session, household_id="N1", conversation_id="N1:a1", community=None, category="food",
                           now=at)
        raise_help_request(session, household_id="N1", conversation_id="N1:a1", community="South",
                           category="food", now=at)
        raise_help_request(session, household_id="S1", conversation_id="S1:a3", community=None, category="other",
                           now=utc(2024, 3, 5, 23, 59))
        raise_help_request(session, household_id="S1", conversation_id="S1:a3", community=None, category="other",
                           now=utc(2024, 3, 6))  # the next day
        session.commit()
    return db


def test_each_screening_has_its_source(reports):
    with Session(reports) as session:
        ids = {(s.household_id, s.conversation_id, s.person_index): s.id for s in session.exec(select(Screening))}
        found = self_reports.sources_of(session, screening_ids=ids.values())
    assert {key: found[id_] for key, id_ in ids.items()} == {
        ("N1", "N1:a1", 0): "call", ("N1", "N1:a1", 1): "call", ("N2", "N2:a2", 0): "sms",
        ("S1", "S1:a3", 0): "link", ("S1", "S1:gone", 0): "call",
        ("walkin-web1", "web-1", 0): "walk_in", ("walkin-web1", "web-1", 1): "walk_in",
        ("N2", "+14155550102", 0): "walk_in", ("walkin-web2", "web-2", 0): "walk_in",
        ("walkin-web2", "web-0", 0): "walk_in"}


def test_help_requests_keep_their_category_and_join_the_household_case(reports):
    with Session(reports) as session:
        rows = [(r.household_id, r.category, r.conversation_id) for r in session.exec(
            select(HelpRequest).order_by(HelpRequest.id))]
        cases = [(e.household_id, e.kind, e.raised_count, e.detail) for e in session.exec(
            select(Escalation).order_by(Escalation.id))]
        walk_in = session.get(Household, rows[0][0])
    assert rows[1:] == [("N1", "food", "N1:a1"), ("N1", "food", "N1:a1"), ("S1", "other", "S1:a3"),
                        ("S1", "other", "S1:a3")]
    assert rows[0][0].startswith("walkin-") and rows[0][1:] == ("medicine", "web-3")
    assert (walk_in.walk_in, walk_in.community) == (True, "North")  # the anonymous walk-in's chosen community
    assert cases == [(rows[0][0], "help_request", 1, "asked for help: medicine"),
                     ("N1", "help_request", 2, "asked for help: food"),
                     ("S1", "help_request", 2, "asked for help: other")]


@pytest.mark.parametrize("given, error", [
    ({"household_id": None, "community": "North", "category": "money"}, ValueError),
    ({"household_id": None, "community": "Atlantis", "category": "food"}, ValueError),
    ({"household_id": "no-such", "community": None, "category": "food"}, LookupError),
])
def test_a_help_request_that_cannot_be_taken_writes_nothing(reports, given, error):
    with Session(reports) as session:
        before = (len(session.exec(select(HelpRequest)).all()), len(session.exec(select(Escalation)).all()))
        with pytest.raises(error):
            raise_help_request(session, conversation_id="web-9", now=DAY_AT, **given)
        session.rollback()
        assert (len(session.exec(select(HelpRequest)).all()), len(session.exec(select(Escalation)).all())) == before


def table(html: str, name: str) -> list[list[str]]:
    body = re.search(rf'<table class="{name}">(.*?)</table>', html, re.S).group(1).split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


# community, reports, web, sms, people, abnormal, urgent, help, medicine, food, medical care, other
COUNTED = [["North", "2", "1", "1", "3", "1", "0", "3", "1", "2", "0", "0"],
           ["South", "0", "0", "0", "0", "0", "0", "1", "0", "0", "0", "1"],
           [NO_COMMUNITY, "1", "1", "0", "1", "1", "1", "0", "0", "0", "0", "0"],
           [summaries.TOTAL, "3", "2", "1", "4", "2", "1", "4", "1", "2", "0", "1"]]


def test_the_self_report_page_and_api_count_per_community(client, reports):
    sign_in(client, "viewer")
    page = client.get("/reports/self-reports?from=2024-03-05&to=2024-03-05")
    assert page.status_code == 200
    assert table(page.text, "self-reports") == COUNTED
    api = client.get("/api/v1/reports/self-reports?from=2024-03-05&to=2024-03-05",
                     headers={"Authorization": f"Bearer {api_token(reports, 'viewer')}"}).json()
    assert (api["first_day"], api["last_day"], api["timezone"]) == ("2024-03-05", "2024-03-05", "UTC")
    keys = ("community", "self_reports", "on_the_web", "by_sms", "people_screened", "abnormal", "urgent",
            "help_requests", "medicine", "food", "medical_care", "other")
    assert [[str(line[key]) for key in keys] for line in api["lines"]] == COUNTED
    both_days = table(client.get("/reports/self-reports?from=2024-03-04&to=2024-03-06").text, "self-reports")
    assert both_days[-1] == [summaries.TOTAL, "4", "3", "1", "5", "2", "1", "5", "1", "2", "0", "2"]


@pytest.mark.parametrize("query", ["from=2024-03-06&to=2024-03-05", "from=yesterday", "to=2024-02-30",
                                   "to=9999-12-31", "from=0001-01-01&to=0001-01-01"])
def test_the_self_report_page_refuses_bad_days_with_a_400(client, reports, query, monkeypatch):
    sign_in(client, "viewer")
    monkeypatch.setattr(client.app.state.settings, "office_timezone", "Asia/Shanghai")  # 0001-01-01 starts
    # before the calendar does there
    assert client.get(f"/reports/self-reports?{query}").status_code == 400


def test_the_self_report_page_in_chinese(client, reports):
    sign_in(client, "viewer")
    html = client.get("/reports/self-reports?from=2024-03-05&to=2024-03-05", headers=CHINESE_BROWSER).text
    assert all(word in html for word in ("自报", "求助", "药品", "食物", "就医", "其他", "短信"))
    assert table(html, "self-reports")[-1][0] == "（全部社区）"


def test_the_results_page_and_api_show_the_source_and_filter_by_it(client, reports):
    sign_in(client, "operator")
    rows = table(client.get("/results").text, "results")
    assert sorted((row[2], row[5]) for row in rows) == sorted([
        ("N1", "call"), ("N1", "call"), ("N2", "sms"), ("S1", "link"), ("S1", "call"), ("walkin-web1", "walk_in"),
        ("walkin-web1", "walk_in"), ("N2", "walk_in"), ("walkin-web2", "walk_in"), ("walkin-web2", "walk_in")])
    walk_ins = table(client.get("/results?source=walk_in").text, "results")
    assert sorted(row[2] for row in walk_ins) == ["N2", "walkin-web1", "walkin-web1", "walkin-web2", "walkin-web2"]
    token = api_token(reports, "operator")
    items = client.get("/api/v1/results?source=link", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert [(item["household_id"], item["source"], item["channel"]) for item in items] == [("S1", "link", "chat")]
    assert client.get("/results?source=pigeon").status_code == 400
    chinese = table(client.get("/results", headers=CHINESE_BROWSER).text, "results")
    assert {row[5] for row in chinese} == {"电话", "短信", "聊天链接", "自报"}


def test_the_household_page_and_api_show_each_screenings_source(client, reports):
    sign_in(client, "operator")
    html = client.get("/households/N2").text
    assert re.findall(r'<td class="source">(.*?)</td>', html) == ["walk_in", "sms"]  # newest first
    found = client.get("/api/v1/households/N2", headers={
        "Authorization": f"Bearer {api_token(reports, 'operator')}"}).json()["screenings"]
    assert [(s["conversation_id"], s["source"]) for s in found] == [("+14155550102", "walk_in"), ("N2:a2", "sms")]


def test_every_source_and_help_category_has_a_word():
    assert (set(words.WORDS["source"]), set(words.WORDS["help category"])) == (set(self_reports.SOURCES),
                                                                               set(HELP_CATEGORIES))
