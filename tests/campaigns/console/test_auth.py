"""Signing in, sessions, CSRF, roles and API tokens."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from campaigns.console import security
from campaigns.records.models import AuditEntry
from tests.campaigns.console.conftest import PASSWORD, api_token, csrf_of, sign_in


def test_auth_pages_redirect_to_login_and_api_answers_401_without_a_user(client):
    page = client.get("/campaigns", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/campaigns")
    api = client.get("/api/v1/escalations")
    assert (api.status_code, api.json()) == (401, {"detail": "sign in or send a bearer token"})


def test_auth_sign_in_with_the_right_password_only(client, db):
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"name": "viewer", "password": "not the password", "csrf_token": token})
    assert wrong.status_code == 401 and "Wrong name or password." in wrong.text
    unknown = client.post("/login", data={"name": "nobody", "password": PASSWORD, "csrf_token": token})
    assert unknown.status_code == 401 and "Wrong name or password." in unknown.text
    sign_in(client, "viewer")
    assert client.get("/campaigns").status_code == 200
    with Session(db) as session:
        assert [(e.user_name, e.action) for e in session.exec(select(AuditEntry))] == [
            ("viewer", "login failed"), ("nobody", "login failed"), ("viewer", "login")]


def test_auth_login_form_without_its_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"name": "viewer", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403 and "did not come from this site" in response.text


def test_auth_sign_out_needs_the_csrf_token(client):
    token = sign_in(client, "viewer")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/campaigns", follow_redirects=False).status_code == 200  # still signed in
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/campaigns", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("next_url, lands", [("/escalations", "/escalations"), ("https://evil.example/", "/"),
                                              ("//evil.example/", "/")], ids=["local", "absolute", "scheme-relative"])
def test_auth_login_next_stays_on_this_site(client, next_url, lands):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": "viewer", "password": PASSWORD, "csrf_token": token,
                                           "next": next_url}, follow_redirects=False)
    assert response.headers["location"] == lands


def test_auth_api_token_works_and_a_wrong_one_does_not(client, db):
    token = api_token(db, "operator")
    assert client.get("/api/v1/escalations", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/escalations", headers={"Authorization": "Bearer scr_wrong"}).status_code == 401


@pytest.mark.parametrize("password, ok", [(PASSWORD, True), ("correct horse batterY", False), ("", False)])
def test_auth_password_hash_verifies_only_the_password(password, ok):
    stored = security.hash_password(PASSWORD)
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert security.verify_password(password, stored) is ok


def test_auth_openapi_describes_the_json_api_only(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert paths and all(path.startswith("/api/v1/") for path in paths)


PUBLIC = {"/login", "/api/openapi.json", "/api/docs", "/docs/oauth2-redirect"}


def test_auth_every_route_but_login_turns_away_a_request_without_a_user(console, client, db):
    """Walks every route the app has, so a new one that forgets its dependency fails here."""
    from fastapi.routing import APIRoute
    from sqlmodel import Session

    from campaigns.records.models import Escalation, Household

    with Session(db) as session:
        session.add(Household(id="H-1", phone="+14155550101", contact_name="Ana"))
        session.flush()
        session.add(Escalation(id=1, household_id="H-1", kind="urgent", severity="urgent", detail="x"))
        session.commit()
    routes = [r for r in console.routes if isinstance(r, APIRoute) and r.path not in PUBLIC]
    assert len(routes) >= 20
    for route in routes:
        path = route.path_format.format(escalation_id="1", household_id="H-1", name="viewer", token_id="1")
        for method in route.methods:
            response = client.request(method, path, follow_redirects=False)
            assert response.status_code in (303, 401, 403), (method, path, response.status_code)
            assert "4155550101" not in response.text and "Ana" not in response.text, (method, path)

