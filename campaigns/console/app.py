"""The console's web application: pages for staff, a JSON API for scripts (OpenAPI at
/api/openapi.json), sessions in a signed cookie, CSRF tokens on every form."""
from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from campaigns.records.db import get_engine
from campaigns.console.deps import LoginRequired
from campaigns.console.rendering import render
from campaigns.settings import Settings, get_settings

SESSION_HOURS = 12


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Screening console API", version="1", openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None,
                  description="Campaign progress, escalations, households and results. Send "
                              "`Authorization: Bearer <token>`; tokens come from `screening users token NAME`.")
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="screening_console",
                       max_age=SESSION_HOURS * 3600, same_site="lax",
                       https_only=settings.environment == "production")
    app.state.engine = get_engine(settings.database_url)
    app.state.settings = settings
    _handlers(app)
    from campaigns.console import pages_audit, pages_auth, pages_campaigns, pages_escalations, pages_households, \
        pages_results

    # Each area has its pages (`router`) and, where scripts need it, its JSON API (`api`).
    for module in (pages_auth, pages_campaigns, pages_escalations, pages_households, pages_results, pages_audit):
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
        return render(request, "error.html", status_code=error.status_code, message=error.detail,
                      code=error.status_code)
