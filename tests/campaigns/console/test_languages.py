"""The console in Chinese: every page for a user whose language is zh, and by the browser's
Accept-Language; English as it was; the language form; Chinese names on the pages; the API in codes."""
from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from campaigns.console import i18n, security, users
from campaigns.records.models import Attempt, AuditEntry, Escalation, Screening, User
from tests.campaigns.console.conftest import PASSWORD, api_token, csrf_of, sign_in
from tests.campaigns.console.test_lists import fonts  # noqa: F401  (a CJK font for the PDFs, installed if missing)
from tests.campaigns.engine_helpers import add, household, make_spec, start, utc

DAY = date(2024, 3, 5)
NAMES = ("王医生", "李娜", "张伟", "王主任", "东城区", "幸福路 8 号")  # the data: Chinese in any language
CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
# Each page, a word of its own in Chinese, and one in English.
PAGES = [
    ("/campaigns", "各社区异常率", "Abnormal rate per community"),
    ("/escalations", "待处理事项", "Refreshes every"),
    ("/results", "危险征象", "Red flags"),
    ("/households?q=H-", "最近筛查", "Last screening"),
    ("/households/H-1", "家庭成员", "Roster"),
    (f"/lists/field-visits?day={DAY}", "上门走访名单", "Visit outcome"),
    ("/lists/follow-ups", "随访名单", "People and readings"),
    (f"/reports/daily?day={DAY}", "计划联系户数", "Households targeted"),
    ("/audit", "操作日志", "Audit log"),
    ("/users", "吊销", "API tokens"),
    ("/households/H-404", "没有住户", "no household"),
    ("/nowhere", "找不到该页面", "Not Found"),
]
# What the records themselves write in English and the console shows as it is (see the README).
RECORDED_ENGLISH = {"/lists/follow-ups": {"contact"}}


@pytest.fixture
def chinese(db):
    """A campaign day in an office whose households have Chinese names: H-1 reached (王医生 urgent with a
    cough, a fever and chest pain; 李娜 not flagged) with an open urgent case; H-2 (张伟) not reached."""
    add(db, household("H-1", "+8613800000001", contact_name="王医生", member_names="王医生;李娜", members=2,
                      community="东城区", address="幸福路 8 号", language="zh"),
        household("H-2", "+8613800000002", contact_name="张伟", community="东城区", language="zh"))
    start(db, make_spec(), utc(2024, 3, 4, 8))
    placed = utc(2024, 3, 5, 9)
    add(db, *(Attempt(campaign_id="c1", household_id=h, day=DAY, round_no=1, due_at=placed, placed_at=placed,
                      status=status) for h, status in (("H-1", "completed"), ("H-2", "no_answer"))))
    finished = placed + timedelta(minutes=4)
    add(db, Screening(household_id="H-1", person_index=0, person_name="王医生", campaign_id="c1", channel="voice",
                      conversation_id="H-1:a", started_at=placed, finished_at=finished, temperature_c=38.6,
                      symptoms="cough;fever", red_flags="chest_pain", abnormal=True, urgent=True, outcome="completed"),
        Screening(household_id="H-1", person_index=1, person_name="李娜", campaign_id="c1", channel="voice",
                  conversation_id="H-1:a", started_at=placed, finished_at=finished, temperature_c=36.8,
                  symptoms="", red_flags="", abnormal=False, urgent=False, outcome="completed"),
        Escalation(household_id="H-1", kind="urgent", severity="urgent", detail="王医生 38.6 °C",
                   created_at=finished, people=json.dumps([{"index": 0, "name": "王医生", "temperature_c": 38.6}])))
    with Session(db) as session:
        users.add_user(session, name="王主任", role="supervisor", password=PASSWORD, language="zh")
        session.commit()
    return db


def visible(html: str) -> str:
    """A page's text as a reader sees it, without the language form (its choices name each language in itself)."""
    html = re.sub(r'<select name="language".*?</select>', "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)>.*?</\1>", "", html, flags=re.S)))


def ui_phrases() -> set[str]:
    """The console's own English phrases: catalogue ids without values or a vocabulary context."""
    from babel.messages.pofile import read_po

    with i18n.catalogue_path("zh").open("rb") as handle:
        catalog = read_po(handle)
    return {m.id for m in catalog if isinstance(m.id, str) and m.id and not m.context and "%(" not in m.id}


def untranslated(english: str, chinese: str, allowed: set[str]) -> list[str]:
    """Phrases of the English page still in English on the Chinese one (whole words, case kept)."""
    left = []
    for phrase in ui_phrases() - allowed:
        pattern = rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"
        if len(phrase) > 2 and re.search(pattern, english) and re.search(pattern, chinese):
            left.append(phrase)
    return sorted(left)


