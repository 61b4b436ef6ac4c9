"""The bot in-process: the trained model plus the real custom actions, without HTTP.

Dry runs, demos, benchmarks and tests talk to the assistant through `InProcessBot`; in
production the same actions run behind `rasa run actions` and Rasa calls them over HTTP.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot import rasa_runtime


def quiet_rasa(level: int = logging.WARNING) -> None:
    """Rasa's structured debug log is loud by default; keep warnings and errors."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(level)
    for name in ("rasa", "rasa_sdk", "apscheduler", "sanic", "matplotlib", "absl"):
        logging.getLogger(name).setLevel(level)


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
    """Send a resident's message, get the bot's replies."""

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
        return [reply for reply, _ in await self.exchange(sender_id, text, channel=channel, metadata=metadata)]

    async def exchange(self, sender_id: str, text: str, *, channel: str = "rest",
                       metadata: Optional[dict[str, Any]] = None) -> list[tuple[str, Optional[str]]]:
        """The bot's replies, each with the name of the response it came from (None if free text).

        This is the interface the campaign engine's simulated carrier talks to."""
        output = ResponseCollector()
        message = UserMessage(text, output, sender_id, input_channel=channel, metadata=metadata)
        await self.agent.handle_message(message)
        return [(m["text"], m.get("response")) for m in output.messages if m.get("text")]


class ResponseCollector(CollectingOutputChannel):
    """Collects replies and remembers which domain response each one came from."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):
            message = self._message(recipient_id, text=part)
            message["response"] = kwargs.get("utter_action")
            await self._persist_message(message)


def adapter(model_path: Optional[str | Path] = None) -> InProcessBot:
    """The bot for dry runs: the cached model (trained first if its inputs changed)."""
    from bot.model import ensure_model

    return InProcessBot.load(model_path or ensure_model())
