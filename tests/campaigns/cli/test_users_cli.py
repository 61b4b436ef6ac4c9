"""`screening users add|list|disable|enable|password|unlock|token|tokens`."""
from __future__ import annotations

import io
import re

import pytest
from sqlmodel import Session, select

from campaigns.cli import main
from campaigns.console import security
from campaigns.records.models import ApiToken, AuditEntry, User

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
    assert users_cli(capsys, monkeypatch, "list")[1] == "adam\tsupervisor\tactive\tauto\nzoe\tviewer\tactive\tauto\n"


# --- names in any script ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["王医生", "María.José", "Ольга_1", "हिंदी", "o-brien"])
def test_users_names_may_be_letters_of_any_script(db, capsys, monkeypatch, name):
    code, out, err = users_cli(capsys, monkeypatch, "add", name, "--role", "viewer", stdin=PASSWORD + "\n")
    assert (code, out, err) == (0, f"Added {name} (viewer).\n", "")


def test_users_names_are_stored_nfc_and_found_either_way(db, capsys, monkeypatch):
    decomposed, composed = "Jose\u0301", "Jos\u00e9"
    assert users_cli(capsys, monkeypatch, "add", decomposed, "--role", "viewer", stdin=PASSWORD + "\n")[0] == 0
    with Session(db) as session:
        assert session.exec(select(User.name)).one() == composed
    assert users_cli(capsys, monkeypatch, "token", decomposed)[0] == 0
    code, _, err = users_cli(capsys, monkeypatch, "add", composed, "--role", "viewer", stdin=PASSWORD + "\n")
    assert code == 1 and "already exists" in err


@pytest.mark.parametrize("name", ["two words", "tab\tname", "new\nline", "a/b", "", ".dot-first", "x" * 65, "²",
                                  "zero\u200bwidth", "nul\x00", "e@mail"])
def test_users_names_without_spaces_controls_or_symbols(db, capsys, monkeypatch, name):
    code, _, err = users_cli(capsys, monkeypatch, "add", name, "--role", "viewer", stdin=PASSWORD + "\n")
    assert code == 1 and "is not a user name" in err
    with Session(db) as session:
        assert session.exec(select(User)).all() == []


# --- disable, enable, password, unlock -----------------------------------------------------------

@pytest.fixture
def maria(db, capsys, monkeypatch):
    users_cli(capsys, monkeypatch, "add", "maria", "--role", "operator", stdin=PASSWORD + "\n")
    return db


def _user(db, name="maria") -> User:
    with Session(db) as session:
        return session.exec(select(User).where(User.name == name)).one()


def _cli_audit(db) -> list[tuple[str, str, str, str]]:
    with Session(db) as session:
        return [(e.user_name, e.action, e.target, e.detail or "") for e in session.exec(select(AuditEntry))]


def test_users_disable_and_enable(maria, capsys, monkeypatch):
    assert users_cli(capsys, monkeypatch, "disable", "maria")[:2] == (0, "Disabled maria; their sessions ended.\n")
    assert _user(maria).active is False
    assert users_cli(capsys, monkeypatch, "list")[1] == "maria\toperator\tdisabled\tauto\n"
    assert users_cli(capsys, monkeypatch, "enable", "maria")[:2] == (0, "Enabled maria.\n")
    assert _user(maria).active is True
    assert [(who, what, target) for who, what, target, _ in _cli_audit(maria)] == [
        ("(command line)", "add user", "user maria"), ("(command line)", "disable", "user maria"),
        ("(command line)", "enable", "user maria")]


def test_users_password_changes_the_hash(maria, capsys, monkeypatch):
    code, out, _ = users_cli(capsys, monkeypatch, "password", "maria", stdin="another long password\n")
    assert (code, out) == (0, "Changed the password of maria; their sessions ended.\n")
    stored = _user(maria).password_hash
    assert security.verify_password("another long password", stored) and not security.verify_password(PASSWORD, stored)


@pytest.mark.parametrize("argv, stdin, message", [
    (["disable", "nobody"], "", "no user named 'nobody'"), (["enable", "nobody"], "", "no user named 'nobody'"),
    (["unlock", "nobody"], "", "no user named 'nobody'"), (["password", "nobody"], PASSWORD + "\n", "no user named"),
    (["password", "maria"], "short\n", "a password needs at least 10 characters"),
    (["tokens", "nobody"], "", "no user named 'nobody'"), (["tokens", "maria", "--revoke", "99"], "",
                                                            "maria has no token 99"),
], ids=["disable", "enable", "unlock", "password", "short-password", "tokens", "revoke-unknown"])
def test_users_account_errors_change_nothing(maria, capsys, monkeypatch, argv, stdin, message):
    before = _user(maria)
    code, _, err = users_cli(capsys, monkeypatch, *argv, stdin=stdin)
    assert code == 1 and message in err
    assert _user(maria) == before


def test_users_unlock_says_whether_the_name_was_locked(maria, capsys, monkeypatch):
    assert users_cli(capsys, monkeypatch, "unlock", "maria")[:2] == (0, "maria was not locked out.\n")


# --- API tokens: named, listed, revocable; a new one never silently leaves an old one alive -----------

