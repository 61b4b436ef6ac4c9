"""The users page, for supervisors: every user with their role, state, lockout, live sessions and
API tokens, and forms to disable, enable, unlock and revoke tokens. Each change is audited and
carries the CSRF token; the data functions are in `users`, `tokens`, `lockout`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from campaigns.console import audit, i18n, lockout, login_sessions, tokens, users
from campaigns.console.i18n import N_
from campaigns.console.deps import check_csrf, get_session, require
from campaigns.console.rendering import flash, render
from campaigns.records.models import Role, User, utcnow

router = APIRouter()
MAX_ID = 2 ** 63 - 1  # the largest id a database keeps
_supervisor = require(Role.supervisor)


@dataclass(frozen=True)
class UserLine:
    user: User
    locked_until: Optional[datetime]
    sessions: int  # live sign-in sessions
    tokens: list[tokens.TokenInfo]


@router.get("/users")
def users_page(request: Request, staff: User = Depends(_supervisor), session: Session = Depends(get_session)):
    now = utcnow()
    lines = [UserLine(user, lockout.locked_until(session, name=user.name, now=now),
                      login_sessions.count_live(session, user_id=user.id, now=now),
                      tokens.list_tokens(session, user=user)) for user in users.list_users(session)]
    return render(request, "users.html", lines=lines, me=staff.name)


@router.post("/users/{name}/disable", dependencies=[Depends(check_csrf)])
def disable(request: Request, name: str, staff: User = Depends(_supervisor), session: Session = Depends(get_session)):
    def change(user: User) -> str:
        if user.id == staff.id:
            raise HTTPException(status_code=409, detail=N_("you cannot disable your own account"))
        done = users.set_active(session, user=user, active=False, by=staff.name)
        return N_("Disabled %(name)s; their sessions ended.", name=user.name) if done else \
            N_("%(name)s was already disabled.", name=user.name)

    return _change(request, session, name, change)


@router.post("/users/{name}/enable", dependencies=[Depends(check_csrf)])
def enable(request: Request, name: str, staff: User = Depends(_supervisor), session: Session = Depends(get_session)):
    def change(user: User) -> str:
        done = users.set_active(session, user=user, active=True, by=staff.name)
        return N_("Enabled %(name)s.", name=user.name) if done else N_("%(name)s was already enabled.", name=user.name)

    return _change(request, session, name, change)


@router.post("/users/{name}/unlock", dependencies=[Depends(check_csrf)])
def unlock(request: Request, name: str, staff: User = Depends(_supervisor), session: Session = Depends(get_session)):
    def change(user: User) -> str:
        if not lockout.unlock(session, name=user.name, now=utcnow()):
            return N_("%(name)s was not locked out.", name=user.name)
        audit.record(session, user=staff, action="unlock", target=f"user {user.name}")
        return N_("Unlocked %(name)s.", name=user.name)

    return _change(request, session, name, change)


@router.post("/users/{name}/tokens/{token_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke(request: Request, name: str, token_id: int = Path(..., ge=1, le=MAX_ID),
           staff: User = Depends(_supervisor), session: Session = Depends(get_session)):
    def change(user: User) -> str:
        found = tokens.revoke_token(session, user=user, token_id=token_id, by=staff.name)
        return N_("Revoked token %(token)s of %(name)s.", token=found.label(), name=user.name)

    return _change(request, session, name, change)


@router.post("/users/{name}/tokens/revoke", dependencies=[Depends(check_csrf)])
def revoke_all(request: Request, name: str, staff: User = Depends(_supervisor),
               session: Session = Depends(get_session)):
    def change(user: User) -> str:
        found = tokens.revoke_all(session, user=user, by=staff.name)
        return N_("Revoked 1 token of %(name)s.", name=user.name) if len(found) == 1 else \
            N_("Revoked %(count)s tokens of %(name)s.", count=len(found), name=user.name)

    return _change(request, session, name, change)


def _change(request: Request, session: Session, name: str, change: Callable[[User], str]):
    """Apply a change to the named user, commit, and go back to the page with what was done."""
    try:
        message = change(users.get_user(session, name=name))
    except (users.UserError, tokens.TokenError) as error:  # nothing was changed: the session closes uncommitted
        raise HTTPException(status_code=404, detail=i18n.message_of(error)) from None
    session.commit()
    flash(request, message)
    return RedirectResponse("/users", status_code=303)
