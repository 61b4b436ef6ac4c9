"""Rendering pages: the templates, and what every page is given (user, CSRF token, flash message)."""
from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from campaigns.console import time_filters
from campaigns.console.deps import csrf_token

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
time_filters.install(TEMPLATES.env)  # times in the office's zone: {{ moment|local }}


def render(request: Request, template: str, status_code: int = 200, **context):
    """A page, with what every page needs: the user, the CSRF token, a flash message."""
    context.update(request=request, user=getattr(request.state, "user", None), csrf_token=csrf_token(request),
                   flash=request.session.pop("flash", None))
    return TEMPLATES.TemplateResponse(template, context, status_code=status_code)


def flash(request: Request, message: str) -> None:
    request.session["flash"] = message
