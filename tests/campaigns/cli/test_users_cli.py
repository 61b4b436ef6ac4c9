"""`screening users add|token|list`."""
from __future__ import annotations

import io

import pytest
from sqlmodel import Session, select

from campaigns.cli import main
from campaigns.console import security
from campaigns.records.models import ApiToken, User

PASSWORD = "correct horse battery"


def users_cli(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["users", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_users_add_hashes_the_password_read_from_stdin(db, capsys, monkeypatch):
    code, out, err = users_cli(capsys, monkeypatch, "add", "maria", "--role", "operator", stdin=PASSWORD + "\n")
    assert (code, out, err) == (0, "Added maria (operator).\n", "")
    with Session(db) as session:
        user = session.exec(select(User)).one()
    assert (user.name, user.role) == ("maria", "operator")
    assert PASSWORD not in user.password_hash and security.verify_password(PASSWORD, user.password_hash)


@pytest.mark.parametrize("argv, stdin, message", [
    (["add", "maria", "--role", "operator"], "short\n", "a password needs at least 10 characters"),
    (["add", "no spaces", "--role", "viewer"], PASSWORD + "\n", "is not a user name"),
    (["token", "nobody"], "", "no user named 'nobody'"),
], ids=["short-password", "bad-name", "unknown-user"])
def test_users_errors_are_precise_and_change_nothing(db, capsys, monkeypatch, argv, stdin, message):
    code, out, err = users_cli(capsys, monkeypatch, *argv, stdin=stdin)
    assert code == 1 and message in err
    with Session(db) as session:
        assert session.exec(select(User)).all() == []


def test_users_add_twice_is_an_error(db, capsys, monkeypatch):
    users_cli(capsys, monkeypatch, "add", "maria", "--role", "viewer", stdin=PASSWORD + "\n")
    code, _, err = users_cli(capsys, monkeypatch, "add", "maria", "--role", "viewer", stdin=PASSWORD + "\n")
    assert code == 1 and "user 'maria' already exists" in err


def test_users_token_is_printed_once_and_only_its_hash_kept(db, capsys, monkeypatch):
    users_cli(capsys, monkeypatch, "add", "bot", "--role", "viewer", stdin=PASSWORD + "\n")
    code, out, err = users_cli(capsys, monkeypatch, "token", "bot")
    token = out.strip()
    assert code == 0 and token.startswith("scr_") and "shown only now" in err
    with Session(db) as session:
        [row] = session.exec(select(ApiToken)).all()
    assert row.token_hash == security.token_hash(token) and token not in row.token_hash


def test_users_list(db, capsys, monkeypatch):
    for name, role in (("zoe", "viewer"), ("adam", "supervisor")):
        users_cli(capsys, monkeypatch, "add", name, "--role", role, stdin=PASSWORD + "\n")
    assert users_cli(capsys, monkeypatch, "list")[1] == "adam\tsupervisor\tactive\nzoe\tviewer\tactive\n"
