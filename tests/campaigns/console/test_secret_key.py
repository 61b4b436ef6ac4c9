"""The key that signs session cookies: never the public default, kept across restarts, and no
public address without a key of one's own."""
from __future__ import annotations

import os
import subprocess
import sys

import itsdangerous
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from campaigns.console.__main__ import main
from campaigns.console.app import create_app
from campaigns.records.models import ConsoleKey, User
from campaigns.settings import DEFAULT_SECRET, get_settings
from tests.campaigns.console.conftest import COOKIE, add_staff, cookie_payload, forge_cookie, sign_in, with_cookie
from tests.live import ROOT, free_port


def _user_id(db, name: str) -> int:
    with Session(db) as session:
        return session.exec(select(User.id).where(User.name == name)).one()


def test_a_cookie_forged_with_the_default_key_opens_nothing(console, client, db):
    sign_in(client, "supervisor")
    real = client.cookies[COOKIE]
    assert with_cookie(console, real).get("/audit", follow_redirects=False).status_code == 200
    forged = [forge_cookie(cookie_payload(real), DEFAULT_SECRET),  # the live session, re-signed with the public key
              forge_cookie({"user_id": _user_id(db, "supervisor")}, DEFAULT_SECRET)]
    for cookie in forged:
        response = with_cookie(console, cookie).get("/audit", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login?next=/audit")


def test_the_default_key_is_replaced_by_a_random_one_kept_across_restarts(db):
    assert get_settings().secret_key == DEFAULT_SECRET and get_settings().environment == "development"
    first = create_app(get_settings())
    add_staff(db)
    with TestClient(first) as browser:
        sign_in(browser, "operator")
        cookie = browser.cookies[COOKIE]
    with Session(db) as session:
        [key] = session.exec(select(ConsoleKey)).all()
    assert key.value != DEFAULT_SECRET and len(key.value) >= 43
    itsdangerous.TimestampSigner(key.value).unsign(cookie)  # signed with the stored key
    restarted = create_app(get_settings())  # a restart: the same key, so the session lives on
    assert with_cookie(restarted, cookie).get("/campaigns", follow_redirects=False).status_code == 200
    with Session(db) as session:
        assert len(session.exec(select(ConsoleKey)).all()) == 1


def test_a_key_of_ones_own_signs_the_cookie_and_none_is_stored(db, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "a key of our own, long and random enough")
    get_settings.cache_clear()
    app = create_app(get_settings())
    add_staff(db)
    with TestClient(app) as browser:
        sign_in(browser, "viewer")
        itsdangerous.TimestampSigner("a key of our own, long and random enough").unsign(browser.cookies[COOKIE])
    with Session(db) as session:
        assert session.exec(select(ConsoleKey)).all() == []


@pytest.fixture
def served(db, monkeypatch):
    """What `python -m campaigns.console` would serve: uvicorn.run's calls, nothing served for real."""
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setenv("SCREENING_ENVIRONMENT", "development")
    monkeypatch.delenv("SCREENING_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "console.example.org", "[::]"])
def test_main_refuses_a_public_address_with_the_default_key(served, capsys, host):
    assert main(["--host", host]) == 1 and served == []
    err = capsys.readouterr().err
    assert f"will not serve {host} with the default secret key" in err and "SCREENING_SECRET_KEY" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_main_serves_loopback_with_the_default_key(served, host):
    assert main(["--host", host]) == 0 and served[0]["host"] == host


def test_main_serves_a_public_address_with_a_key_of_ones_own(served, monkeypatch):
    monkeypatch.setenv("SCREENING_SECRET_KEY", "a key of our own, long and random enough")
    get_settings.cache_clear()
    assert main(["--host", "0.0.0.0"]) == 0 and served[0]["host"] == "0.0.0.0"


def test_python_m_console_on_all_addresses_without_a_key_exits_with_a_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_DATABASE_URL=f"sqlite:///{tmp_path}/console.db", SCREENING_ENVIRONMENT="development")
    done = subprocess.run([sys.executable, "-m", "campaigns.console", "--host", "0.0.0.0", "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "will not serve 0.0.0.0 with the default secret key" in done.stderr
