"""The residents' page routes on the live server, given bad input: forged, tampered, expired and
used links get their notice and a 4xx, never a conversation; bodies over the cap, bad JSON, unknown
categories and communities get a 4xx; nothing is recorded for any of them."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from campaigns.records.models import Attempt, CarrierEvent, Escalation
from tests.bot.test_web_page import link_for, rows

NOW = datetime.now(timezone.utc)


def get(url: str, language: str = "en") -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def post(url: str, body: bytes | dict) -> tuple[int, object]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text


def test_a_link_page_is_small_self_contained_and_keeps_its_token_to_itself(live_server, live_db):
    path, _, _ = link_for(live_db)
    status, page, headers = get(live_server.url + path)
    assert status == 200 and len(page.encode()) < 100_000
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"] and "unsafe-inline" not in page
    assert 'src="http' not in page and "<link" not in page  # nothing fetched from elsewhere


@pytest.mark.parametrize("token", ["x", "A" * 24, "A" * 23 + "!", "%00" * 8, "A" * 500, "..%2F..%2Fetc"])
def test_forged_tokens_get_a_404_notice_in_the_browsers_language(live_server, live_db, token):
    status, page, _ = get(f"{live_server.url}/r/{token}", language="zh-CN,zh;q=0.9")
    assert status == 404 and "此链接无效" in page
    for action in ("start", "say", "help"):
        status, body = post(f"{live_server.url}/r/{token}/{action}", {"message": "yes", "category": "food"})
        assert status == 404 and body["error"] == "forged", (action, body)


def test_a_tampered_token_is_forged_and_starts_nothing(live_server, live_db):
    path, _, conversation = link_for(live_db)
    token = path.removeprefix("/r/")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert get(f"{live_server.url}/r/{tampered}")[0] == 404
    assert post(f"{live_server.url}/r/{tampered}/say", {"message": "39"})[0] == 404
    assert rows(live_db, conversation_id=conversation) == []


def test_an_expired_link_answers_410_and_records_nothing(live_server, live_db):
    path, _, conversation = link_for(live_db, expires_at=NOW - timedelta(minutes=2))  # expiry is kept to the minute
    status, page, _ = get(live_server.url + path)
    assert status == 410 and "This link has expired" in page and 'href="/report"' in page
    status, body = post(f"{live_server.url}{path}/say", {"message": "39.5"})
    assert status == 410 and body["notice"]["title"] == "This link has expired"
    assert rows(live_db, conversation_id=conversation) == []


def test_a_used_link_answers_410_and_shows_nothing_of_the_household(live_server, live_db):
    path, household, conversation = link_for(live_db, name="Carla Mendes")
    url = live_server.url + path
    assert post(f"{url}/start", {})[0] == 200
    for answer in ("yes", "36.7", "none"):
        assert post(f"{url}/say", {"message": answer})[0] == 200
    status, body = post(f"{url}/say", {"message": "no"})
    assert (status, body["question"], body["done"]) == (200, None, True)
    status, page, _ = get(url)
    assert status == 410 and "Your answers were received" in page and "Carla" not in page and "36.7" not in page
    status, body = post(f"{url}/say", {"message": "hello"})
    assert status == 410 and body["error"] == "completed"
    assert len(rows(live_db, conversation_id=conversation)) == 1
    with Session(live_db) as session:  # for the dispatcher: opened, then ended (counted as reached)
        events = session.exec(select(CarrierEvent).join(Attempt, Attempt.id == CarrierEvent.attempt_id)
                              .where(Attempt.conversation_id == conversation).order_by(CarrierEvent.id)).all()
    assert [(e.status, e.carrier_ref.split("-")[0]) for e in events] == [("in_progress", "web"), ("completed", "web")]


def test_reloading_a_link_shows_the_open_question_again_without_a_second_greeting(live_server, live_db):
    path, _, _ = link_for(live_db)
    url = live_server.url + path
    status, first = post(f"{url}/start", {})
    assert status == 200 and first["question"] == "good_time"
    status, body = post(f"{url}/say", {"message": "yes"})
    assert body["question"] == "temperature"
    status, again = post(f"{url}/start", {})
    assert (status, again["messages"], again["question"]) == (200, body["messages"][-1:], "temperature")


def test_bad_bodies_get_a_4xx_and_lose_nothing(live_server, live_db):
    path, household, conversation = link_for(live_db)
    url = live_server.url + path
    assert post(f"{url}/start", {})[0] == 200
    assert post(f"{url}/say", b"x" * 5000)[0] == 413
    assert post(f"{url}/say", b"{not json")[0] == 400
    assert post(f"{url}/say", {"message": 38.5})[0] == 400
    assert post(f"{url}/help", {"category": "money"})[0] == 400
    status, body = post(f"{url}/say", {"message": "a" * 600})  # too long to be an answer: asked again
    assert status == 200 and body["question"] == "good_time" and "too long" in body["messages"][0]
    assert post(f"{live_server.url}/report/say", {"sender": "../../x", "message": "hi"})[0] == 400
    assert post(f"{live_server.url}/report/start", {"sender": "wabc123", "community": "Atlantis"})[0] == 400
    assert post(f"{live_server.url}/report/start", {"sender": ["x"]})[0] == 400
    assert rows(live_db, conversation_id=conversation) == []
    with Session(live_db) as session:
        assert session.exec(select(Escalation).where(Escalation.household_id == household)).all() == []


def test_a_conversation_over_its_rate_gets_429(live_server, live_db):
    path, _, _ = link_for(live_db)
    url = live_server.url + path
    statuses = [post(f"{url}/help", {"category": "nothing"})[0] for _ in range(14)]
    assert statuses[:10] == [400] * 10 and 429 in statuses[10:]
