"""Data functions for console users and their API tokens. Keyword-only; the caller commits."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.console import security
from campaigns.records.models import ApiToken, AuditEntry, Role, User

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_FAILURES = 5  # wrong passwords for one name ...
LOCKOUT = timedelta(minutes=15)  # ... within this long lock that name out for as long
FAILED = "login failed"


class UserError(ValueError):
    """A user that cannot be added; the message says why."""


def add_user(session: Session, *, name: str, role: str, password: str) -> User:
    if not _NAME.fullmatch(name):
        raise UserError(f"{name!r} is not a user name: use up to 64 letters, digits, '.', '_' or '-'")
    if role not in {r.value for r in Role}:
        raise UserError(f"unknown role {role!r}: use {', '.join(r.value for r in Role)}")
    if find_user(session, name=name) is not None:
        raise UserError(f"user {name!r} already exists")
    try:
        security.check_password_rules(password)
    except security.PasswordError as error:
        raise UserError(str(error)) from None
    user = User(name=name, role=role, password_hash=security.hash_password(password))
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, *, name: str) -> Optional[User]:
    return session.exec(select(User).where(User.name == name)).first()


def authenticate(session: Session, *, name: str, password: str) -> Optional[User]:
    """The active user with this name and password, or None (the same for either mistake)."""
    user = find_user(session, name=name)
    if user is None:
        security.hash_password(password)  # spend the same time, so names cannot be probed
        return None
    return user if user.active and security.verify_password(password, user.password_hash) else None


def add_token(session: Session, *, user: User) -> str:
    """A new API token for the user; returned once, only its hash is stored."""
    token = security.new_token()
    session.add(ApiToken(user_id=user.id, token_hash=security.token_hash(token)))
    return token


def record_failure(session: Session, *, name: str) -> None:
    """A wrong password, in the audit log under the name that was tried."""
    session.add(AuditEntry(user_name=name, action=FAILED, target="console"))


def failed_sign_ins(session: Session, *, name: str, since: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.user_name == name, AuditEntry.action == FAILED, AuditEntry.at >= since)
    return session.execute(query).scalar_one()