@pytest.mark.parametrize("path, chinese_word, english_word", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_is_in_chinese_for_a_user_whose_language_is_zh(client, chinese, path, chinese_word, english_word):
    english_page = _page(client, "supervisor", path)
    client.cookies.clear()
    page = _page(client, "王主任", path, headers={"Accept-Language": "en-US,en;q=0.9"})  # their own setting wins
    assert '<html lang="zh-Hans">' in page and chinese_word in page and english_word not in visible(page)
    assert untranslated(visible(english_page), visible(page), RECORDED_ENGLISH.get(path, set())) == []


@pytest.mark.parametrize("path, chinese_word, english_word", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_is_in_chinese_when_the_browser_asks_for_it(client, chinese, path, chinese_word, english_word):
    page = _page(client, "supervisor", path, headers=CHINESE_BROWSER)
    assert '<html lang="zh-Hans">' in page and chinese_word in page and english_word not in visible(page)


@pytest.mark.parametrize("path, chinese_word, english_word", PAGES, ids=[p[0] for p in PAGES])
def test_english_pages_are_unchanged(client, chinese, path, chinese_word, english_word):
    page = _page(client, "supervisor", path, headers={"Accept-Language": "en-GB,fr;q=0.8"})
    text = visible(page)
    for name in (*NAMES, *map(i18n.display_name, i18n.languages())):  # a language is named in itself
        text = text.replace(name, "")
    assert '<html lang="en">' in page and english_word in text
    assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", text), text  # no Chinese but the data's


def test_the_queue_rows_refresh_in_the_users_language(client, chinese):
    sign_in(client, "王主任")
    rows = client.get("/escalations/rows").text
    assert "王医生" in rows and "紧急" in rows and " 天 " in rows and "urgent" not in visible(rows)


def test_chinese_names_show_on_the_pages(client, chinese):
    sign_in(client, "operator")
    assert "王医生" in client.get("/escalations").text
    household = client.get("/households/H-1").text
    assert "王医生" in household and "李娜" in household and "幸福路 8 号" in household
    results = client.get("/results").text
    assert "王医生" in results and "李娜" in results
    assert "张伟" in client.get(f"/lists/field-visits?day={DAY}").text
    assert "王医生" in client.get("/lists/follow-ups").text and "东城区" in client.get("/campaigns").text


def test_the_household_page_names_codes_in_chinese_words(client, chinese):
    sign_in(client, "王主任")
    text = visible(client.get("/households/H-1").text)
    assert "王医生（联系人）" in text and "咳嗽、发热" in text and "胸痛" in text
    assert "紧急" in text and "未标记" in text and "正常" not in text  # never "normal"
    assert "已接通" in text and "电话" in text and "首次" in text


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("zh-TW", "zh"), ("zh-Hans", "zh"), ("ZH_cn", "zh"),
    ("en-US,en;q=0.9,zh;q=0.8", "en"), ("en;q=0.5, zh;q=0.9", "zh"), ("fr, zh;q=0.5", "zh"), ("fr, de", "en"),
    ("zh;q=0, en", "en"), ("zh;q=abc", "en"), ("zh;q=2", "en"), ("*", "en"), ("", "en"), (None, "en"),
    ("x" * 5000 + ",zh", "en"), ("zh;q=0.3, en;q=0.3", "zh"),
], ids=["chrome-zh", "zh-TW", "zh-Hans", "odd-case", "chrome-en", "q-order", "skip-unknown", "none-known",
        "q-zero", "bad-q", "q-too-high", "star", "blank", "absent", "too-long", "tie-first"])
def test_accept_language_picks_the_preferred_language_the_console_has(header, expected):
    assert i18n.from_accept_language(header) == expected


def test_the_login_page_follows_the_browser(client, chinese):
    assert '<html lang="zh-Hans">' in client.get("/login", headers=CHINESE_BROWSER).text
    page = client.get("/login", headers={"Accept-Language": "en;q=0.5, zh;q=0.9"}).text
    assert "登录" in page and "密码" in page
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "zh;q=0, en"}).text
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"name": "王主任", "password": "wrong password!", "csrf_token": token},
                        headers=CHINESE_BROWSER)
    assert wrong.status_code == 401 and "用户名或密码错误。" in wrong.text


def test_a_user_sets_their_own_language_with_the_form(client, chinese):
    csrf = sign_in(client, "viewer")
    assert '<html lang="en">' in client.get("/results").text
    done = client.post("/account/language", data={"language": "zh", "next": "/results?abnormal=1",
                                                  "csrf_token": csrf}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/results?abnormal=1")
    page = client.get("/results?abnormal=1").text
    assert '<html lang="zh-Hans">' in page and "控制台语言已设为中文。" in page
    assert _language_of(chinese, "viewer") == "zh"
    client.post("/account/language", data={"language": "auto", "next": "/", "csrf_token": csrf})
    assert _language_of(chinese, "viewer") is None
    assert '<html lang="en">' in client.get("/results").text
    assert '<html lang="zh-Hans">' in client.get("/results", headers=CHINESE_BROWSER).text
    with Session(chinese) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "language")).all()
    assert [(e.user_name, e.target, e.detail) for e in entries] == [("viewer", "user viewer", "zh"),
                                                                    ("viewer", "user viewer", "auto")]


