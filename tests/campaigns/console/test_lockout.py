"""Five wrong passwords for a name lock it out for a while. Attempts are counted in the database,
atomically and before the (slow) password check, so guesses sent at once cannot slip past."""
from __future__ import annotations

import io
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from campaigns.cli import main as cli
from campaigns.console import security
from campaigns.console.app import create_app
from campaigns.records.models import AuditEntry, LoginFailures
from campaigns.settings import get_settings
from tests.campaigns.console.conftest import PASSWORD, add_staff, csrf_of, sign_in

GUESSES = 20


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def _post(client: TestClient, token: str, name: str, password: str) -> int:
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token}).status_code


def _failures(engine) -> list[str]:
    with Session(engine) as session:
        return [e.user_name for e in session.exec(select(AuditEntry).where(AuditEntry.action == "login failed"))]


def test_twenty_concurrent_wrong_passwords_check_at_most_five(engine, monkeypatch):
    add_staff(engine)
    app = create_app(get_settings())
    checked, lock = [], threading.Lock()
    real_verify = security.verify_password

    def slow_verify(password: str, stored: str) -> bool:
        with lock:
            checked.append(password)
        time.sleep(0.3)  # a slower hash: every guess is in flight at once
        return real_verify(password, stored)

    monkeypatch.setattr(security, "verify_password", slow_verify)
    start, statuses = threading.Barrier(GUESSES), []

    def guess(n: int) -> None:
        client = TestClient(app)
        token = csrf_of(client.get("/login").text)
        start.wait(timeout=30)
        status = _post(client, token, "viewer", f"wrong guess {n}")
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(checked) == 5, f"{len(checked)} passwords checked"
    assert sorted(statuses) == [401] * 5 + [429] * (GUESSES - 5)
    assert _failures(engine) == ["viewer"] * 5
    client = TestClient(app)
    assert _post(client, csrf_of(client.get("/login").text), "viewer", PASSWORD) == 429


def test_five_wrong_passwords_lock_the_name_out_for_fifteen_minutes(console, client, db):
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        assert _post(client, token, "viewer", "guess guess") == 401
    locked = client.post("/login", data={"name": "viewer", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429 and "wait 15 minutes" in locked.text
    assert client.get("/campaigns", follow_redirects=False).status_code == 303  # not signed in
    with TestClient(console) as other:
        sign_in(other, "operator")  # other names are not locked
    _move_back(db, "viewer", timedelta(minutes=14))
    assert _post(client, token, "viewer", PASSWORD) == 429  # fourteen minutes later: still locked
    _move_back(db, "viewer", timedelta(minutes=1))
    sign_in(client, "viewer")
    assert _failures(db) == ["viewer"] * 5


def test_a_right_password_does_not_count_as_a_failure(client, db):
    token = csrf_of(client.get("/login").text)
    for _ in range(4):
        assert _post(client, token, "viewer", "guess guess") == 401
    sign_in(client, "viewer")
    token = csrf_of(client.get("/login").text)
    assert _post(client, token, "viewer", "guess guess") == 401  # the fifth wrong one
    assert _post(client, token, "viewer", PASSWORD) == 429


def test_unknown_names_are_counted_like_known_ones(client, db):
    token = csrf_of(client.get("/login").text)
    statuses = [_post(client, token, "nobody", "guess guess") for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_unlock_lets_the_name_sign_in_again(client, db, monkeypatch, capsys):
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        _post(client, token, "viewer", "guess guess")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli(["users", "unlock", "viewer"]) == 0 and capsys.readouterr().out == "Unlocked viewer.\n"
    sign_in(client, "viewer")
    with Session(db) as session:
        unlocked = session.exec(select(AuditEntry).where(AuditEntry.action == "unlock")).one()
    assert (unlocked.user_name, unlocked.target) == ("(command line)", "user viewer")


def _move_back(engine, name: str, by: timedelta) -> None:
    """As if `by` had passed since the name's failures."""
    with Session(engine) as session:
        row = session.get(LoginFailures, name)
        row.window_start -= by
        row.locked_until -= by
        session.add(row)
        session.commit()
