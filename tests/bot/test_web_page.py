"""The residents' web page end to end, in real headless Chromium at a phone's size (390×844), on the
live Rasa and action servers: a household's link answered in English by buttons and in Mandarin by
typing, the rows exactly as answered; a help request; a walk-in who proves a phone number with the
code texted through the Twilio emulator, and one who chooses a community; an expired link's page."""
from __future__ import annotations

from pathlib import Path

from campaigns.outreach.campaign_file import load_campaign, spec_to_json

import itertools
import json
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from campaigns.records import links
from campaigns.records.models import Attempt, Campaign, Escalation, Household, Screening
from tests.bot.test_public_surface import code_in, send_codes
from tests.browser import Browser
from tests.campaigns.twilio_helpers import new_phone

_ids = itertools.count(1)
NOW = datetime.now(timezone.utc)


# The dispatcher of other tests on this database settles these links: a campaign it can read.
SPEC = spec_to_json(load_campaign(Path(__file__).resolve().parents[2] / "campaign-files" / "daily-fever-check.yml"))

def link_for(engine, *, language: str = "en", name: str = "Ana Diaz", members: int = 1,
             expires_at: datetime | None = None) -> tuple[str, str, str]:
    """A household with a placed chat-link attempt: (its link path, household id, conversation id)."""
    n = f"{time.time_ns() % 10**8}-{next(_ids)}"
    household, conversation = f"HW-{n}", f"HW-{n}:a1-{n[-6:]}"
    with Session(engine) as session:
        session.add(Household(id=household, phone=new_phone(), contact_name=name, members=members, language=language,
                              timezone="UTC", community="North"))
        if session.get(Campaign, "web-test") is None:
            session.add(Campaign(id="web-test", status="paused", spec_json=SPEC))  # a real file, never dialled
        session.flush()
        attempt = Attempt(campaign_id="web-test", household_id=household, day=date.today(), round_no=1,
                          channel="chat_link", due_at=NOW, status="dialing", conversation_id=conversation)
        session.add(attempt)
        session.flush()
        token = links.mint(session, attempt_id=attempt.id, expires_at=expires_at or NOW + timedelta(hours=12))
        session.commit()
    return f"/r/{token}", household, conversation


def rows(engine, **where) -> list[Screening]:
    with Session(engine) as session:
        query = select(Screening)
        for column, value in where.items():
            query = query.where(getattr(Screening, column) == value)
        return list(session.exec(query).all())


