"""Sessions live on the server: the cookie carries a random id, and signing out, a password
change or disabling the user ends them, whatever copy of the cookie someone kept."""
from __future__ import annotations

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from campaigns.cli import main as cli
from campaigns.console import security
from campaigns.records.models import LoginSession, User, utcnow
from tests.campaigns.console.conftest import COOKIE, PASSWORD, cookie_payload, sign_in, with_cookie


def _works(app, cookie: str) -> bool:
    response = with_cookie(app, cookie).get("/campaigns", follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def _signed_in(app, name: str) -> tuple[str, str]:
    """A new browser signed in as `name`: its cookie and CSRF token."""
    with TestClient(app) as browser:
        token = sign_in(browser, name)
        return browser.cookies[COOKIE], token


def test_a_saved_cookie_no_longer_works_after_sign_out(console):
    cookie, token = _signed_in(console, "operator")
    other_cookie, _ = _signed_in(console, "operator")  # the same user in another browser
    assert _works(console, cookie)
    with_cookie(console, cookie).post("/logout", data={"csrf_token": token})
    assert not _works(console, cookie)
    assert _works(console, other_cookie)  # signing out ends this session only


def test_the_cookie_carries_a_random_session_id_kept_only_as_a_hash(console, db):
    cookie, _ = _signed_in(console, "viewer")
    payload = cookie_payload(cookie)
    assert "user_id" not in payload and len(payload["sid"]) >= 43
    with Session(db) as session:
        [row] = session.exec(select(LoginSession)).all()
        viewer = session.exec(select(User).where(User.name == "viewer")).one()
    assert (row.id_hash, row.user_id) == (security.token_hash(payload["sid"]), viewer.id)
    assert payload["sid"] not in row.id_hash


def test_each_sign_in_is_a_new_session_and_ends_the_browsers_old_one(console, client, db):
    sign_in(client, "viewer")
    first = client.cookies[COOKIE]
    sign_in(client, "operator")  # someone else at the same browser
    assert cookie_payload(client.cookies[COOKIE])["sid"] != cookie_payload(first)["sid"]
    assert not _works(console, first)
    with Session(db) as session:
        assert len(session.exec(select(LoginSession)).all()) == 1


def test_a_session_ends_twelve_hours_after_sign_in(console, db):
    cookie, _ = _signed_in(console, "viewer")
    with Session(db) as session:
        row = session.exec(select(LoginSession)).one()
        assert timedelta(hours=11, minutes=59) < row.expires_at - utcnow() <= timedelta(hours=12)
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert not _works(console, cookie)


def _cli(monkeypatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli(["users", *argv])


def test_a_password_change_ends_every_session_of_that_user(console, monkeypatch):
    cookies = [_signed_in(console, "operator")[0] for _ in range(2)]
    bystander, _ = _signed_in(console, "viewer")
    assert _cli(monkeypatch, "password", "operator", stdin="a brand new password\n") == 0
    assert [_works(console, cookie) for cookie in cookies] == [False, False]
    assert _works(console, bystander)
    with TestClient(console) as browser:
        sign_in(browser, "operator", "a brand new password")


def test_disabling_a_user_ends_their_sessions_and_enabling_does_not_revive_them(console, monkeypatch):
    cookie, _ = _signed_in(console, "operator")
    assert _cli(monkeypatch, "disable", "operator") == 0
    assert not _works(console, cookie)
    assert _cli(monkeypatch, "enable", "operator") == 0
    assert not _works(console, cookie)
    with TestClient(console) as browser:
        sign_in(browser, "operator", PASSWORD)
