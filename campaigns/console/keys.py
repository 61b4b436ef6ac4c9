"""The key that signs the console's cookies. SCREENING_SECRET_KEY when it is set; else (its
default is public, so a cookie signed with it could be forged) a random key made by the first
console to start and kept in the database, in `console_keys`.

Why the database and not a file beside it: it works for every database URL (PostgreSQL has no
"beside"), every console process on the same database shares one key with no file to copy or
protect, and whoever can read the database can read the sessions anyway. Sessions live on the
server (`login_sessions`), so the key alone opens nothing either."""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from campaigns.records.models import ConsoleKey
from campaigns.settings import DEFAULT_SECRET, Settings

COOKIE_KEY = "cookie-signing"


def signing_key(settings: Settings, engine: sa.engine.Engine) -> str:
    if settings.secret_key != DEFAULT_SECRET:
        return settings.secret_key
    return stored_key(engine)


def stored_key(engine: sa.engine.Engine) -> str:
    """The database's cookie key, made on first use. Two consoles starting at once both insert;
    the primary key keeps the first, and both read it back."""
    with Session(engine) as session:
        row = session.get(ConsoleKey, COOKIE_KEY)
        if row is not None:
            return row.value
        session.add(ConsoleKey(name=COOKIE_KEY, value=secrets.token_urlsafe(48)))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        return session.get(ConsoleKey, COOKIE_KEY, populate_existing=True).value