@pytest.mark.parametrize("form, status", [
    ({"language": "fr"}, 400), ({"language": "zh\x00"}, 400), ({"language": "zh", "csrf_token": "forged"}, 403),
], ids=["unknown", "nul", "forged-csrf"])
def test_the_language_form_refuses_what_it_cannot_take(client, chinese, form, status):
    csrf = sign_in(client, "viewer")
    response = client.post("/account/language", data={"csrf_token": csrf, **form}, follow_redirects=False)
    assert response.status_code == status and response.text.strip()
    assert _language_of(chinese, "viewer") is None


def test_the_language_form_needs_a_user_and_goes_nowhere_else(client, chinese):
    response = client.post("/account/language", data={"language": "zh"}, follow_redirects=False)
    assert response.status_code in (303, 403) and _language_of(chinese, "viewer") is None
    csrf = sign_in(client, "viewer")
    away = client.post("/account/language", data={"language": "zh", "next": "//evil.example/", "csrf_token": csrf},
                       follow_redirects=False)
    assert away.headers["location"] == "/"


def test_messages_and_errors_are_in_the_readers_language(client, chinese):
    csrf = sign_in(client, "王主任")
    escalation = _escalation_id(chinese)
    refused = client.post(f"/escalations/{escalation}/resolve", data={"note": " ", "csrf_token": csrf})
    assert refused.status_code == 400 and "请填写处理结果" in refused.text
    done = client.post(f"/escalations/{escalation}/acknowledge", data={"csrf_token": csrf})  # back to the queue
    assert f"事项 {escalation} 已接手。" in done.text and "已接手" in visible(done.text)
    assert "请按 YYYY-MM-DD 格式填写" in client.get("/lists/field-visits?day=tomorrow").text
    assert "此操作需要" not in client.get("/users").text
    csrf = sign_in(client, "viewer")
    client.post("/account/language", data={"language": "zh", "csrf_token": csrf})
    assert "此操作需要 supervisor 角色" in client.get("/users").text


def test_the_api_speaks_codes_and_english_whatever_the_language(client, chinese):
    token = api_token(chinese, "王主任")
    headers = {"Authorization": f"Bearer {token}", **CHINESE_BROWSER}
    item = client.get("/api/v1/escalations", headers=headers).json()["items"][0]
    assert (item["kind"], item["severity"], item["status"], item["contact_name"]) == ("urgent", "urgent", "open",
                                                                                    "王医生")
    assert client.get("/api/v1/households/H-404", headers=headers).json() == {"detail": "no household 'H-404'"}
    missing = client.post("/api/v1/escalations/999/resolve", headers=headers, json={"note": "x"})
    assert missing.json() == {"detail": "there is no escalation 999"}


def test_every_console_route_still_needs_its_role_in_chinese(client, chinese):
    sign_in(client, "viewer")
    for path in ("/audit", "/users", "/results/export.csv", "/lists/follow-ups.pdf"):
        response = client.get(path, headers=CHINESE_BROWSER)
        assert response.status_code == 403 and "此操作需要" in response.text, path


def _page(client, name: str, path: str, headers: dict | None = None) -> str:
    sign_in(client, name)
    return client.get(path, headers=headers or {}).text


def _language_of(engine, name: str):
    with Session(engine) as session:
        return session.exec(select(User.language).where(User.name == name)).one()


def _escalation_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(Escalation.id)).one()


def test_the_lists_pdfs_are_in_the_readers_language(client, chinese, fonts):
    sign_in(client, "王主任")
    body = client.get(f"/lists/field-visits.pdf?day={DAY}").content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "上门走访名单" in text and "张伟" in text and "无人接听" in text and "Visit outcome" not in text


def test_a_database_made_before_users_had_a_language_gets_the_column(tmp_path, monkeypatch):
    """users.language is added to an older database (records/migrations, revision 0002): its users sign in
    as before, follow their browser until they choose, and can choose."""
    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from campaigns.console.app import create_app
    from campaigns.records.db import get_engine
    from campaigns.records.migrations import baseline
    from campaigns.settings import get_settings

    url = f"sqlite:///{tmp_path}/old.db"
    old = sa.create_engine(url, future=True)
    baseline.metadata().create_all(old)
    assert "language" not in {c["name"] for c in sa.inspect(old).get_columns("users")}
    with old.begin() as connection:
        connection.execute(sa.text("INSERT INTO users (name, role, password_hash, active, created_at) "
                                   "VALUES ('maria', 'operator', :hash, 1, '2024-03-01 00:00:00')"),
                           {"hash": security.hash_password(PASSWORD)})
    old.dispose()
    monkeypatch.setenv("SCREENING_DATABASE_URL", url)
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        csrf = sign_in(client, "maria")
        assert '<html lang="zh-Hans">' in client.get("/results", headers=CHINESE_BROWSER).text
        client.post("/account/language", data={"language": "zh", "csrf_token": csrf})
        assert '<html lang="zh-Hans">' in client.get("/results").text
    assert _language_of(get_engine(url), "maria") == "zh"
    get_settings.cache_clear()
