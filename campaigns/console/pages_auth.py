"""Signing in and out, and one's own console language. A sign-in is counted against the lockout
before its password is checked, and starts a session kept on the server; signing out ends it there."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from campaigns.console import audit, i18n, lockout, login_sessions, users
from campaigns.console.i18n import N_
from campaigns.console.deps import SESSION_ID, check_csrf, current_user, get_session, session_id
from campaigns.console.rendering import flash, render
from campaigns.records.models import User, utcnow

router = APIRouter()
FAILED = "login failed"


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return render(request, "login.html", next=_local(next))


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, name: str = Form(...), password: str = Form(...), next: str = Form("/"),
          session: Session = Depends(get_session)):
    name = users.normalise_name(name)[:users.MAX_NAME]
    if not lockout.claim_attempt(session, name=name, now=utcnow()):
        minutes = int(lockout.LOCKOUT.total_seconds() // 60)
        return render(request, "login.html", status_code=429, next=_local(next), name=name,
                      error=N_("Too many wrong passwords for %(name)s: wait %(minutes)s minutes.", name=name,
                               minutes=minutes))
    user = users.authenticate(session, name=name, password=password)
    if user is None:
        lockout.record_failure(session, name=name, now=utcnow())
        audit.record_as(session, name=name, action=FAILED, target="console")
        session.commit()
        return render(request, "login.html", status_code=401, next=_local(next), name=name,
                      error=N_("Wrong name or password."))
    lockout.record_success(session, name=name)
    _start_session(request, session, user)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, user: User = Depends(current_user), session: Session = Depends(get_session)):
    found = session_id(request)
    if found:
        login_sessions.end(session, session_id=found)
    audit.record(session, user=user, action="logout")
    session.commit()
    request.session.clear()
    flash(request, N_("You are signed out."))
    return RedirectResponse("/login", status_code=303)


@router.post("/account/language", dependencies=[Depends(check_csrf)])
def set_language(request: Request, language: str = Form(...), next: str = Form("/"),
                 user: User = Depends(current_user), session: Session = Depends(get_session)):
    """The signed-in user's own console language, or "auto" for the browser's; any role, for oneself."""
    try:
        users.set_language(session, user=user, language=language, by=user.name)
    except users.UserError as error:
        raise HTTPException(status_code=400, detail=i18n.message_of(error)) from None
    session.commit()
    request.state.user_language = user.language  # the message below is in the language just chosen
    flash(request, N_("The console is now in %(language)s.", language=i18n.display_name(user.language))
          if user.language else N_("The console now follows the browser's language."))
    return RedirectResponse(_local(next), status_code=303)


@router.get("/")
def home(user: User = Depends(current_user)):
    return RedirectResponse("/campaigns", status_code=303)


def _start_session(request: Request, session: Session, user: User) -> None:
    """A new session id for the signed-in user (never one the browser brought), and the
    browser's earlier session, if any, ended."""
    now = utcnow()
    earlier = session_id(request)
    if earlier:
        login_sessions.end(session, session_id=earlier)
    login_sessions.purge_expired(session, now=now)
    lockout.forget_stale(session, now=now)
    request.session.clear()  # a new CSRF token too
    request.session[SESSION_ID] = login_sessions.start(session, user=user, now=now)
    audit.record(session, user=user, action="login")
    session.commit()


def _local(path: str) -> str:
    """Only a path on this site: a `next` pointing elsewhere would make the login an open redirect."""
    return path if path.startswith("/") and not path.startswith("//") else "/"
