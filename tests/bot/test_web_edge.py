"""The residents' page's routes before any conversation, fast: the real channel blueprint on a real
Sanic server in this process, on a fresh database, with no model. Forged, expired and used links
get their notice (404 or 410) in the right language; bodies over the cap, bad JSON, bad senders,
unknown communities and help categories get a 4xx; an address over its rate gets 429."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone

import pytest
from sanic import Sanic
from sqlmodel import Session

from bot.channels import storage, web_records
from bot.channels.edge import RateLimiter
from bot.channels.web import WebInput
from campaigns.records import links
from campaigns.records.models import Attempt, Campaign, Household, Screening

NOW = datetime.now(timezone.utc)


class EdgeServer:
    """The `web` channel's blueprint served by Sanic on 127.0.0.1, in a thread of its own (one per
    process: Sanic 21 cannot start a second app in a process)."""

    def __init__(self, channel: WebInput) -> None:
        self.channel = channel
        self.app = Sanic("web_edge")
        self.app.blueprint(channel.blueprint(lambda message: None), url_prefix=channel.url_prefix())
        self.app.ctx.agent = None  # no route tried here reaches the bot
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(30)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            self.app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False))
        self.loop.run_until_complete(self.server.startup())
        ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def get(self, path: str, language: str = "en") -> tuple[int, str, dict]:
        request = urllib.request.Request(self.url + path, headers={"Accept-Language": language})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def post(self, path: str, body: bytes | dict) -> tuple[int, dict]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url + path, data=data), timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def edge_server():
    server = EdgeServer(WebInput(per_conversation=20, per_address=10_000))
    yield server
    server.stop()


@pytest.fixture
def web(edge_server, db):
    """The server, on this test's fresh database (read through the settings on every request)."""
    web_records._communities = (0.0, ())  # kept a minute, and attempts' contexts for good: not another
    storage._CONTEXTS.clear()  # test's database's
    edge_server.channel.addresses = RateLimiter(per_minute=10_000, burst=10_000)
    yield edge_server


def link(db, *, language: str = "en", expires_at: datetime | None = None, outcome: str | None = None) -> str:
    with Session(db) as session:
        session.add(Household(id="H-1", phone="+14155550101", contact_name="Ana Diaz", language=language,
                              timezone="UTC", community="North"))
        session.add(Household(id="H-2", phone="+14155550102", timezone="UTC", community="South"))
        session.add(Campaign(id="c1", status="paused", spec_json=json.dumps({"language": "en"})))  # not dialled
        session.flush()
        attempt = Attempt(campaign_id="c1", household_id="H-1", day=date.today(), round_no=1, channel="chat_link",
                          due_at=NOW, status="dialing", conversation_id="H-1:a1-abc")
        session.add(attempt)
        if outcome:
            session.add(Screening(household_id="H-1", conversation_id="H-1:a1-abc", started_at=NOW, finished_at=NOW,
                                  temperature_c=36.6, outcome=outcome))
        session.flush()
        token = links.mint(session, attempt_id=attempt.id, expires_at=expires_at or NOW + timedelta(hours=1))
        session.commit()
    return f"/r/{token}"


@pytest.mark.parametrize("language, title", [("en-GB,en;q=0.9", "This link does not work"), ("zh-CN", "此链接无效")])
def test_a_forged_link_gets_a_404_page_in_the_browsers_language(web, db, language, title):
    status, page, headers = web.get("/r/" + "A" * 24, language=language)
    assert status == 404 and title in page and 'href="/report"' in page
    assert headers["Referrer-Policy"] == "no-referrer" and "default-src 'none'" in headers["Content-Security-Policy"]


def test_an_expired_link_gets_a_410_page_in_the_households_language(web, db):
    path = link(db, language="zh", expires_at=NOW - timedelta(minutes=1))
    status, page, _ = web.get(path, language="en")
    assert status == 410 and "此链接已过期" in page and "Ana" not in page
    status, body = web.post(path + "/say", {"message": "39"})
    assert status == 410 and body["error"] == "expired" and body["notice"]["title"] == "此链接已过期"


def test_a_used_link_gets_a_410_page_without_the_households_data(web, db):
    path = link(db, outcome="completed")
    status, page, _ = web.get(path)
    assert status == 410 and "Your answers were received" in page and "Ana" not in page and "36.6" not in page
    assert web.post(path + "/start", {})[0] == 410


def test_a_good_link_gets_the_page_and_bad_calls_get_a_4xx(web, db):
    path = link(db)
    status, page, _ = web.get(path)
    assert status == 200 and '<html lang="en">' in page and len(page.encode()) < 100_000 and "Ana" not in page
    assert web.post(path + "/say", b"x" * 5000)[0] == 413
    assert web.post(path + "/say", b"{not json")[0] == 400
    assert web.post(path + "/say", {"message": ["a list"]})[0] == 400
    assert web.post(path + "/help", {"category": "money"})[0] == 400
    tampered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert web.post(tampered + "/say", {"message": "39"}) == (404, {"error": "forged", "notice": {
        "title": "This link does not work",
        "text": "Please check that you opened the whole link from the text message. You can also report on the "
                "self-report page."}})


def test_walk_in_calls_check_the_sender_and_the_community(web, db):
    link(db)  # households in North and South: the list
    for sender in (None, "", "a" * 65, "../x", 7):
        assert web.post("/report/start", {"sender": sender})[0] == 400
    assert web.post("/report/start", {"sender": "wabc", "community": "Atlantis"}) == (
        400, {"error": "community: one of the page's list"})
    assert web.post("/report/help", {"sender": "wabc", "category": "cash"})[0] == 400


def test_the_walk_in_page_lists_the_communities_and_keeps_only_a_listed_choice(web, db):
    link(db)
    status, page, _ = web.get("/report?c=South", language="zh-CN,zh;q=0.9")
    config = json.loads(page.split('<script type="application/json" id="config">')[1].split("</script>")[0])
    assert status == 200 and '<html lang="zh">' in page
    assert (config["communities"], config["community"], config["mode"]) == (["North", "South"], "South", "walk_in")
    assert config["sender"].startswith("w") and len(config["sender"]) > 16
    other = json.loads(web.get("/report?c=Atlantis")[1].split('id="config">')[1].split("</script>")[0])
    assert other["community"] == "" and other["sender"] != config["sender"]


def test_an_address_over_its_rate_gets_429(web):
    web.channel.addresses = RateLimiter(per_minute=1, burst=5)
    statuses = [web.get("/r/x")[0] for _ in range(7)]
    assert statuses == [404] * 5 + [429, 429]
    status, body = web.post("/report/start", {"sender": "wabc"})
    assert status == 429 and "try again" in body["error"]
