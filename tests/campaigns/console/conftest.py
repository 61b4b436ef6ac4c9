"""A console over a fresh database, with one user of each role, and a way to sign in."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from campaigns.console import users
from campaigns.console.app import create_app
from campaigns.settings import get_settings

PASSWORD = "correct horse battery"
ROLES = ("viewer", "operator", "supervisor")


@pytest.fixture
def console(db):
    """The console app; users `viewer`, `operator` and `supervisor`, each with PASSWORD."""
    with Session(db) as session:
        for role in ROLES:
            users.add_user(session, name=role, role=role, password=PASSWORD)
        session.commit()
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
    with Session(engine) as session:
        token = users.add_token(session, user=users.find_user(session, name=name))
        session.commit()
    return token
