"""Web chat: the Rasa input channel `chat`, for pages and apps residents write in from.

POST /webhooks/chat/webhook {"sender": "<opaque id>", "message": "..."} answers a JSON list of
{"recipient_id", "text"}, as Rasa's REST channel does. Unlike it, nothing the client says about
who it is or where it writes from is believed: `metadata`, `input_channel` and any clock are
ignored, and the sender id is only a session key (never a phone number), so a chat is an
anonymous walk-in. Bodies over a cap get 413, senders and addresses over a rate get 429, and
an answer too long to be one is asked again without being parsed.

A chat is tied to a phone's household only by proving the number:
- POST /webhooks/chat/prove {"sender", "phone"}: a 6-digit code is texted to the number by the
  dispatcher (202), at most 3 codes an hour per number and per chat;
- POST /webhooks/chat/verify {"sender", "code"}: with the right code (5 tries, 10 minutes) the
  chat starts a new session as that number's household (200); a wrong code is a 400.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable, Optional

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.conversation import converse, last_question
from bot.channels.edge import RateLimiter, clean_text, too_long
from bot.channels.storage import in_database
from campaigns.phones import normalize_phone
from campaigns.records import proofs
from campaigns.records.models import utcnow
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
MAX_BODY = 16_384  # bytes: a chat message is a few words
SENDER = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
TOO_LONG = "That message is too long to be an answer. Please answer in a few words."


class ChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "chat"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "ChatInput":
        settings = get_settings()
        return cls(per_sender=settings.chat_messages_per_minute,
                   per_address=settings.chat_messages_per_minute_per_address)

    def __init__(self, per_sender: float = 20, per_address: float = 120) -> None:
        self.senders = RateLimiter(per_minute=per_sender, burst=10)
        self.addresses = RateLimiter(per_minute=per_address, burst=40)

    def blueprint(self, on_new_message: Callable) -> Blueprint:
        hooks = Blueprint("chat_webhooks", __name__)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def webhook(request: Request) -> HTTPResponse:
            return await self._guarded(request, self._receive)

        async def prove(request: Request) -> HTTPResponse:
            return await self._guarded(request, self._prove)

        async def verify(request: Request) -> HTTPResponse:
            return await self._guarded(request, self._verify)

        hooks.add_route(health, "/", methods=["GET"], name="health")
        hooks.add_route(webhook, "/webhook", methods=["POST"], name="webhook")
        hooks.add_route(prove, "/prove", methods=["POST"], name="prove")
        hooks.add_route(verify, "/verify", methods=["POST"], name="verify")
        return hooks

    async def _guarded(self, request: Request, serve) -> HTTPResponse:
        """The edge checks every chat route shares, then `serve(request, sender, body)`."""
        if len(request.body or b"") > MAX_BODY:
            return response.json({"error": f"the body is over {MAX_BODY} bytes"}, status=413)
        if not self.addresses.allow(f"ip:{request.remote_addr or request.ip}"):
            return _slow_down(self.addresses)
        body = _json(request.body)
        sender = body.get("sender")
        if not (isinstance(sender, str) and SENDER.fullmatch(sender)):
            return response.json({"error": "sender: an id of letters, digits, '.', ':', '_' or '-' (at most 64)"},
                                 status=400)
        if not self.senders.allow(f"sender:{sender}"):
            return _slow_down(self.senders)
        return await serve(request, sender, body)

    async def _prove(self, request: Request, sender: str, body: dict) -> HTTPResponse:
        phone = body.get("phone")
        phone = normalize_phone(phone, region=get_settings().default_region) if isinstance(phone, str) else None
        if phone is None:
            return response.json({"error": "phone: not a phone number we can text"}, status=400)
        asked = await in_database(lambda s: proofs.ask(s, conversation_id=f"chat:{sender}", phone=phone,
                                                       now=utcnow()))
        if not asked:
            return response.json({"error": "too many codes asked for; try again in an hour"}, status=429)
        return response.json({"status": "a code is on its way by text"}, status=202)

    async def _verify(self, request: Request, sender: str, body: dict) -> HTTPResponse:
        code = body.get("code")
        if not (isinstance(code, str) and code.strip().isdigit() and len(code.strip()) == 6):
            return response.json({"error": "code: the 6 digits we texted"}, status=400)
        conversation = f"chat:{sender}"
        outcome, phone, left = await in_database(
            lambda s: proofs.check(s, conversation_id=conversation, code=code, now=utcnow()))
        if outcome is not proofs.ProofCheck.proved:
            message = {proofs.ProofCheck.wrong: f"wrong code; {left} tries left",
                       proofs.ProofCheck.spent: "this code can no longer be used; ask for a new one",
                       proofs.ProofCheck.none: "no code was asked for in this chat"}[outcome]
            return response.json({"error": message}, status=400 if outcome is proofs.ProofCheck.wrong else 409)
        # A new session, as the proved number's household: the session start reads this metadata.
        await converse(request.app.ctx.agent, channel="chat", conversation_id=conversation, text="/session_start",
                       metadata={"phone": phone})
        return response.json({"proved": True})

    async def _receive(self, request: Request, sender: str, body: dict) -> HTTPResponse:
        text, agent = body.get("message"), request.app.ctx.agent
        if not isinstance(text, str):
            return response.json({"error": "message: text"}, status=400)
        conversation = f"chat:{sender}"  # a namespace of its own: never a text or call conversation
        text = clean_text(text)
        if too_long(text):
            question = await last_question(agent, conversation)
            return _messages(sender, [TOO_LONG] + ([question] if question else []))
        reply = await converse(agent, channel="chat", conversation_id=conversation, text=text or "?")
        return _messages(sender, reply.texts)


def _json(body: bytes) -> dict:
    try:
        found = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return found if isinstance(found, dict) else {}


def _messages(sender: str, texts: list[str]) -> HTTPResponse:
    return response.json([{"recipient_id": sender, "text": text} for text in texts])


def _slow_down(limiter: RateLimiter) -> HTTPResponse:
    seconds = limiter.retry_after()
    return response.json({"error": f"too many messages; try again in {seconds} s"}, status=429,
                         headers={"Retry-After": str(seconds)})
