"""The engine's way into the bot over HTTP: the Rasa input channel `outreach`.

Routes, under /webhooks/outreach/, each a JSON POST with `Authorization: Bearer <SCREENING_BOT_TOKEN>`:
- open  {"attempt": N, "channel": "sms"}: the bot greets in the attempt's conversation;
- say   {"attempt": N, "channel": "sms", "text": "..."}: one resident message;
- close {"attempt": N}: close a conversation the resident left, keeping what was answered.
Each answers {"messages": [...], "question": name or null} (close: {"closed": bool}). The
conversation, household and campaign come from the attempt, server side. Without a token
configured every route answers 403. campaigns.carriers.bot_http is the client.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Callable, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.conversation import converse, hang_up
from bot.channels.storage import StoreUnavailable, context_of
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
CHANNELS = ("sms", "voice")  # whose response variants an opening may use
MAX_BODY = 16_384


class OutreachInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "outreach"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "OutreachInput":
        token = (credentials or {}).get("token")
        if not token and get_settings().bot_token:
            token = get_settings().bot_token.get_secret_value()
        if not token:
            log.warning("the outreach channel will answer 403 until SCREENING_BOT_TOKEN is set")
        return cls(token)

    def __init__(self, token: Optional[str]) -> None:
        self.token = token

    def blueprint(self, on_new_message: Callable) -> Blueprint:
        hooks = Blueprint("outreach_webhooks", __name__)

        async def route(request: Request, action: str) -> HTTPResponse:
            if not self._authorized(request):
                return response.json({"error": "missing or wrong bearer token"}, status=403)
            if len(request.body or b"") > MAX_BODY:
                return response.json({"error": f"body over {MAX_BODY} bytes"}, status=413)
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return response.json({"error": "the body is not JSON"}, status=400)
            try:
                return await self._serve(request, action, body if isinstance(body, dict) else {},
                                         request.app.ctx.agent)
            except StoreUnavailable as down:  # the dispatcher tries the attempt again later
                return response.json({"error": str(down)}, status=503)

        hooks.add_route(route, "/<action:open|say|close>", methods=["POST"], name="outreach")
        return hooks

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        return bool(self.token) and hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    async def _serve(self, request: Request, action: str, body: dict, agent: Agent) -> HTTPResponse:
        attempt = body.get("attempt")
        call = await context_of(attempt) if isinstance(attempt, int) and 0 < attempt < 2**63 else None
        if call is None:
            return response.json({"error": "no placed attempt with that number"}, status=404)
        if action == "close":
            return response.json({"closed": await hang_up(agent, call.conversation_id)})
        channel, text = body.get("channel"), body.get("text") if action == "say" else "/greet"
        if channel not in CHANNELS or not isinstance(text, str) or not text.strip():
            return response.json({"error": f"channel must be one of {', '.join(CHANNELS)}, with a text"}, status=400)
        try:
            reply = await converse(agent, channel=channel, conversation_id=call.conversation_id, text=text,
                                   metadata={"attempt_id": call.attempt_id})
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("outreach conversation %s: the bot failed", call.conversation_id)
            return response.json({"error": "the bot failed"}, status=502)
        return response.json({"messages": reply.texts, "question": reply.question})
