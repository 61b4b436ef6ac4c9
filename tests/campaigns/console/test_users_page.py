"""The users page, for supervisors: every user with their state and API tokens; disable, enable,
unlock and revoke, each audited and each behind the CSRF token."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from campaigns.console import users
from campaigns.records.models import AuditEntry, User
from tests.campaigns.console.conftest import COOKIE, PASSWORD, api_token, csrf_of, sign_in, with_cookie


def _changes(db) -> list[tuple[str, str, str, str]]:
    with Session(db) as session:
        changes = select(AuditEntry).where(AuditEntry.action.not_in(("login", "view", "login failed")))
        return [(e.user_name, e.action, e.target, e.detail or "") for e in session.exec(changes.order_by(AuditEntry.id))]


def _active(db, name: str) -> bool:
    with Session(db) as session:
        return session.exec(select(User.active).where(User.name == name)).one()


def _api_ok(client: TestClient, token: str) -> bool:
    return client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_users_page_is_for_supervisors_only(client, db, role):
    token = sign_in(client, role)
    assert client.get("/users").status_code == 403
    assert client.post("/users/viewer/disable", data={"csrf_token": token}).status_code == 403
    assert _active(db, "viewer") and _changes(db) == []


def test_users_page_lists_users_state_and_tokens(client, db):
    token = api_token(db, "operator")
    _api_ok(client, token)
    sign_in(client, "supervisor")
    html = client.get("/users").text
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr id="user-([^"]+)">.*?</tr>', html, re.S)}
    assert set(rows) == {"operator", "supervisor", "viewer"}
    assert "operator" in rows["operator"] and "active" in rows["operator"]
    assert re.search(r"test \d+", rows["operator"]) and "never" not in rows["operator"]  # used just now
    assert 'action="/users/operator/tokens/1/revoke"' in rows["operator"]
    assert 'action="/users/viewer/disable"' in rows["viewer"]
    assert 'action="/users/supervisor/disable"' not in rows["supervisor"]  # not oneself


def test_disable_from_the_page_ends_sessions_and_tokens_and_is_audited(console, client, db):
    with TestClient(console) as operator:
        sign_in(operator, "operator")
        cookie = operator.cookies[COOKIE]
    bearer = api_token(db, "operator")
    token = sign_in(client, "supervisor")
    response = client.post("/users/operator/disable", data={"csrf_token": token}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/users")
    assert "Disabled operator" in client.get("/users").text
    assert not _active(db, "operator")
    assert with_cookie(console, cookie).get("/campaigns", follow_redirects=False).status_code == 303
    assert not _api_ok(client, bearer)
    client.post("/users/operator/enable", data={"csrf_token": token})
    assert _active(db, "operator") and _api_ok(client, bearer)
    assert _changes(db) == [("supervisor", "disable", "user operator", ""),
                            ("supervisor", "enable", "user operator", "")]


def test_a_supervisor_cannot_disable_themselves(client, db):
    token = sign_in(client, "supervisor")
    response = client.post("/users/supervisor/disable", data={"csrf_token": token})
    assert response.status_code == 409 and "you cannot disable your own account" in response.text
    assert _active(db, "supervisor") and _changes(db) == []


def test_unlock_from_the_page(console, client, db):
    with TestClient(console) as guesser:
        token = csrf_of(guesser.get("/login").text)
        for _ in range(5):
            guesser.post("/login", data={"name": "viewer", "password": "guess guess", "csrf_token": token})
    csrf = sign_in(client, "supervisor")
    assert "locked" in re.search(r'<tr id="user-viewer">.*?</tr>', client.get("/users").text, re.S).group(0)
    client.post("/users/viewer/unlock", data={"csrf_token": csrf})
    with TestClient(console) as viewer:
        sign_in(viewer, "viewer")
    assert _changes(db) == [("supervisor", "unlock", "user viewer", "")]


def test_revoke_one_token_or_all_from_the_page(client, db):
    first, second, third = (api_token(db, "operator") for _ in range(3))
    csrf = sign_in(client, "supervisor")
    client.post("/users/operator/tokens/1/revoke", data={"csrf_token": csrf})
    assert [_api_ok(client, t) for t in (first, second, third)] == [False, True, True]
    client.post("/users/operator/tokens/revoke", data={"csrf_token": csrf})
    assert [_api_ok(client, t) for t in (first, second, third)] == [False, False, False]
    assert [(what, target) for _, what, target, _ in _changes(db)] == [("revoke token", "user operator")] * 3


def test_revoking_another_users_token_through_the_wrong_name_is_404(client, db):
    token = api_token(db, "operator")
    csrf = sign_in(client, "supervisor")
    response = client.post("/users/viewer/tokens/1/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404 and "viewer has no token 1" in response.text and _api_ok(client, token)


@pytest.mark.parametrize("path", ["/users/viewer/disable", "/users/viewer/enable", "/users/viewer/unlock",
                                  "/users/viewer/tokens/1/revoke", "/users/viewer/tokens/revoke"])
def test_users_forms_need_the_csrf_token(client, db, path):
    sign_in(client, "supervisor")
    assert client.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert _active(db, "viewer") and _changes(db) == []


def test_users_page_works_with_names_in_any_script(client, db):
    with Session(db) as session:
        users.add_user(session, name="王医生", role="viewer", password=PASSWORD)
        session.commit()
    csrf = sign_in(client, "supervisor")
    assert 'id="user-王医生"' in client.get("/users").text
    client.post(f"/users/{quote('王医生')}/disable", data={"csrf_token": csrf})
    assert not _active(db, "王医生")
    assert _changes(db) == [("supervisor", "disable", "user 王医生", "")]


def test_unknown_user_is_404(client):
    csrf = sign_in(client, "supervisor")
    response = client.post("/users/nobody/disable", data={"csrf_token": csrf})
    assert response.status_code == 404 and "no user named &#39;nobody&#39;" in response.text