def _works(db, token: str) -> bool:
    from fastapi.testclient import TestClient

    from campaigns.console.app import create_app
    from campaigns.settings import get_settings

    status = TestClient(create_app(get_settings())).get(
        "/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code
    assert status in (200, 401)
    return status == 200


def _token(capsys, monkeypatch, *argv: str) -> tuple[str, str]:
    code, out, err = users_cli(capsys, monkeypatch, "token", "maria", *argv)
    assert code == 0, err
    return out.strip(), err


def test_users_token_again_replaces_the_old_one_and_says_so(maria, capsys, monkeypatch):
    first, _ = _token(capsys, monkeypatch)
    second, err = _token(capsys, monkeypatch)
    assert "It replaces token 1 'default' of maria, which no longer works." in err
    assert (_works(maria, first), _works(maria, second)) == (False, True)


def test_users_named_tokens_live_side_by_side_and_each_issue_names_the_others(maria, capsys, monkeypatch):
    ci, _ = _token(capsys, monkeypatch, "--name", "ci")
    laptop, err = _token(capsys, monkeypatch, "--name", "laptop")
    assert "maria also has 1 other live token: 1 'ci'" in err and "screening users tokens maria" in err
    assert _works(maria, ci) and _works(maria, laptop)


def test_users_tokens_lists_id_name_created_and_last_used(maria, capsys, monkeypatch):
    ci, _ = _token(capsys, monkeypatch, "--name", "ci")
    _token(capsys, monkeypatch, "--name", "lab 2")
    _works(maria, ci)
    code, out, _ = users_cli(capsys, monkeypatch, "tokens", "maria")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "id\tname\tcreated (UTC)\tlast used (UTC)"
    rows = [line.split("\t") for line in lines[1:]]
    assert [(row[0], row[1], row[3] == "never") for row in rows] == [("1", "ci", False), ("2", "lab 2", True)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[2]) for row in rows)


def test_users_tokens_revoke_one_or_all(maria, capsys, monkeypatch):
    ci, _ = _token(capsys, monkeypatch, "--name", "ci")
    laptop, _ = _token(capsys, monkeypatch, "--name", "laptop")
    revoked = users_cli(capsys, monkeypatch, "tokens", "maria", "--revoke", "1")
    assert revoked[:2] == (0, "Revoked token 1 'ci' of maria.\n")
    assert (_works(maria, ci), _works(maria, laptop)) == (False, True)
    assert users_cli(capsys, monkeypatch, "tokens", "maria", "--all")[:2] == (0, "Revoked 1 token of maria.\n")
    assert not _works(maria, laptop)
    assert users_cli(capsys, monkeypatch, "tokens", "maria")[1] == "id\tname\tcreated (UTC)\tlast used (UTC)\n"
    assert [what for _, what, _, _ in _cli_audit(maria)][-3:] == ["issue token", "revoke token", "revoke token"]


def test_users_tokens_revoke_and_all_together_is_a_usage_error(maria, capsys, monkeypatch):
    assert users_cli(capsys, monkeypatch, "tokens", "maria", "--revoke", "1", "--all")[0] == 2


def test_users_token_of_another_user_cannot_be_revoked_by_naming_the_wrong_user(maria, capsys, monkeypatch):
    users_cli(capsys, monkeypatch, "add", "ben", "--role", "viewer", stdin=PASSWORD + "\n")
    code, out, _ = users_cli(capsys, monkeypatch, "token", "ben")
    code, _, err = users_cli(capsys, monkeypatch, "tokens", "maria", "--revoke", "1")
    assert code == 1 and "maria has no token 1" in err and _works(maria, out.strip())


@pytest.mark.parametrize("label", ["", " ", "x" * 65, "tab\there", "nul\x00"])
def test_users_token_names_are_short_printable_text(maria, capsys, monkeypatch, label):
    code, out, err = users_cli(capsys, monkeypatch, "token", "maria", "--name", label)
    assert code == 1 and out == "" and "is not a token name" in err


def test_users_add_with_a_console_language_and_change_it(db, capsys, monkeypatch):
    code, out, _ = users_cli(capsys, monkeypatch, "add", "王医生", "--role", "supervisor", "--language", "zh-CN",
                             stdin=PASSWORD + "\n")
    assert (code, out) == (0, "Added 王医生 (supervisor, console in zh).\n")
    assert users_cli(capsys, monkeypatch, "list")[1] == "王医生\tsupervisor\tactive\tzh\n"
    assert users_cli(capsys, monkeypatch, "language", "王医生", "en")[1] == "The console of 王医生 is now in en.\n"
    assert users_cli(capsys, monkeypatch, "language", "王医生", "en")[1] == "The console of 王医生 is already in en.\n"
    assert users_cli(capsys, monkeypatch, "language", "王医生", "auto")[1] == \
        "The console of 王医生 now follows the browser's language.\n"
    with Session(db) as session:
        assert session.exec(select(User.language)).one() is None
    assert [(action, target, detail) for _, action, target, detail in _cli_audit(db) if action == "language"] == [
        ("language", "user 王医生", "en"), ("language", "user 王医生", "auto")]


@pytest.mark.parametrize("argv", [["add", "maria", "--role", "viewer", "--language", "fr"],
                                  ["language", "maria", "klingon"]], ids=["add", "language"])
def test_users_unknown_console_language_is_refused_before_anything(db, capsys, monkeypatch, argv):
    if argv[0] == "language":
        users_cli(capsys, monkeypatch, "add", "maria", "--role", "viewer", stdin=PASSWORD + "\n")
    code, out, err = users_cli(capsys, monkeypatch, *argv, stdin=PASSWORD + "\n")
    assert code == 2 and "unknown console language" in err and "use en, zh, auto" in err
    with Session(db) as session:
        assert [user.language for user in session.exec(select(User))] == ([None] if argv[0] == "language" else [])


def test_users_language_of_nobody_is_an_error(db, capsys, monkeypatch):
    code, _, err = users_cli(capsys, monkeypatch, "language", "nobody", "zh")
    assert code == 1 and "no user named 'nobody'" in err
