"""The sign-in lockout: five wrong passwords for a name within 15 minutes lock that name out for 15
minutes. An attempt is counted in the database by one atomic UPDATE *before* its password is
checked (scrypt is slow: counting after would let guesses sent at once all be checked), and given
back when the password was right. Keyword-only data functions taking the session."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from campaigns.records.models import LoginFailures, UTCDateTime

MAX_FAILURES = 5  # wrong passwords for one name ...
WINDOW = timedelta(minutes=15)  # ... within this long ...
LOCKOUT = timedelta(minutes=15)  # ... lock the name out for this long after the last of them
FORGET_AFTER = timedelta(days=1)  # rows of names nobody tried for this long are deleted


def claim_attempt(session: Session, *, name: str, now: datetime) -> bool:
    """Count an attempt for `name`; False when the name is locked out, or MAX_FAILURES attempts
    already count in its window. Commits, so that concurrent attempts see the count at once."""
    if _count(session, name, now):
        session.commit()
        return True
    session.rollback()
    try:  # no row yet, or a locked one: the insert tells them apart
        session.add(LoginFailures(name=name, attempts=1, window_start=now))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
    allowed = _count(session, name, now)  # someone inserted it meanwhile, or it is locked
    session.commit()
    return allowed


def record_failure(session: Session, *, name: str, now: datetime) -> None:
    """The counted attempt was a wrong password: the failure that reaches the limit locks the name."""
    session.execute(sa.update(LoginFailures)
                    .where(LoginFailures.name == name, LoginFailures.attempts >= MAX_FAILURES)
                    .values(locked_until=_at(now + LOCKOUT)).execution_options(synchronize_session=False))


def record_success(session: Session, *, name: str) -> None:
    """The counted attempt had the right password: it is given back (only wrong ones count)."""
    session.execute(sa.update(LoginFailures).where(LoginFailures.name == name, LoginFailures.attempts > 0)
                    .values(attempts=LoginFailures.attempts - 1).execution_options(synchronize_session=False))


def locked_until(session: Session, *, name: str, now: datetime) -> Optional[datetime]:
    """Until when the name is locked out, or None."""
    row = session.get(LoginFailures, name, populate_existing=True)
    if row is None:
        return None
    if row.locked_until and row.locked_until > now:
        return row.locked_until
    if row.attempts >= MAX_FAILURES and row.window_start > now - WINDOW:
        return row.window_start + WINDOW  # the limit is reached by attempts still being checked
    return None


def unlock(session: Session, *, name: str, now: datetime) -> bool:
    """Forget the name's failures; returns whether it was locked out."""
    was_locked = locked_until(session, name=name, now=now) is not None
    session.execute(sa.delete(LoginFailures).where(LoginFailures.name == name))
    return was_locked


def forget_stale(session: Session, *, now: datetime) -> None:
    """Delete the rows of names not tried for a day, so guessing many names does not grow the table."""
    session.execute(sa.delete(LoginFailures).where(
        LoginFailures.window_start < now - FORGET_AFTER,
        sa.or_(LoginFailures.locked_until.is_(None), LoginFailures.locked_until < now)))


def _count(session: Session, name: str, now: datetime) -> bool:
    """The atomic check-and-count: one UPDATE that only matches while the name may try again.
    A window that is over starts afresh."""
    over = LoginFailures.window_start <= now - WINDOW
    done = session.execute(
        sa.update(LoginFailures)
        .where(LoginFailures.name == name,
               sa.or_(LoginFailures.locked_until.is_(None), LoginFailures.locked_until <= now),
               sa.or_(over, LoginFailures.attempts < MAX_FAILURES))
        .values(attempts=sa.case((over, 1), else_=LoginFailures.attempts + 1),
                window_start=sa.case((over, _at(now)), else_=LoginFailures.window_start),
                locked_until=sa.case((over, sa.null()), else_=LoginFailures.locked_until))
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


def _at(moment: datetime):
    # Typed, so SQLite gets the same text as the column's own values.
    return sa.literal(moment, UTCDateTime())
