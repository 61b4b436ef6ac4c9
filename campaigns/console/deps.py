"""What every console route depends on: a database session, the signed-in user, their role,
and a CSRF check on every form or cookie-authenticated change."""
from __future__ import annotations

from typing import Callable, Iterator, Optional

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, select

from campaigns.console import security
from campaigns.records.models import ROLE_RANK, ApiToken, Role, User, utcnow


class LoginRequired(Exception):
    """No signed-in user: pages redirect to the login form, the API answers 401."""


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def current_user(request: Request, session: Session = Depends(get_session)) -> User:
    user = _by_token(request, session) if _bearer(request) else _by_cookie(request, session)
    if user is None or not user.active:
        raise LoginRequired()
    request.state.user = user
    return user


def require(role: Role) -> Callable[..., User]:
    """A dependency: the signed-in user, if their role is at least `role`; else 403."""
    def dependency(user: User = Depends(current_user)) -> User:
        if ROLE_RANK.get(user.role, 0) < ROLE_RANK[role.value]:
            raise HTTPException(status_code=403, detail=f"this needs the {role.value} role; you are {user.role}")
        return user

    return dependency


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = security.new_csrf_token()
    return token


async def check_csrf(request: Request) -> None:
    """A change made with the session cookie must carry the session's CSRF token, as a form
    field or an X-CSRF-Token header. Scripts using a bearer token send no cookie: no check."""
    if _bearer(request):
        return
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf_token")
    if not security.same_token(given, request.session.get("csrf")):
        raise HTTPException(status_code=403, detail="the form has expired or did not come from this site: reload")


def _bearer(request: Request) -> Optional[str]:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _by_token(request: Request, session: Session) -> Optional[User]:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == security.token_hash(_bearer(request)))).first()
    if row is None:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    session.commit()
    return session.get(User, row.user_id)


def _by_cookie(request: Request, session: Session) -> Optional[User]:
    user_id = request.session.get("user_id")
    return session.get(User, user_id) if isinstance(user_id, int) else None
