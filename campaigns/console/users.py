"""Data functions for console users: names, passwords, disabling. Keyword-only; the caller commits.
API tokens are in `tokens`, sign-in sessions in `login_sessions`, the lockout in `lockout`."""
from __future__ import annotations

import unicodedata
from typing import Optional

from sqlmodel import Session, select

from campaigns.console import audit, login_sessions, security
from campaigns.console.tokens import add_token  # noqa: F401  (scripts and benches call users.add_token)
from campaigns.records.models import Role, User

MAX_NAME = 64
# Letters of any script (with their combining marks) and decimal digits; '.', '-' and '_' after the first.
_NAME_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd"}
_NAME_PUNCTUATION = set(".-_")


class UserError(ValueError):
    """A user that cannot be added or changed; the message says why."""


def normalise_name(text: str) -> str:
    """A name as typed, as it is stored: NFC (so 'é' typed either way is one name), trimmed."""
    return unicodedata.normalize("NFC", text).strip()


def check_name(name: str) -> None:
    """Up to MAX_NAME letters of any script, digits, '.', '-' or '_', starting with a letter or digit."""
    first_ok = bool(name) and unicodedata.category(name[0]) in _NAME_CATEGORIES - {"Mn", "Mc", "Me"}
    if not (first_ok and len(name) <= MAX_NAME and all(
            unicodedata.category(c) in _NAME_CATEGORIES or c in _NAME_PUNCTUATION for c in name)):
        raise UserError(f"{name!r} is not a user name: use up to {MAX_NAME} letters, digits, '.', '_' or '-', "
                        "starting with a letter or digit")


def add_user(session: Session, *, name: str, role: str, password: str, by: Optional[str] = None) -> User:
    """A new user; `by` (who added them) is recorded in the audit log when given."""
    name = normalise_name(name)
    check_name(name)
    if role not in {r.value for r in Role}:
        raise UserError(f"unknown role {role!r}: use {', '.join(r.value for r in Role)}")
    if find_user(session, name=name) is not None:
        raise UserError(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=_hash(password))
    session.add(user)
    session.flush()
    if by:
        audit.record_as(session, name=by, action="add user", target=f"user {name}", detail=role)
    return user


def find_user(session: Session, *, name: str) -> Optional[User]:
    return session.exec(select(User).where(User.name == normalise_name(name))).first()


def get_user(session: Session, *, name: str) -> User:
    """The user with this name; UserError if there is none."""
    user = find_user(session, name=name)
    if user is None:
        raise UserError(f"no user named {normalise_name(name)!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)).all())


def authenticate(session: Session, *, name: str, password: str) -> Optional[User]:
    """The active user with this name and password, or None (the same for either mistake)."""
    user = find_user(session, name=name)
    if user is None:
        security.hash_password(password)  # spend the same time, so names cannot be probed
        return None
    return user if user.active and security.verify_password(password, user.password_hash) else None


def set_password(session: Session, *, user: User, password: str, by: str) -> None:
    """A new password; every session of the user ends (whoever knew the old one is signed out)."""
    user.password_hash = _hash(password)
    session.add(user)
    login_sessions.end_all(session, user_id=user.id)
    audit.record_as(session, name=by, action="password", target=f"user {user.name}")


def set_active(session: Session, *, user: User, active: bool, by: str) -> bool:
    """Enable or disable; disabling ends the user's sessions, and their API tokens are refused
    while disabled. Returns False when the user already was so (nothing recorded)."""
    if user.active == active:
        return False
    user.active = active
    session.add(user)
    if not active:
        login_sessions.end_all(session, user_id=user.id)
    audit.record_as(session, name=by, action="enable" if active else "disable", target=f"user {user.name}")
    return True


def _hash(password: str) -> str:
    try:
        security.check_password_rules(password)
    except security.PasswordError as error:
        raise UserError(str(error)) from None
    return security.hash_password(password)
