"""A console over a fresh database, with one user of each role, and a way to sign in."""
from __future__ import annotations

import base64
import itertools
import json
import re

import itsdangerous
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from campaigns.console import users
from campaigns.console.app import create_app
from campaigns.settings import get_settings

PASSWORD = "correct horse battery"
ROLES = ("viewer", "operator", "supervisor")
COOKIE = "screening_console"
_labels = itertools.count(1)


def add_staff(engine) -> None:
    """Users `viewer`, `operator` and `supervisor`, each with PASSWORD."""
    with Session(engine) as session:
        for role in ROLES:
            users.add_user(session, name=role, role=role, password=PASSWORD)
        session.commit()


@pytest.fixture
def console(db):
    """The console app; users `viewer`, `operator` and `supervisor`, each with PASSWORD."""
    add_staff(db)
    return create_app(get_settings())


@pytest.fixture
def client(console):
    with TestClient(console) as client:
        yield client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token for later forms."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/campaigns").text)


def api_token(engine, name: str) -> str:
    """A new API token for the user, under a label of its own (so earlier ones stay alive)."""
    with Session(engine) as session:
        token = users.add_token(session, user=users.find_user(session, name=name), name=f"test {next(_labels)}")
        session.commit()
    return token


def forge_cookie(payload: dict, key: str) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, with `key`."""
    data = base64.b64encode(json.dumps(payload).encode())
    return itsdangerous.TimestampSigner(key).sign(data).decode()


def cookie_payload(cookie: str) -> dict:
    """What a session cookie carries (its signature is not checked)."""
    return json.loads(base64.b64decode(cookie.rsplit(".", 2)[0]))


def with_cookie(app, cookie: str) -> TestClient:
    """A new browser that sends only this session cookie."""
    return TestClient(app, cookies={COOKIE: cookie})
