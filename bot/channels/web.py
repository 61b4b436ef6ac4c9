"""The residents' web page: the Rasa input channel `web`, served at the root of the public port.

- GET /r/<token>: a household's chat link (campaigns.records.links). The conversation is the
  link's attempt's, looked up on the server; an expired, forged or used link gets a notice page
  in the resident's language (404 or 410), never a conversation.
- GET /report[?c=<community>]: a walk-in's page, in the language the browser asks for. The server
  gives the page a random sender id; the chat is `chat:<sender>`, as on the chat channel, whose
  /webhooks/chat/prove and /verify routes tie it to a phone's household with a texted code.
  Without a proof it stays anonymous, in the community the resident chose from the list.
- POST <page>/start, /say, /help: the page's JSON calls. Each answers {"messages", "question",
  "done"}; /help raises a `help_request` case with the category.

Rasa joins a channel's `url_prefix()` to "/webhooks/" with urljoin, so the prefix "/" puts the
pages at the root: a texted link stays short. Every route has a size cap and rate limits per
address and per conversation; bad input gets a 4xx, never a 500.
"""
from __future__ import annotations

import json
import logging
import secrets
from typing import Any, Callable, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.chat import SENDER, TOO_LONG
from bot.channels.conversation import WAY_FORWARD, converse
from bot.channels.edge import RateLimiter, clean_text, too_long
from bot.channels.storage import carrier_event, context_of, in_database
from bot.channels import web_records
from bot.channels.web_render import REPORT_PATH, Pages, notice_texts
from bot.channels.web_texts import TEXTS, accepted_language
from campaigns.records import links
from campaigns.records.contacts import CallContext
from campaigns.records.escalations import HELP_CATEGORIES
from campaigns.records.models import utcnow
from campaigns.records.vocabulary import language_of
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
MAX_BODY = 4096  # bytes: an answer is a few words
CHANNEL = "web"
STATUS = {links.LinkStatus.forged: 404, links.LinkStatus.expired: 410, links.LinkStatus.completed: 410}
GREETING = {"en": "hello", "zh": "你好"}  # a walk-in's first message, in the page's language


class WebInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def url_prefix(self) -> str:
        return "/"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "WebInput":
        settings = get_settings()
        return cls(per_conversation=settings.chat_messages_per_minute,
                   per_address=settings.chat_messages_per_minute_per_address)

    def __init__(self, per_conversation: float = 20, per_address: float = 120) -> None:
        self.addresses = RateLimiter(per_minute=per_address, burst=40)
        self.conversations = RateLimiter(per_minute=per_conversation, burst=10)
        self.helps = RateLimiter(per_minute=2, burst=4)  # a help request per conversation, now and then
        self.pages = Pages.load()

    def blueprint(self, on_new_message: Callable) -> Blueprint:
        pages = Blueprint("web_pages", __name__)

        async def link_page(request: Request, token: str) -> HTTPResponse:
            return await self._edge(request, lambda: self._link_page(request, token))

        async def link_call(request: Request, token: str, action: str) -> HTTPResponse:
            return await self._edge(request, lambda: self._link_call(request, token, action))

        async def walk_in_page(request: Request) -> HTTPResponse:
            return await self._edge(request, lambda: self._walk_in_page(request))

        async def walk_in_call(request: Request, action: str) -> HTTPResponse:
            return await self._edge(request, lambda: self._walk_in_call(request, action))

        pages.add_route(link_page, "/r/<token:str>", methods=["GET"], name="link_page")
        pages.add_route(link_call, "/r/<token:str>/<action:start|say|help>", methods=["POST"], name="link_call")
        pages.add_route(walk_in_page, REPORT_PATH, methods=["GET"], name="walk_in_page")
        pages.add_route(walk_in_call, REPORT_PATH + "/<action:start|say|help>", methods=["POST"], name="walk_in_call")
        return pages

    async def _edge(self, request: Request, serve) -> HTTPResponse:
        """The checks every page and call shares: the size cap and the address's rate."""
        if len(request.body or b"") > MAX_BODY:
            return response.json({"error": f"the body is over {MAX_BODY} bytes"}, status=413)
        if not self.addresses.allow(f"ip:{request.remote_addr or request.ip}"):
            return self._slow_down(request)
        try:
            return await serve()
        except Exception:  # a fault of ours (a store out of reach): try again later; never a 500
            log.exception("web page %s failed", "/r/..." if request.path.startswith("/r/") else request.path[:20])
            if request.method == "GET":
                language = accepted_language(request.headers.get("accept-language"))
                return response.html(self.pages.notice(language=language, kind="unavailable"), status=503,
                                     headers=self.pages.headers())
            return response.json({"error": "the page could not be answered; please try again"}, status=503)

    def _slow_down(self, request: Request) -> HTTPResponse:
        language = accepted_language(request.headers.get("accept-language"))
        seconds = self.addresses.retry_after()
        if request.method == "GET":
            return response.html(self.pages.notice(language=language, kind="slow_down"), status=429,
                                 headers={**self.pages.headers(), "Retry-After": str(seconds)})
        return response.json({"error": notice_texts(language, "slow_down")[1]}, status=429,
                             headers={"Retry-After": str(seconds)})

    # --- a household's link ---------------------------------------------------------------
    async def _check(self, request: Request, token: str) -> tuple[links.LinkCheck, Optional[CallContext], str]:
        """What the token is worth, its attempt's context, and the language to answer in."""
        check = await in_database(lambda s: links.read(s, token=token[:64], now=utcnow()))
        call = await context_of(check.attempt_id) if check.attempt_id else None
        language = call.language if call else accepted_language(request.headers.get("accept-language"))
        if check.status is links.LinkStatus.ok and call is None:  # signed, but never placed
            check = links.LinkCheck(links.LinkStatus.forged, None)
        return check, call, language_of(language) or "en"

    async def _link_page(self, request: Request, token: str) -> HTTPResponse:
        check, call, language = await self._check(request, token)
        if check.status is not links.LinkStatus.ok:
            return response.html(self.pages.notice(language=language, kind=check.status.value),
                                 status=STATUS[check.status], headers=self.pages.headers())
        page = self.pages.chat(language=language, mode="link", base=f"/r/{token}")
        return response.html(page, headers=self.pages.headers())

    async def _link_call(self, request: Request, token: str, action: str) -> HTTPResponse:
        check, call, language = await self._check(request, token)
        if check.status is not links.LinkStatus.ok:
            title, text = notice_texts(language, check.status.value)
            return response.json({"error": check.status.value, "notice": {"title": title, "text": text}},
                                 status=STATUS[check.status])
        if not self.conversations.allow(call.conversation_id):
            return self._slow_down(request)
        body, agent = _json(request.body), request.app.ctx.agent
        metadata = {"attempt_id": call.attempt_id}
        if action == "start":
            found = await web_records.resume(agent, call.conversation_id)
            if found is not None:
                return _answer(*found)
            await carrier_event(attempt_id=call.attempt_id, status="in_progress", carrier_ref=f"web-a{call.attempt_id}",
                                detail="the resident opened the link")
            return (await self._converse(agent, call.conversation_id, "/greet", metadata))[0]
        if action == "help":
            return await self._help(agent, call.conversation_id, body, household_id=call.household_id)
        answer, ended = await self._say(agent, call.conversation_id, body, metadata)
        if ended:  # as a text conversation's end: the dispatcher counts the attempt reached
            await carrier_event(attempt_id=call.attempt_id, status="completed", carrier_ref=f"web-a{call.attempt_id}",
                                detail="the conversation on the web page ended")
        return answer

    # --- a walk-in ------------------------------------------------------------------------
    async def _walk_in_page(self, request: Request) -> HTTPResponse:
        language = accepted_language(request.headers.get("accept-language"))
        communities = await web_records.communities()
        chosen = request.args.get("c") or ""
        page = self.pages.chat(language=language, mode="walk_in", base=REPORT_PATH, sender=_new_sender(),
                               communities=communities, community=chosen if chosen in communities else "",
                               prove="/webhooks/chat")
        return response.html(page, headers=self.pages.headers())

    async def _walk_in_call(self, request: Request, action: str) -> HTTPResponse:
        body, agent = _json(request.body), request.app.ctx.agent
        sender = body.get("sender")
        if not (isinstance(sender, str) and SENDER.fullmatch(sender)):
            return response.json({"error": "sender: the id the page was given"}, status=400)
        conversation = f"chat:{sender}"  # the chat channel's namespace: its proofs apply here
        if not self.conversations.allow(conversation):
            return self._slow_down(request)
        if action == "say":
            return (await self._say(agent, conversation, body, {}))[0]
        if action == "help":
            return await self._help(agent, conversation, body, household_id=None)
        community = body.get("community")
        if community and community not in await web_records.communities():
            return response.json({"error": "community: one of the page's list"}, status=400)
        found = await web_records.resume(agent, conversation)
        if found is not None:
            return _answer(*found)
        if community:
            await in_database(lambda s: web_records.place_walk_in(s, conversation_id=conversation, community=community))
        language = language_of(body.get("language") if isinstance(body.get("language"), str) else None) or \
            accepted_language(request.headers.get("accept-language"))
        return (await self._converse(agent, conversation, GREETING[language], {}))[0]

    # --- what both pages do ----------------------------------------------------------------
    async def _say(self, agent: Agent, conversation: str, body: dict, metadata: dict) -> tuple[HTTPResponse, bool]:
        """The answer to one message, and whether the conversation ended with it."""
        text = body.get("message")
        if not isinstance(text, str):
            return response.json({"error": "message: text"}, status=400), False
        text = clean_text(text)
        if too_long(text):
            found = await web_records.resume(agent, conversation)
            return _answer([TOO_LONG] + (found[0] if found else []), found[1] if found else None), False
        return await self._converse(agent, conversation, text or "?", metadata)

    async def _converse(self, agent: Agent, conversation: str, text: str, metadata: dict) -> tuple[HTTPResponse, bool]:
        reply = await converse(agent, channel=CHANNEL, conversation_id=conversation, text=text, metadata=metadata)
        # No open question is the end, unless the turn failed: then the resident is asked to go on.
        ended = reply.question is None and WAY_FORWARD not in reply.responses
        return _answer(reply.texts, reply.question, done=ended), ended

    async def _help(self, agent: Agent, conversation: str, body: dict, *, household_id: Optional[str]) -> HTTPResponse:
        category, note = body.get("category"), body.get("note")
        if category not in HELP_CATEGORIES:
            return response.json({"error": f"category: one of {', '.join(HELP_CATEGORIES)}"}, status=400)
        if not self.helps.allow(conversation):
            return response.json({"error": "help was asked for just now; staff will contact you"}, status=429)
        note = clean_text(note)[:200] if isinstance(note, str) else ""
        slots = await web_records.slots(agent, conversation)  # set on the server: the household, the language
        household_id = household_id or slots.get("household_id")
        await in_database(lambda s: web_records.ask_for_help(s, household_id=household_id, conversation_id=conversation,
                                                             category=category, note=note))
        language = language_of(slots.get("language")) or "en"
        what = TEXTS[language][category] + (f": {note}" if note else "")
        return response.json({"messages": [TEXTS[language]["help_sent"].format(what=what)]})


def _answer(texts: list[str], question: Optional[str], done: bool = False) -> HTTPResponse:
    return response.json({"messages": texts, "question": question, "done": done})


def _new_sender() -> str:
    return "w" + secrets.token_urlsafe(16)  # letters, digits, '-' and '_': a chat sender id


def _json(body: bytes) -> dict:
    try:
        found = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return found if isinstance(found, dict) else {}
