"""What every console route depends on: a database session, the signed-in user, their role,
a CSRF check on every form or cookie-authenticated change, and no NUL in what is sent."""
from __future__ import annotations

from typing import Callable, Iterator, Optional

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from campaigns.console import login_sessions, security, tokens
from campaigns.console.i18n import N_
from campaigns.records.models import ROLE_RANK, Role, User, utcnow

SESSION_ID = "sid"  # the key of the sign-in session's id in the cookie
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


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
    request.state.user_language = user.language  # read now: pages may outlive the session
    return user


def require(role: Role) -> Callable[..., User]:
    """A dependency: the signed-in user, if their role is at least `role`; else 403."""
    def dependency(user: User = Depends(current_user)) -> User:
        if ROLE_RANK.get(user.role, 0) < ROLE_RANK[role.value]:
            raise HTTPException(status_code=403, detail=N_("this needs the %(role)s role; you are %(yours)s",
                                                           role=role.value, yours=user.role))
        return user

    return dependency


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = request.session["csrf"] = security.new_csrf_token()
    return token


async def check_csrf(request: Request) -> None:
    """A change made with the session cookie must carry the session's CSRF token, as a form
    field or an X-CSRF-Token header. Scripts using a bearer token send no cookie: no check."""
    if _bearer(request):
        return
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(_FORMS):
        given = (await request.form()).get("csrf_token")
    expected = request.session.get("csrf")
    if not (isinstance(given, str) and isinstance(expected, str) and security.same_token(given, expected)):
        raise HTTPException(status_code=403, detail=N_("the form has expired or did not come from this site: reload"))


async def refuse_nul(request: Request) -> None:
    """No field has a use for a NUL character, and PostgreSQL cannot store one in text: a 400
    with a message, before it reaches a query (on every route, through the app)."""
    texts = [request.scope.get("path", ""), *request.query_params.keys(), *request.query_params.values()]
    if request.headers.get("content-type", "").startswith(_FORMS):
        form = await request.form()
        texts += [text for item in form.multi_items() for text in item if isinstance(text, str)]
    if any("\x00" in text for text in texts):
        raise HTTPException(status_code=400, detail=N_("a request may not contain a NUL character"))


def recall_language(request: Request) -> None:
    """For a page no route answered (a 404 or 405): the signed-in user's own language, if the cookie
    names a live session, so the error page is in it. Blocking: call it off the event loop."""
    if hasattr(request.state, "user_language") or not session_id(request):
        return
    with Session(request.app.state.engine) as session:
        user = _by_cookie(request, session)
        request.state.user_language = user.language if user is not None and user.active else None


def session_id(request: Request) -> Optional[str]:
    """The sign-in session's id the cookie carries, if any."""
    found = request.session.get(SESSION_ID)
    return found if isinstance(found, str) else None


def _bearer(request: Request) -> Optional[str]:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _by_token(request: Request, session: Session) -> Optional[User]:
    user = tokens.user_for_token(session, token=_bearer(request))
    session.commit()  # the token's last use
    return user


def _by_cookie(request: Request, session: Session) -> Optional[User]:
    found = session_id(request)
    return login_sessions.user_of(session, session_id=found, now=utcnow()) if found else None
