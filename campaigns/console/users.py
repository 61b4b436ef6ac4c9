"""Data functions for console users: names, passwords, disabling, their console language.
Keyword-only; the caller commits.
API tokens are in `tokens`, sign-in sessions in `login_sessions`, the lockout in `lockout`."""
from __future__ import annotations

import unicodedata
from typing import Optional

from sqlmodel import Session, select

from campaigns.console import audit, i18n, login_sessions, security
from campaigns.console.i18n import N_
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
        raise UserError(N_("%(name)r is not a user name: use up to %(most)s letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit", name=name, most=MAX_NAME))


def add_user(session: Session, *, name: str, role: str, password: str, by: Optional[str] = None,
             language: Optional[str] = None) -> User:
    """A new user; `by` (who added them) is recorded in the audit log when given. `language` is their
    console language (None or "auto": the browser's)."""
    name = normalise_name(name)
    check_name(name)
    if role not in {r.value for r in Role}:
        raise UserError(N_("unknown role %(role)r: use %(roles)s", role=role, roles=", ".join(r.value for r in Role)))
    if find_user(session, name=name) is not None:
        raise UserError(N_("user %(name)r already exists", name=name))
    user = User(name=name, role=role, password_hash=_hash(password), language=_language(language or i18n.AUTO))
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
        raise UserError(N_("no user named %(name)r", name=normalise_name(name)))
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


def set_language(session: Session, *, user: User, language: str, by: str) -> bool:
    """The user's console language (a code the console has), or "auto" to follow the browser; UserError
    for another. Returns False when it already was so (nothing recorded)."""
    chosen = _language(language)
    if user.language == chosen:
        return False
    user.language = chosen
    session.add(user)
    audit.record_as(session, name=by, action="language", target=f"user {user.name}", detail=chosen or i18n.AUTO)
    return True


def _language(text: str) -> Optional[str]:
    try:
        return i18n.check_language(text)
    except ValueError as error:
        raise UserError(N_("unknown console language %(given)r: use %(choices)s", given=text[:20],
                           choices=", ".join((*i18n.languages(), i18n.AUTO)))) from error


def _hash(password: str) -> str:
    try:
        security.check_password_rules(password)
    except security.PasswordError as error:
        raise UserError(str(error)) from None
    return security.hash_password(password)
