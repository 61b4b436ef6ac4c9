"""The console end to end in headless Chromium (Debian's chromium, chromedriver and Noto CJK fonts,
installed by the test set-up when missing): sign in, resolve an urgent escalation, download an
export; the console in Chinese, with Chinese names drawn as text."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from campaigns.records.db import get_engine
from campaigns.console import users
from campaigns.records.models import Escalation, Household, Screening
from tests.browser import Browser
from tests.console_server import ConsoleServer

PASSWORD = "correct horse battery"
NOW = datetime.now(timezone.utc)


def seed(url: str) -> int:
    with Session(get_engine(url)) as session:
        users.add_user(session, name="maria", role="operator", password=PASSWORD)
        session.add(Household(id="H-1", phone="+14155550101", contact_name="Ana Diaz", community="North",
                              timezone="UTC"))
        session.add(Household(id="H-2", phone="+14155550102", contact_name="Ben Okafor", community="South",
                              timezone="UTC"))
        session.flush()
        for n, (household, temperature, urgent) in enumerate([("H-1", 39.4, True), ("H-2", 36.6, False)]):
            session.add(Screening(household_id=household, conversation_id=f"{household}:a{n}", channel="voice",
                                  started_at=NOW - timedelta(minutes=10), finished_at=NOW - timedelta(minutes=5),
                                  temperature_c=temperature, symptoms="", red_flags="chest_pain" if urgent else "",
                                  abnormal=urgent, urgent=urgent, outcome="completed"))
        escalation = Escalation(household_id="H-1", kind="urgent", severity="urgent", detail="red flags: chest_pain",
                                created_at=NOW - timedelta(minutes=5))
        session.add(escalation)
        session.commit()
        return escalation.id


@pytest.fixture
def browser(tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser = Browser(downloads)
    yield browser
    browser.quit()


def test_browser_sign_in_resolve_an_urgent_escalation_and_download_an_export(tmp_path, browser):
    url = f"sqlite:///{tmp_path}/console.db"
    escalation_id = seed(url)
    server = ConsoleServer(url, tmp_path / "console.log")
    try:
        browser.go(f"{server.url}/escalations")  # not signed in: sent to the login form, and back after
        browser.wait_for(lambda: "/login" in browser.url, what="the login form")
        browser.type("input[name=name]", "maria")
        browser.type("input[name=password]", PASSWORD)
        browser.click("button[type=submit]")
        browser.wait_for(lambda: browser.url.endswith("/escalations"), what="the queue after signing in")

        row = f"#escalation-{escalation_id}"
        assert "Ana Diaz" in browser.text(row) and "+14155550101" in browser.text(row)
        browser.click(f"{row} details summary")
        browser.type(f"{row} textarea[name=note]", "Called back; ambulance sent.")
        browser.click(f"{row} form[action$='/resolve'] button")
        browser.wait_for(lambda: "resolved" in browser.text("body").lower(), what="the resolved message")

        browser.go(f"{server.url}/results")
        browser.click("a[href^='/results/export.csv']")
        exported = list(csv.reader(browser.download(".csv").open(encoding="utf-8-sig")))
    finally:
        server.stop()

    with Session(get_engine(url)) as session:
        resolved = session.get(Escalation, escalation_id)
    assert (resolved.status, resolved.resolution_note) == ("resolved", "Called back; ambulance sent.")
    assert sorted(row[0] for row in exported[1:]) == ["H-1", "H-2"]


def seed_chinese(url: str) -> int:
    """A household whose names are Chinese, with an urgent case, and a member of staff whose console is in Chinese."""
    with Session(get_engine(url)) as session:
        users.add_user(session, name="王主任", role="operator", password=PASSWORD, language="zh")
        session.add(Household(id="H-8", phone="+8613800000008", contact_name="王医生", member_names="王医生;李娜",
                              members=2, community="东城区", timezone="Asia/Shanghai", language="zh"))
        session.flush()
        escalation = Escalation(household_id="H-8", kind="urgent", severity="urgent", detail="胸痛",
                                created_at=NOW - timedelta(minutes=5))
        session.add(escalation)
        session.commit()
        return escalation.id


def test_browser_shows_the_console_in_chinese_with_chinese_names_drawn_in_a_cjk_font(tmp_path, browser):
    url = f"sqlite:///{tmp_path}/console.db"
    escalation_id = seed_chinese(url)
    server = ConsoleServer(url, tmp_path / "console.log")
    try:
        browser.go(f"{server.url}/escalations")
        browser.wait_for(lambda: "/login" in browser.url, what="the login form")
        browser.type("input[name=name]", "王主任")
        browser.type("input[name=password]", PASSWORD)
        browser.click("button[type=submit]")
        browser.wait_for(lambda: browser.url.endswith("/escalations"), what="the queue after signing in")

        assert browser.run("return document.documentElement.lang") == "zh-Hans"
        row = f"#escalation-{escalation_id}"
        assert "王医生" in browser.text(row) and "紧急" in browser.text(row) and "待处理事项" in browser.text("h1")
        # What the reader sees: the browser drew the name's three characters in Noto CJK (the set-up installs
        # it), not as empty boxes, and in its Simplified Chinese face, as <html lang="zh-Hans"> asks.
        fonts = browser.fonts_of(f"{row} td:nth-child(5)")
        assert fonts.get("Noto Sans CJK SC") == 3, fonts

        browser.go(f"{server.url}/escalations/export.csv")
        exported = list(csv.DictReader(browser.download(".csv").open(encoding="utf-8-sig", newline="")))
    finally:
        server.stop()
    assert [(r["household_id"], r["contact_name"], r["community"]) for r in exported] == [("H-8", "王医生", "东城区")]
