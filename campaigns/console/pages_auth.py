"""Signing in and out."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from campaigns.console import audit, users
from campaigns.console.rendering import flash, render
from campaigns.console.deps import check_csrf, current_user, get_session
from campaigns.records.models import User, utcnow

router = APIRouter()


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return render(request, "login.html", next=_local(next))


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, name: str = Form(...), password: str = Form(...), next: str = Form("/"),
          session: Session = Depends(get_session)):
    name = name.strip()[:64]
    if users.failed_sign_ins(session, name=name, since=utcnow() - users.LOCKOUT) >= users.MAX_FAILURES:
        return render(request, "login.html", status_code=429, next=_local(next), name=name,
                      error=f"Too many wrong passwords for {name}: wait {users.LOCKOUT.seconds // 60} minutes.")
    user = users.authenticate(session, name=name, password=password)
    if user is None:
        users.record_failure(session, name=name)
        session.commit()
        return render(request, "login.html", status_code=401, next=_local(next), name=name,
                      error="Wrong name or password.")
    request.session.clear()  # a new session id for the signed-in user
    request.session["user_id"] = user.id
    audit.record(session, user=user, action="login")
    session.commit()
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, user: User = Depends(current_user)):
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(user: User = Depends(current_user)):
    return RedirectResponse("/campaigns", status_code=303)


def _local(path: str) -> str:
    """Only a path on this site: a `next` pointing elsewhere would make the login an open redirect."""
    return path if path.startswith("/") and not path.startswith("//") else "/"
