"""The console's web application: pages for staff, a JSON API for scripts (OpenAPI at
/api/openapi.json), sign-in sessions kept on the server behind a signed cookie, CSRF tokens on
every form, and a 4xx with a message for any request it cannot take."""
from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from campaigns.console import i18n, keys, login_sessions
from campaigns.console.i18n import N_
from campaigns.console.deps import LoginRequired, recall_language, refuse_nul
from campaigns.console.rendering import render
from campaigns.records.db import get_engine
from campaigns.settings import Settings, get_settings


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    settings = settings or get_settings()
    engine = get_engine(settings.database_url)
    app = FastAPI(title="Screening console API", version="1", openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None, dependencies=[Depends(refuse_nul)],
                  description="Campaign progress, escalations, households and results. Send "
                              "`Authorization: Bearer <token>`; tokens come from `screening users token NAME`.")
    app.add_middleware(SessionMiddleware, secret_key=keys.signing_key(settings, engine),
                       session_cookie="screening_console", max_age=int(login_sessions.LENGTH.total_seconds()),
                       same_site="lax", https_only=settings.environment == "production")
    app.state.engine = engine
    app.state.settings = settings
    for language in i18n.languages():  # read once now: a broken catalogue stops the start, not a page
        i18n.translations(language)
    _handlers(app)
    from campaigns.console import pages_audit, pages_auth, pages_campaigns, pages_escalations, pages_households, \
        pages_lists, pages_reports, pages_results, pages_self_reports, pages_users

    # Each area has its pages (`router`) and, where scripts need it, its JSON API (`api`).
    # pages_reports before pages_escalations: its /escalations/export.csv is not an escalation id.
    for module in (pages_auth, pages_campaigns, pages_reports, pages_self_reports, pages_escalations,
                   pages_households, pages_lists, pages_results, pages_audit, pages_users):
        app.include_router(module.router, include_in_schema=False)
        if hasattr(module, "api"):
            app.include_router(module.api, prefix="/api/v1")
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "sign in or send a bearer token"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(HTTPException)  # Starlette's: FastAPI's, and routing's own 404 and 405
    async def http_error(request: Request, error: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code)
        await run_in_threadpool(recall_language, request)
        return render(request, "error.html", status_code=error.status_code, code=error.status_code,
                      message=_ROUTING.get((error.status_code, str(error.detail)), error.detail))

    @app.exception_handler(RequestValidationError)  # a parameter of the wrong type or out of range
    async def invalid(request: Request, error: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, error)
        problems = "; ".join(f"{'.'.join(str(part) for part in problem['loc'][1:])}: {problem['msg']}"
                             for problem in error.errors())
        # pydantic's own words stay English; the sentence around them is the reader's.
        message = problems if i18n.request_language(request) == i18n.DEFAULT else \
            N_("Some of what was sent cannot be used: %(problems)s", problems=problems)
        return render(request, "error.html", status_code=422, message=message, code=422)


# Routing's own answers (Starlette's words), for a page in the reader's language.
_ROUTING = {(404, "Not Found"): N_("Not Found"), (405, "Method Not Allowed"): N_("Method Not Allowed")}
