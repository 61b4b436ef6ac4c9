"""The household page and API: roster, opt-outs, screenings, escalations, attempts, masking, audit."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import Session, select

from campaigns.records.models import Attempt, AuditEntry, Campaign, Escalation, OptOut, Screening
from campaigns.phones import mask_phone
from tests.campaigns.console.conftest import api_token, sign_in
from tests.campaigns.engine_helpers import add, household, utc

PHONE = "+14155550123"
CONVERSATION = "+14155550123"  # inbound SMS conversations are named by the resident's number
DAY = date(2024, 3, 5)


@pytest.fixture
def home(db):
    """Household H-1, opted out by SMS after two screenings, with an escalation and two attempts."""
    add(db, household("H-1", PHONE, tz="America/New_York", contact_name="Ana <b>Lima</b>", members=2,
                      member_names="Ana;Bo", community="North", language="es",
                      opted_out_at=utc(2024, 3, 6, 10), wrong_number_at=utc(2024, 3, 6, 11)),
        Campaign(id="c1", spec_json="{}"))
    add(db, Screening(id=1, household_id="H-1", campaign_id="c1", channel="voice", conversation_id="CA-older",
                      started_at=utc(2024, 3, 5, 9), finished_at=utc(2024, 3, 5, 9, 5), temperature_c=36.6),
        Screening(id=2, household_id="H-1", person_index=1, campaign_id=None, channel="sms",
                  conversation_id=CONVERSATION, started_at=utc(2024, 3, 6, 9), finished_at=utc(2024, 3, 6, 9, 5),
                  temperature_c=38.9, symptoms="cough;fever", abnormal=True, reason="fever 38.9 °C"),
        Attempt(campaign_id="c1", household_id="H-1", day=DAY, round_no=1, try_no=1, due_at=utc(2024, 3, 5, 14),
                status="no_answer", placed_at=utc(2024, 3, 5, 14), detail="nobody picked up"),
        Attempt(campaign_id="c1", household_id="H-1", day=DAY, round_no=1, try_no=2, due_at=utc(2024, 3, 5, 15),
                status="skipped", detail="opted out"),
        OptOut(household_id="H-1", phone=PHONE, channel="sms", said="STOP", created_at=utc(2024, 3, 6, 10)))
    add(db, Escalation(household_id="H-1", screening_id=2, kind="abnormal", severity="high",
                       detail="person 1: fever 38.9 °C", created_at=utc(2024, 3, 6, 9, 5)))
    return db


def cells(html: str, table_class: str) -> list[list[str]]:
    """The text of each cell of each body row of the table with this class."""
    body = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>")[1], re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def views(engine) -> list[tuple[str, str, str, str]]:
    with Session(engine) as session:
        return [(e.user_name, e.action, e.target, e.detail) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == "view").order_by(AuditEntry.id))]


@pytest.mark.parametrize("role, shown, hidden", [
    ("viewer", mask_phone(PHONE), PHONE), ("operator", PHONE, None), ("supervisor", PHONE, None)])
def test_households_page_masks_the_phone_for_viewers_only(client, home, role, shown, hidden):
    sign_in(client, role)
    html = client.get("/households/H-1").text
    assert re.search(r'<td class="phone">([^<]*)', html).group(1).strip() == shown
    if hidden:
        assert hidden not in html  # neither the number nor the conversation named after it
        assert mask_phone(CONVERSATION) in html


@pytest.mark.parametrize("role, phone, conversation", [
    ("viewer", mask_phone(PHONE), mask_phone(CONVERSATION)), ("operator", PHONE, CONVERSATION)])
def test_households_api_masks_the_phone_for_viewers_only(client, home, role, phone, conversation):
    body = client.get("/api/v1/households/H-1", headers={"Authorization": f"Bearer {api_token(home, role)}"})
    data = body.json()
    assert (data["phone"], data["phone_masked"], data["screenings"][0]["conversation_id"]) == (
        phone, role == "viewer", conversation)
    if role == "viewer":
        assert PHONE not in body.text


def test_households_page_shows_roster_flags_screenings_escalations_and_attempts(client, home):
    sign_in(client, "operator")
    html = client.get("/households/H-1").text
    assert "Ana &lt;b&gt;Lima&lt;/b&gt;" in html and "<b>Lima</b>" not in html
    assert "2: Ana, Bo" in html and "America/New_York" in html and "North" in html
    assert "Not contacted: opted out on 2024-03-06 10:00 UTC" in html
    assert re.search(r'class="wrong-number"><span class="urgent">flagged</span> 2024-03-06 11:00', html)
    assert cells(html, "opt-outs") == [["2024-03-06 10:00", "sms", "STOP"]]
    assert [row[0] for row in cells(html, "screenings")] == ["2024-03-06 09:05", "2024-03-05 09:05"]
    assert cells(html, "escalations")[0][2:6] == ["abnormal", "high", "open", "person 1: fever 38.9 °C"]
    assert [(r[3], r[7], r[8]) for r in cells(html, "attempts")] == [("1", "no_answer", "nobody picked up"),
                                                                    ("2", "skipped", "opted out")]


def test_households_api_gives_the_whole_record(client, home):
    data = client.get("/api/v1/households/H-1", headers={"Authorization": f"Bearer {api_token(home, 'operator')}"}).json()
    assert (data["member_names"], data["community"], data["wrong_number_at"]) == (
        ["Ana", "Bo"], "North", "2024-03-06T11:00:00+00:00")
    assert data["not_contacted"].startswith("opted out on 2024-03-06 10:00 UTC")
    assert data["opt_outs"] == [{"at": "2024-03-06T10:00:00+00:00", "channel": "sms", "said": "STOP"}]
    assert [(s["id"], s["symptoms"], s["abnormal"]) for s in data["screenings"]] == [(2, ["cough", "fever"], True),
                                                                                     (1, None, False)]
    assert [(e["kind"], e["severity"], e["status"]) for e in data["escalations"]] == [("abnormal", "high", "open")]
    assert [(a["try_no"], a["status"], a["detail"]) for a in data["attempts"]] == [(1, "no_answer", "nobody picked up"),
                                                                                  (2, "skipped", "opted out")]


def test_households_every_view_is_audited(client, home):
    sign_in(client, "viewer")
    client.get("/households/H-1")
    client.get("/api/v1/households/H-1", headers={"Authorization": f"Bearer {api_token(home, 'operator')}"})
    assert views(home) == [("viewer", "view", "household H-1", "page"), ("operator", "view", "household H-1", "api")]


def test_households_unknown_id_is_404_and_not_audited(client, home):
    sign_in(client, "operator")
    page = client.get("/households/nope")
    api = client.get("/api/v1/households/nope")
    assert (page.status_code, api.status_code) == (404, 404)
    assert "no household &#39;nope&#39;" in page.text and api.json() == {"detail": "no household 'nope'"}
    assert views(home) == []


def test_households_without_a_user_redirect_or_401_and_show_no_data(client, home):
    page = client.get("/households/H-1", follow_redirects=False)
    api = client.get("/api/v1/households/H-1")
    assert (page.status_code, page.headers["location"], api.status_code) == (303, "/login?next=/households/H-1", 401)
    for body in (page.text, api.text):
        assert PHONE not in body and mask_phone(PHONE) not in body and "Ana" not in body
    assert views(home) == []


def test_households_without_attempts_or_screenings_say_so(client, db):
    add(db, household("H-2", "+14155550199"))
    sign_in(client, "viewer")
    html = client.get("/households/H-2").text
    assert "No screening yet." in html and "No escalation." in html
    assert "No attempt yet: its rounds are not planned yet, or no campaign selects it." in html
    assert "Not contacted" not in html


def test_households_a_screening_not_abnormal_is_not_flagged_never_called_normal(client, home):
    sign_in(client, "operator")
    html = client.get("/households/H-1").text
    assert "not flagged" in html and "abnormal: fever 38.9 °C" in html
    assert ">normal" not in html
