"""The printed lists: field visits and follow-ups, as pages laid out for A4 and as PDFs; phones
masked for viewers, printing for operators and supervisors, every read audited, times local."""
from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from campaigns.console import printing
from campaigns.console.app import create_app
from campaigns.phones import mask_phone
from campaigns.records.models import Attempt, AuditEntry, Campaign, Escalation
from campaigns.settings import get_settings
from tests import apt
from tests.campaigns.console.conftest import add_staff, sign_in
from tests.campaigns.engine_helpers import add, household, utc

DAY = date(2024, 3, 5)
PHONE, OTHER = "+14155550101", "+14155550102"
FONT_PACKAGES = ("fonts-dejavu-core", "fonts-droid-fallback")


@pytest.fixture(scope="module")
def fonts():
    """A Unicode font and a CJK fallback, as the README asks of a machine that prints; installed if missing."""
    found = printing.font_files()
    # The first CJK font printing looks for, a TrueType one: with only Noto CJK (a CFF collection,
    # which the browser tests install), pypdf reads fpdf2's Chinese back with a NUL before each character.
    if found.body is None or found.fallback != printing.FALLBACK_FONTS[0]:
        try:
            apt.install(*FONT_PACKAGES)
        except apt.AptError as error:
            pytest.fail(f"fonts for the PDFs could not be installed: {error}", pytrace=False)
        printing.font_files.cache_clear()
    return printing.font_files()


@pytest.fixture
def console(db, monkeypatch):
    """The console of an office in Shanghai."""
    monkeypatch.setenv("SCREENING_OFFICE_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    add_staff(db)
    return create_app(get_settings())


@pytest.fixture
def lists(db):
    """A day of c1: N1 and 王 not reached (N1 with an address), R1 reached; an open urgent case and an
    acknowledged abnormal one, named from the list; a resolved case."""
    add(db, Campaign(id="c1", spec_json="{}"),
        household("N1", PHONE, community="North", contact_name="Ana", address="2 Hill Rd", notes="blue door"),
        household("W1", OTHER, community="South", contact_name="王医生", member_names="王医生;李娜", members=2),
        household("R1", "+14155550103", community="North"))
    placed = utc(2024, 3, 5, 9)
    add(db, *(Attempt(campaign_id="c1", household_id=h, day=DAY, round_no=1, due_at=placed, placed_at=placed,
                      status=status) for h, status in (("N1", "no_answer"), ("W1", "busy"), ("R1", "completed"))))
    people = [{"index": 0, "name": None, "temperature_c": 38.6, "symptoms": ["cough"], "red_flags": ["chest_pain"]},
              {"index": 1, "name": None, "temperature_c": 37.9, "symptoms": [], "red_flags": []}]
    add(db, Escalation(household_id="W1", kind="urgent", severity="urgent", people=json.dumps(people),
                       created_at=utc(2024, 3, 5, 10)),
        Escalation(household_id="N1", kind="abnormal", severity="high", status="acknowledged", assigned_to="maria",
                   created_at=utc(2024, 3, 5, 8), people=json.dumps(people[1:])),
        Escalation(household_id="R1", kind="abnormal", severity="high", status="resolved", detail="Resolved Person"))
    return db


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S)))


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def pdf_words(body: bytes) -> str:
    """The PDF's text with its line breaks (a wrapped cell's among them) as spaces."""
    return " ".join(pdf_text(body).split())


def reads(engine) -> list[tuple[str, str, str, str]]:
    with Session(engine) as session:
        return [(e.user_name, e.action, e.target, e.detail or "") for e in session.exec(
            select(AuditEntry).where(AuditEntry.action.in_(("view", "export"))).order_by(AuditEntry.id))]


def test_field_visit_page_lists_the_unreached_per_community_in_office_time(client, lists):
    sign_in(client, "operator")
    response = client.get("/lists/field-visits?day=2024-03-05")
    text = text_of(response.text)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert re.findall(r"<h2>([^<]*)</h2>", response.text) == ["North", "South"]
    assert "N1 Ana " + PHONE + " 1 in household 2 Hill Rd blue door 17:00 no answer (voice)" in text
    assert "W1 王医生 " + OTHER in text and "R1" not in text and "2 households." in text
    assert "times in Asia/Shanghai" in text and "@page { size: A4" in response.text
    assert 'href="/lists/field-visits.pdf?day=2024-03-05"' in response.text


def test_field_visit_page_of_one_community_and_a_day_without_calls(client, lists):
    sign_in(client, "operator")
    assert re.findall(r"<h2>([^<]*)</h2>", client.get("/lists/field-visits?day=2024-03-05&community=South").text) \
        == ["South"]
    assert "No household to visit" in client.get("/lists/field-visits?day=2024-03-06").text


