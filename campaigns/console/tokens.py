"""API tokens: issued under a name (a new one replaces the user's token of that name), listed,
revoked one by one or all at once, and looked up for a bearer. Only a token's hash is kept.
Keyword-only data functions taking the session; the caller commits."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.console import audit, security
from campaigns.console.i18n import N_
from campaigns.records.models import ApiToken, ApiTokenName, User, utcnow

DEFAULT_NAME = "default"
MAX_NAME = 64


class TokenError(ValueError):
    """A token that cannot be issued or revoked; the message says why."""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: Optional[str]  # None for a token issued before tokens had names
    created_at: datetime
    last_used_at: Optional[datetime]

    def label(self) -> str:
        return f"{self.id} {self.name!r}" if self.name is not None else f"{self.id} (unnamed)"


@dataclass(frozen=True)
class Issued:
    token: str  # shown once
    info: TokenInfo
    replaced: Optional[TokenInfo]  # the user's earlier token of the same name, revoked
    others: list[TokenInfo]  # the user's other live tokens


def issue_token(session: Session, *, user: User, name: str = DEFAULT_NAME, by: Optional[str] = None) -> Issued:
    """A new token for the user under `name`; an earlier token of that name is revoked."""
    name = check_name(name)
    earlier = list_tokens(session, user=user)
    replaced = next((t for t in earlier if t.name == name), None)
    if replaced is not None:
        _delete(session, [replaced.id])
    token = security.new_token()
    row = ApiToken(user_id=user.id, token_hash=security.token_hash(token), created_at=utcnow())
    session.add(row)
    session.flush()
    session.add(ApiTokenName(token_id=row.id, user_id=user.id, name=name))
    if by:
        audit.record_as(session, name=by, action="issue token", target=f"user {user.name}",
                        detail=f"token {row.id} {name!r}" + (f", replacing token {replaced.id}" if replaced else ""))
    return Issued(token, TokenInfo(row.id, name, row.created_at, None), replaced,
                  [t for t in earlier if t is not replaced])


def add_token(session: Session, *, user: User, name: str = DEFAULT_NAME) -> str:
    """A new token for the user (see issue_token); only the token itself, shown once."""
    return issue_token(session, user=user, name=name).token


def check_name(name: str) -> str:
    """A token's name as stored: NFC, trimmed, 1 to MAX_NAME printable characters."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise TokenError(f"{name[:80]!r} is not a token name: use 1 to {MAX_NAME} printable characters")
    return name


def list_tokens(session: Session, *, user: User) -> list[TokenInfo]:
    """The user's live tokens, oldest first."""
    rows = session.execute(
        sa.select(ApiToken.id, ApiTokenName.name, ApiToken.created_at, ApiToken.last_used_at)
        .outerjoin(ApiTokenName, ApiTokenName.token_id == ApiToken.id)
        .where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [TokenInfo(*row) for row in rows]


def revoke_token(session: Session, *, user: User, token_id: int, by: str) -> TokenInfo:
    """Revoke one of the user's tokens; TokenError if the user has no token of that id."""
    found = next((t for t in list_tokens(session, user=user) if t.id == token_id), None)
    if found is None:
        raise TokenError(N_("%(name)s has no token %(id)s", name=user.name, id=token_id))
    _delete(session, [found.id])
    audit.record_as(session, name=by, action="revoke token", target=f"user {user.name}",
                    detail=f"token {found.label()}")
    return found


def revoke_all(session: Session, *, user: User, by: str) -> list[TokenInfo]:
    """Revoke every token of the user (each one audited); returns them."""
    found = list_tokens(session, user=user)
    _delete(session, [t.id for t in found])
    for info in found:
        audit.record_as(session, name=by, action="revoke token", target=f"user {user.name}",
                        detail=f"token {info.label()}")
    return found


def user_for_token(session: Session, *, token: str) -> Optional[User]:
    """The user a bearer token belongs to (its use is noted), or None for an unknown token."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == security.token_hash(token))).first()
    if row is None:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    return session.get(User, row.user_id)


def _delete(session: Session, ids: list[int]) -> None:
    if ids:  # the name first: it refers to the token
        session.execute(sa.delete(ApiTokenName).where(ApiTokenName.token_id.in_(ids)))
        session.execute(sa.delete(ApiToken).where(ApiToken.id.in_(ids)))
