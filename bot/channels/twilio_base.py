"""What the Twilio channels share: their settings, the signature check on the public URL,
the signed attempt reference their URLs carry, and routes that refuse unsigned requests."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import parse_qs, urlencode

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from campaigns.records.contacts import read_attempt, sign_attempt
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
Handler = Callable[[Request, dict, Agent], Awaitable[HTTPResponse]]
# Twilio's connection overrides, a URL fragment it reads and never sends (nor signs). A request
# that could not connect, or got a 5xx (a proxy whose server is down; our 503 when a store is),
# never ran a turn, so Twilio tries it 5 more times, giving each connection 2 s. A read timeout
# is never retried: that turn may have been taken, and its answer would be read twice.
RETRY_OVERRIDES = "#ct=2000&rc=5&rp=ct,5xx"


@dataclass(frozen=True)
class TwilioWebhookConfig:
    """The auth token signatures are checked with, and the public base URL Twilio calls."""

    auth_token: Optional[str]
    public_url: Optional[str]

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "TwilioWebhookConfig":
        """credentials.yml values first, then the environment (TWILIO_AUTH_TOKEN, SCREENING_PUBLIC_URL)."""
        credentials = credentials or {}
        settings = get_settings()
        token = credentials.get("auth_token") or (
            settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None)
        public = credentials.get("public_url") or settings.public_url
        if not token or not public:
            log.warning("Twilio webhooks will answer 403 until TWILIO_AUTH_TOKEN and SCREENING_PUBLIC_URL are set")
        return cls(auth_token=token, public_url=public.rstrip("/") if public else None)

    def url(self, path: str, **query: Any) -> str:
        """The public URL of one of our webhooks, as Twilio will request (and sign) it."""
        query = {key: value for key, value in query.items() if value not in (None, "")}
        return f"{self.public_url}{path}" + (f"?{urlencode(query)}" if query else "")

    def retried_url(self, path: str, **query: Any) -> str:
        """`url`, with the connection overrides that have Twilio retry a request that never ran."""
        return self.url(path, **query) + RETRY_OVERRIDES

    def ref(self, attempt_id: int) -> str:
        """The signed reference to an attempt that our webhook URLs carry, and nothing else."""
        return sign_attempt(attempt_id, key=self.auth_token or "")

    def attempt_of(self, request: Request) -> Optional[int]:
        """The attempt a webhook URL names (`ref`), or None when it names none or a forged one."""
        return read_attempt(query(request).get("ref"), key=self.auth_token)

    def signature_ok(self, request: Request) -> bool:
        """Whether X-Twilio-Signature matches this request, rebuilt on the public URL so the
        check holds behind a proxy or a tunnel that changes the host or the scheme."""
        signature = request.headers.get("X-Twilio-Signature")
        if not (self.auth_token and self.public_url and signature):
            return False
        url = self.public_url + request.path + (f"?{request.query_string}" if request.query_string else "")
        return RequestValidator(self.auth_token).validate(url, posted(request), signature)


class Fields(dict):
    """Posted fields, each with all its values, as Twilio's RequestValidator reads them."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def posted(request: Request) -> Fields:
    """Every posted field, blank ones included: Twilio signs fields such as an empty
    FinishedOnKey, which Sanic's own form parsing drops."""
    return Fields(parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True))


class TwilioChannel(InputChannel):
    """A Rasa input channel whose every POST route checks X-Twilio-Signature, answering 403
    when it does not match. A subclass names its routes and handlers in `routes()`."""

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "TwilioChannel":
        return cls(TwilioWebhookConfig.from_credentials(credentials))

    def __init__(self, config: TwilioWebhookConfig) -> None:
        self.config = config

    def routes(self) -> dict[str, Handler]:
        raise NotImplementedError

    def problem(self, request: Request, handler: Handler) -> Optional[str]:
        """Why a signed request cannot be served (answered 400), or None."""
        return None

    def blueprint(self, on_new_message: Callable) -> Blueprint:
        hooks = Blueprint(f"{self.name()}_webhooks", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        hooks.add_route(health, "/", methods=["GET"], name="health")
        for path, handler in self.routes().items():
            hooks.add_route(self._checked(handler), f"/{path}", methods=["POST"], name=path)
        return hooks

    def _checked(self, handler: Handler):
        async def route(request: Request) -> HTTPResponse:
            if not self.config.signature_ok(request):
                log.warning("%s webhook %s refused: bad or missing X-Twilio-Signature", self.name(), request.path)
                return response.text("invalid signature", status=403)
            problem = self.problem(request, handler)
            if problem:
                return response.text(problem, status=400)
            return await handler(request, form(request), request.app.ctx.agent)

        return route


def form(request: Request) -> dict[str, str]:
    """The first value of each posted field."""
    return {key: values[0] for key, values in posted(request).items() if values}


def query(request: Request) -> dict[str, str]:
    """The first value of each query parameter (ours: they are part of the signed URL)."""
    return {key: values[0] for key, values in request.args.items() if values}


def xml(body: str) -> HTTPResponse:
    return response.text(body, content_type="text/xml")
