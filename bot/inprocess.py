"""The bot in-process: the trained model plus the real custom actions, without HTTP.

Dry runs, demos, benchmarks and tests talk to the assistant through `InProcessBot`, the
in-process side of the engine's bot interface; live, carriers reach the Rasa server's
`outreach` channel over HTTP instead, and Rasa calls the actions over HTTP.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from rasa.core.agent import Agent
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot import rasa_runtime
from bot.channels.conversation import Reply, converse, hang_up
from bot.rasa_runtime import quiet_rasa


class InProcessActions(EndpointConfig):
    """An action endpoint that runs rasa_sdk's executor directly instead of over HTTP.

    Errors come back exactly as the action server would send them, so Rasa's form
    rejection (HTTP 400) works the same way.
    """

    def __init__(self, package: str = "bot.actions") -> None:
        super().__init__(url="inprocess://actions")
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(self, method: str = "post", subpath: Optional[str] = None,
                      content_type: Optional[str] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Any]:
        try:
            return await self.executor.run(kwargs["json"])
        except ActionExecutionRejection as error:
            body = {"action_name": error.action_name, "error": error.message}
            raise ClientResponseError(400, "rejected", json.dumps(body)) from error
        except ActionNotFoundException as error:
            body = {"action_name": error.action_name, "error": error.message}
            raise ClientResponseError(404, "not found", json.dumps(body)) from error


class InProcessBot:
    """The bot in this process: the campaign engine's bot interface (campaigns.carriers.base.BotClient)
    for dry runs and tests, and `send` for scripted chats."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @classmethod
    def load(cls, model_path: str | Path) -> "InProcessBot":
        quiet_rasa()
        rasa_runtime.apply()
        return cls(Agent.load(str(model_path), action_endpoint=InProcessActions()))

    async def send(self, sender_id: str, text: str, *, channel: str = "rest",
                   metadata: Optional[dict[str, Any]] = None) -> list[str]:
        """The texts the bot answers with, in order."""
        return (await self.converse(sender_id, text, channel=channel, metadata=metadata)).texts

    async def converse(self, sender_id: str, text: str, *, channel: str = "rest",
                       metadata: Optional[dict[str, Any]] = None) -> Reply:
        return await converse(self.agent, channel=channel, conversation_id=sender_id, text=text,
                              metadata=metadata)

    async def open(self, contact, *, channel: str, now: Optional[datetime] = None) -> Reply:
        return await self.converse(contact.conversation_id, "/greet", channel=channel,
                                   metadata=_metadata(contact.attempt_id, now))

    async def say(self, contact, text: str, *, channel: str, now: Optional[datetime] = None) -> Reply:
        return await self.converse(contact.conversation_id, text, channel=channel,
                                   metadata=_metadata(contact.attempt_id, now))

    async def close(self, attempt_id: int, conversation_id: str) -> bool:
        return await hang_up(self.agent, conversation_id)


def _metadata(attempt_id: int, now: Optional[datetime]) -> dict[str, Any]:
    """The attempt is the conversation's one handle; a dry run's clock stamps `now` (honoured on
    the simulated channel only)."""
    return {"attempt_id": attempt_id, **({"now": now.isoformat()} if now else {})}


def adapter(model_path: Optional[str | Path] = None) -> InProcessBot:
    """The bot for dry runs: the cached model (trained first if its inputs changed)."""
    from bot.model import ensure_model

    return InProcessBot.load(model_path or ensure_model())