def test_follow_up_page_names_people_and_hides_resolved_cases(client, lists):
    sign_in(client, "supervisor")
    text = text_of(client.get("/lists/follow-ups").text)
    assert ("Taken by 2 abnormal 2024-03-05 16:00 N1 Ana " + PHONE + " 2 Hill Rd member 2 : 37.9 °C maria") in text
    assert "Taken by 1 urgent 2024-03-05 18:00 W1 王医生 " + OTHER in text
    assert "王医生 (contact) : 38.6 °C, cough, chest pain 李娜 : 37.9 °C open" in text
    assert "Resolved Person" not in text and "2 cases." in text


@pytest.mark.parametrize("path", ["/lists/field-visits?day=2024-03-05", "/lists/follow-ups"])
def test_viewers_see_masked_phones_and_no_print_links(client, lists, path):
    sign_in(client, "viewer")
    html = client.get(path).text
    assert PHONE not in html and OTHER not in html and mask_phone(OTHER) in html
    assert ".pdf" not in html and "window.print" not in html


@pytest.mark.parametrize("path", ["/lists/field-visits.pdf", "/lists/follow-ups.pdf"])
def test_viewers_may_not_take_the_pdfs(client, lists, path):
    sign_in(client, "viewer")
    assert client.get(path).status_code == 403


def test_field_visit_pdf_is_a4_with_the_households_in_any_script(client, lists, fonts):
    sign_in(client, "operator")
    response = client.get("/lists/field-visits.pdf?day=2024-03-05")
    reader = PdfReader(io.BytesIO(response.content))
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="field-visits-2024-03-05.pdf"'
    assert [round(float(page.mediabox.width) / 72 * 25.4) for page in reader.pages] == [210, 210]  # a page each
    assert [round(float(page.mediabox.height) / 72 * 25.4) for page in reader.pages] == [297, 297]
    text = pdf_words(response.content)
    assert "Field visits, 2024-03-05" in text and "2 Hill Rd" in text and PHONE in text
    assert "王医生" in text and "17:00 busy (voice)" in text and "R1" not in text


def test_follow_up_pdf_names_each_person(client, lists, fonts):
    sign_in(client, "supervisor")
    text = pdf_words(client.get("/lists/follow-ups.pdf?community=South").content)
    assert "王医生 (contact): 38.6 °C, cough, chest pain" in text and "李娜: 37.9 °C" in text
    assert "Ana" not in text and "community South" in text


def test_every_list_read_is_audited_with_what_it_showed(client, lists):
    sign_in(client, "operator")
    client.get("/lists/field-visits?day=2024-03-05&community=North")
    client.get("/lists/follow-ups")
    client.get("/lists/follow-ups.pdf?community=South")
    assert reads(lists) == [("operator", "view", "field visits", "day=2024-03-05&community=North"),
                            ("operator", "view", "follow-ups", ""),
                            ("operator", "export", "follow-ups", "community=South; pdf")]


def test_the_field_visit_day_defaults_to_the_office_today(client, lists):
    sign_in(client, "operator")
    client.get("/lists/field-visits")
    from campaigns.records import local_times

    today = local_times.today(local_times.zone("Asia/Shanghai")).isoformat()
    assert reads(lists)[-1][3] == f"day={today}"


@pytest.mark.parametrize("query", ["day=2024-13-01", "day=tomorrow", "day=2024-03-05T00", "community=" + "x" * 201])
def test_bad_parameters_are_a_4xx_with_a_message(client, lists, query):
    sign_in(client, "operator")
    for path in ("/lists/field-visits", "/lists/field-visits.pdf"):
        response = client.get(f"{path}?{query}")
        assert 400 <= response.status_code < 500 and ("is not a date" in response.text or "200" in response.text)


def test_a_pdf_too_long_for_one_request_is_refused_with_what_to_do(client, lists, monkeypatch):
    monkeypatch.setattr(printing, "MAX_ROWS", 1)
    sign_in(client, "operator")
    response = client.get("/lists/field-visits.pdf?day=2024-03-05")
    assert response.status_code == 400 and "choose one community" in response.text


def test_without_a_unicode_font_the_pdf_is_still_made(monkeypatch):
    monkeypatch.setattr(printing, "font_files", lambda: printing.FontFiles(None, None))
    body = printing.pdf_bytes(title="Follow-up list", subtitle="", columns=[printing.Column("Name", 190)],
                              sections=[printing.Section("North", [["Zoë 王"]])], empty="none")
    assert "Zoë ?" in pdf_text(body)


def test_long_cells_wrap_and_end_with_an_ellipsis(fonts):
    text = "word " * 400 + "\n" + "长" * 300
    body = printing.pdf_bytes(title="t", subtitle="s", columns=[printing.Column("A", 40), printing.Column("B", 150)],
                              sections=[printing.Section("North", [[text, "x\x00y"]])], empty="none")
    lines = pdf_text(body).splitlines()
    assert max(len(line) for line in lines) < 120 and any(line.endswith("…") for line in lines)
    assert "xy" in pdf_text(body) and "\x00" not in pdf_text(body)
