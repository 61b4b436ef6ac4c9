"""Server-side keys made on first use and shared through the database: no setting to forget,
the same key in every process. Used for keyed hashes such as walk-in household ids."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Optional

from sqlmodel import Field, Session, SQLModel

_cache: dict[tuple[str, str], bytes] = {}


class SecretKey(SQLModel, table=True):
    """A random key, made once; never shown, exported or logged."""

    __tablename__ = "secret_keys"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=128)


def key_for(session: Session, *, name: str) -> bytes:
    """The key called `name`, made on first use; two processes making it at once keep one."""
    url = str(session.get_bind().url)
    cached = _cache.get((url, name))
    if cached is not None:
        return cached
    found: Optional[SecretKey] = session.get(SecretKey, name)
    if found is None:
        table = SecretKey.__table__
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(table).values(name=name, value=secrets.token_hex(32)).on_conflict_do_nothing())
        found = session.get(SecretKey, name, populate_existing=True)
    _cache[(url, name)] = bytes.fromhex(found.value)
    return _cache[(url, name)]


def keyed_hash(session: Session, *, name: str, text: str, length: int = 16) -> str:
    """A short HMAC-SHA256 of `text` under the key `name`: stable, but not reversible by anyone
    without the database's key (a plain hash of a phone number is, in a fraction of a second)."""
    digest = hmac.new(key_for(session, name=name), text.encode(), hashlib.sha256).hexdigest()
    return digest[:length]


def forget_cached_keys() -> None:
    """For tests that drop databases: keys are cached per database URL."""
    _cache.clear()

