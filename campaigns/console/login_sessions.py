"""Sign-in sessions, kept on the server: the cookie carries only a random id, and a session is
live while its row is. Signing out deletes the row, a password change or disabling deletes all
of the user's. Keyword-only data functions taking the session; the caller commits."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.console import security
from campaigns.records.models import LoginSession, User

LENGTH = timedelta(hours=12)  # from signing in; the cookie lasts as long


def start(session: Session, *, user: User, now: datetime) -> str:
    """A new session for the user; returns its id, for the cookie (only its hash is stored)."""
    session_id = security.new_session_id()
    session.add(LoginSession(id_hash=security.token_hash(session_id), user_id=user.id, created_at=now,
                             expires_at=now + LENGTH))
    return session_id


def user_of(session: Session, *, session_id: str, now: datetime) -> Optional[User]:
    """The user of a live session, or None if it ended, expired or never was."""
    row = session.get(LoginSession, security.token_hash(session_id))
    if row is None or row.expires_at <= now:
        return None
    return session.get(User, row.user_id)


def end(session: Session, *, session_id: str) -> None:
    session.execute(sa.delete(LoginSession).where(LoginSession.id_hash == security.token_hash(session_id)))


def end_all(session: Session, *, user_id: int) -> int:
    """End every session of the user; returns how many there were."""
    return session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user_id)).rowcount


def count_live(session: Session, *, user_id: int, now: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.expires_at > now)
    return session.execute(query).scalar_one()


def purge_expired(session: Session, *, now: datetime) -> None:
    """Forget sessions that expired; done at each sign-in, so the table stays small."""
    session.execute(sa.delete(LoginSession).where(LoginSession.expires_at <= now))
