"""The bot over HTTP: the engine's bot interface (base.BotClient) against the Rasa server's
`outreach` channel, as live carriers use it."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

import aiohttp

from campaigns.carriers.base import CarrierError, Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpReply:
    texts: list[str]
    question: Optional[str]


class HttpBot:
    def __init__(self, rasa_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base = rasa_url.rstrip("/") + "/webhooks/outreach"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout
        self._http: Optional[aiohttp.ClientSession] = None

    async def open(self, contact: Contact, *, channel: str, now: Optional[datetime] = None) -> HttpReply:
        return _reply(await self._post("open", {"attempt": contact.attempt_id, "channel": channel}))

    async def say(self, contact: Contact, text: str, *, channel: str, now: Optional[datetime] = None) -> HttpReply:
        return _reply(await self._post("say", {"attempt": contact.attempt_id, "channel": channel, "text": text}))

    async def close(self, attempt_id: int, conversation_id: str) -> bool:
        return bool((await self._post("close", {"attempt": attempt_id})).get("closed"))

    async def _post(self, action: str, body: dict[str, Any]) -> dict:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._http.post(f"{self.base}/{action}", json=body, headers=self.headers) as answer:
                status = answer.status
                try:
                    found = await answer.json(content_type=None)
                except ValueError:
                    found = {"error": (await answer.text())[:200]}
        except (aiohttp.ClientError, OSError) as error:
            raise CarrierError(f"the Rasa server at {self.base} could not be reached: {type(error).__name__}") from None
        if status != 200 or not isinstance(found, dict):
            detail = found.get("error", "") if isinstance(found, dict) else ""
            raise CarrierError(f"the Rasa server refused outreach/{action}: HTTP {status} {detail}".strip())
        return found

    async def close_session(self) -> None:
        if self._http is not None:
            await self._http.close()


def _reply(body: dict) -> HttpReply:
    return HttpReply(texts=[t for t in body.get("messages", []) if isinstance(t, str) and t],
                     question=body.get("question"))