def phone_browser(downloads) -> Browser:
    """Chromium with a phone's viewport, 390×844 CSS pixels (a window alone cannot be that narrow)."""
    browser = Browser(downloads, width=390, height=844)
    browser.cdp("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
    return browser


@pytest.fixture
def phone(tmp_path):
    browser = phone_browser(tmp_path)
    yield browser
    browser.quit()


def bot_says(browser: Browser, words: str, seconds: float = 30) -> str:
    """Waits until the last message of the health office contains `words`."""
    def last():
        found = browser.run("var m = document.querySelectorAll('#log li.bot');"
                            "return m.length ? m[m.length - 1].textContent : '';")
        return found if words in found else None
    return browser.wait_for(last, seconds, what=f"the bot to say {words!r}")


def asks(browser: Browser, question: str, seconds: float = 30) -> None:
    """Waits until the page shows the buttons of `question` (the name the bot's reply gives it)."""
    browser.wait_for(lambda: browser.run("return document.body.dataset.question") == question, seconds,
                     what=f"the question {question!r}")


def answer(browser: Browser, text: str) -> None:
    browser.type("#answer", text)
    browser.click("#send")


def test_an_english_resident_answers_by_buttons_and_the_row_lands_exactly(live_server, live_db, phone):
    path, household, conversation = link_for(live_db)
    phone.go(live_server.url + path)
    bot_says(phone, "Is now a good time")
    assert phone.run("return document.documentElement.lang") == "en"
    assert phone.run("return getComputedStyle(document.body).fontSize") == "18px"
    assert phone.run("return window.innerWidth") == 390
    phone.click("#choices .yn button:first-child")  # Yes
    asks(phone, "temperature")
    for key in "37.2":
        phone.run("Array.from(document.querySelectorAll('#choices .grid button'))"
                  ".find(b => b.textContent === arguments[0]).click()", key)
    assert phone.run("return document.getElementById('answer').value") == "37.2"
    phone.click("#send")
    asks(phone, "symptoms")
    phone.click("#choices button[data-code=cough]")
    phone.click("#choices button[data-code=headache]")
    phone.click("#send-signs")
    asks(phone, "others_unwell")
    phone.click("#choices .yn button:last-child")  # No
    phone.wait_for(lambda: "close this page" in phone.text("#status"), 30, what="the end")
    [row] = rows(live_db, conversation_id=conversation)
    assert (row.household_id, row.temperature_c, row.temperature_said, row.symptoms, row.red_flags, row.outcome,
            row.abnormal) == (household, 37.2, "37.2", "cough;headache", "", "completed", True)
    phone.go(live_server.url + path)  # the link again: done, and nothing of the conversation shown
    assert "Your answers were received" in phone.text("main") and "37.2" not in phone.text("body")


def test_a_mandarin_resident_types_answers_and_asks_for_help(live_server, live_db, phone):
    path, household, conversation = link_for(live_db, language="zh", name="李雷")
    phone.go(live_server.url + path)
    assert "李雷" in bot_says(phone, "现在方便回答")
    assert phone.run("return document.documentElement.lang") == "zh" and phone.text("#send") == "发送"
    for text, question in (("可以", "temperature"), ("三十八度五", "symptoms"), ("咳嗽，嗓子疼", "others_unwell")):
        answer(phone, text)
        asks(phone, question)
    phone.click("#help")
    phone.click("#help-box button[data-category=medicine]")
    phone.type("#help-note", "降压药")
    phone.click("#help-send")
    bot_says(phone, "药品: 降压药")
    answer(phone, "没有")
    phone.wait_for(lambda: "关闭此页面" in phone.text("#status"), 30, what="the end")
    [row] = rows(live_db, conversation_id=conversation)
    assert (row.temperature_c, row.temperature_said, row.symptoms, row.outcome) == (
        38.5, "三十八度五", "cough;sore_throat", "completed")
    with Session(live_db) as session:
        kinds = {e.kind: e.detail for e in session.exec(select(Escalation).where(Escalation.household_id == household))}
    assert kinds["help_request"] == "asked for help: medicine; resident wrote: 降压药"
    assert "abnormal" in kinds


def test_the_language_switch_changes_the_page_and_the_bot(live_server, live_db, phone):
    path, _, conversation = link_for(live_db)
    phone.go(live_server.url + path)
    bot_says(phone, "Is now a good time")
    phone.click("#switch")
    assert phone.run("return document.documentElement.lang") == "zh" and phone.text("#send") == "发送"
    phone.wait_for(lambda: "好的，我们用中文" in phone.text("#log"), 30, what="the switch")  # then greets again
    bot_says(phone, "现在方便")
    phone.click("#choices .yn button:first-child")  # 是
    asks(phone, "temperature")
    assert "体温" in bot_says(phone, "体温")


def test_a_walk_in_proves_a_phone_number_with_a_texted_code(live_server, live_db, phone):
    number = new_phone()
    with Session(live_db) as session:
        session.add(Household(id=f"HW-proved-{number[-6:]}", phone=number, contact_name="Ben Okafor",
                              timezone="UTC", community="South"))
        session.commit()
    phone.go(live_server.url + "/report")
    phone.type("#phone", number)
    phone.click("#get-code")
    phone.wait_for(lambda: "texted you a code" in phone.text("#status"), 30, what="the code to be asked for")
    code = code_in(send_codes(live_server, live_db), number)
    phone.type("#code", code)
    phone.click("#confirm")
    assert "Ben Okafor" in bot_says(phone, "Is now a good time")
    for text, question in (("yes", "temperature"), ("36.6", "symptoms"), ("none", "others_unwell"), ("no", "")):
        answer(phone, text)
        asks(phone, question)
    phone.wait_for(lambda: rows(live_db, household_id=f"HW-proved-{number[-6:]}"), 30, what="the row")
    [row] = rows(live_db, household_id=f"HW-proved-{number[-6:]}")
    assert (row.temperature_c, row.symptoms, row.outcome, row.campaign_id) == (36.6, "", "completed", None)


def test_an_anonymous_walk_in_reports_in_the_community_it_chose(live_server, live_db, phone):
    link_for(live_db)  # a listed household in "North": the list of communities
    phone.go(live_server.url + "/report?c=North")
    assert phone.run("return document.getElementById('community').value") == "North"
    phone.click("#start-anon")
    bot_says(phone, "Is now a good time")
    sender = phone.run("return JSON.parse(document.getElementById('config').textContent).sender")
    for text, question in (("yes", "temperature"), ("36.9", "symptoms"), ("none", "others_unwell"), ("no", "")):
        answer(phone, text)
        asks(phone, question)
    phone.wait_for(lambda: rows(live_db, conversation_id=f"chat:{sender}"), 30, what="the row")
    [row] = rows(live_db, conversation_id=f"chat:{sender}")
    with Session(live_db) as session:
        household = session.get(Household, row.household_id)
    assert (row.temperature_c, household.walk_in, household.community, household.phone) == (36.9, True, "North", None)


def test_an_expired_link_shows_its_page_in_the_households_language(live_server, live_db, phone):
    path, _, conversation = link_for(live_db, language="zh", expires_at=NOW - timedelta(minutes=1))
    phone.go(live_server.url + path)
    assert "此链接已过期" in phone.text("main")
    assert phone.run("return document.querySelector('main a').getAttribute('href')") == "/report"
    assert rows(live_db, conversation_id=conversation) == []
