"""What the Twilio channels share: their settings, signature checks, talking to the bot,
and database writes kept off the event loop."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import parse_qs, urlencode

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from campaigns import store
from campaigns.models import Attempt
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
MessageHandler = Callable[[UserMessage], Awaitable[Any]]
Handler = Callable[[Request, dict, MessageHandler], Awaitable[HTTPResponse]]
QUESTION_PREFIXES = ("utter_ask_", "utter_reask_")
HANG_UP_ACTION = "action_hang_up"
HANG_UP_WAIT = 5.0  # seconds a webhook waits for the bot to record a hang-up


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

    def blueprint(self, on_new_message: MessageHandler) -> Blueprint:
        hooks = Blueprint(f"{self.name()}_webhooks", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        hooks.add_route(health, "/", methods=["GET"], name="health")
        for path, handler in self.routes().items():
            hooks.add_route(self._checked(handler, on_new_message), f"/{path}", methods=["POST"], name=path)
        return hooks

    def _checked(self, handler: Handler, on_new_message: MessageHandler):
        async def route(request: Request) -> HTTPResponse:
            if not self.config.signature_ok(request):
                log.warning("%s webhook %s refused: bad or missing X-Twilio-Signature", self.name(), request.path)
                return response.text("invalid signature", status=403)
            problem = self.problem(request, handler)
            if problem:
                return response.text(problem, status=400)
            return await handler(request, form(request), on_new_message)

        return route


def form(request: Request) -> dict[str, str]:
    """The first value of each posted field."""
    return {key: values[0] for key, values in posted(request).items() if values}


def query(request: Request) -> dict[str, str]:
    """The first value of each query parameter (ours: they are part of the signed URL)."""
    return {key: values[0] for key, values in request.args.items() if values}


def xml(body: str) -> HTTPResponse:
    return response.text(body, content_type="text/xml")


class ReplyCollector(CollectingOutputChannel):
    """Collects the bot's replies with the response each came from; its name picks the
    domain's channel variants (`channel: voice` or `channel: sms`)."""

    def __init__(self, channel: str) -> None:
        super().__init__()
        self.channel = channel

    def name(self) -> str:  # type: ignore[override]
        return self.channel

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):
            message = self._message(recipient_id, text=part)
            message["response"] = kwargs.get("utter_action")
            await self._persist_message(message)


@dataclass(frozen=True)
class Reply:
    texts: list[str]
    question: Optional[str]  # the response that asks a question, if the bot is waiting for an answer


async def converse(on_new_message: MessageHandler, *, channel: str, conversation_id: str, text: str,
                   metadata: Optional[dict[str, Any]] = None) -> Reply:
    """One resident message in, the bot's replies out."""
    collector = ReplyCollector(channel)
    await on_new_message(UserMessage(text, collector, conversation_id, input_channel=channel,
                                     metadata=metadata or {}))
    texts = [m["text"] for m in collector.messages if m.get("text")]
    questions = [m.get("response") for m in collector.messages if is_question(m.get("response"))]
    return Reply(texts=texts, question=questions[-1] if questions else None)


async def hang_up(request: Request, conversation: str) -> bool:
    """Run the hang-up action in a conversation the resident left, as Rasa's /execute endpoint
    would: what was answered is recorded as partial and the screening form is closed.
    False when there was nothing to close (no conversation, or one that had ended)."""
    agent = request.app.ctx.agent
    try:
        tracker = await agent.tracker_store.retrieve(conversation)
        if tracker is None or tracker.active_loop_name is None:
            return False
        async with agent.lock_store.lock(conversation):
            await asyncio.wait_for(agent.execute_action(conversation, HANG_UP_ACTION, ReplyCollector("voice"),
                                                        None, None), HANG_UP_WAIT)
        return True
    except Exception:
        log.exception("conversation %s: recording the hang-up failed", conversation)
        return False


def is_question(response: Optional[str]) -> bool:
    return bool(response) and response.startswith(QUESTION_PREFIXES)


async def in_database(work: Callable[[Session], Any]) -> Any:
    """Run `work(session)` in a worker thread and commit, so the event loop never waits on the database."""
    def run() -> Any:
        with Session(store.get_engine(get_settings().database_url)) as session:
            result = work(session)
            session.commit()
            return result

    return await asyncio.get_running_loop().run_in_executor(None, run)


async def carrier_event(*, attempt_id: Optional[str], status: str, carrier_ref: str,
                        detail: Optional[str] = None, opted_out: bool = False) -> bool:
    """Queue a status for the dispatchers; a repeat or an unknown attempt is dropped with a log line."""
    if not (attempt_id or "").isdigit():
        log.warning("status %s for %s names no attempt; ignored", status, carrier_ref)
        return False

    def add(session: Session) -> bool:
        if session.get(Attempt, int(attempt_id)) is None:
            log.warning("status %s for unknown attempt %s ignored", status, attempt_id)
            return False
        return store.add_carrier_event(session, attempt_id=int(attempt_id), status=status,
                                       carrier_ref=carrier_ref, detail=detail, opted_out=opted_out)

    return await in_database(add)
