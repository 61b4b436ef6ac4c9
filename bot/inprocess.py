"""The bot in-process: the trained model plus the real custom actions, without HTTP.

Dry runs, demos, benchmarks and tests talk to the assistant through `InProcessBot`, the
in-process side of the engine's bot interface; live, carriers reach the Rasa server's
`outreach` channel over HTTP instead, and the Rasa server runs the same actions in its own
process (bot.inprocess_actions), or calls an action server.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Optional

# Before Rasa, on purpose: skops (which loads the intent classifier) names the numpy and scipy
# functions it trusts by searching every module loaded. After Rasa and TensorFlow (6,000 modules)
# that took about 10 s of each start, before them (1,500) 4 s; the names found are the same.
import skops.io  # noqa: F401  isort: skip

from rasa.core.agent import Agent

from bot import rasa_runtime
from bot.channels.conversation import Reply, converse, hang_up
from bot.graph_order import run_graph_in_order
from bot.inprocess_actions import InProcessActions
from bot.rasa_runtime import quiet_rasa


class InProcessBot:
    """The bot in this process: the campaign engine's bot interface (campaigns.carriers.base.BotClient)
    for dry runs and tests, and `send` for scripted chats."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @classmethod
    def load(cls, model_path: str | Path) -> "InProcessBot":
        quiet_rasa()
        rasa_runtime.apply()
        agent = Agent.load(str(model_path), action_endpoint=InProcessActions())
        run_graph_in_order(agent)
        return cls(agent)

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
