"""Driving the bot from a channel: one resident message in, the replies and the open question out;
closing a conversation the resident left; the question asked last."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.questions import is_question, question_of

log = logging.getLogger(__name__)
MessageHandler = Callable[[UserMessage], Awaitable[Any]]
HANG_UP_ACTION = "action_hang_up"
HANG_UP_WAIT = 5.0  # seconds to wait for the bot to record a hang-up


class ReplyCollector(CollectingOutputChannel):
    """Collects the bot's replies with the response each came from. Its name is the channel's,
    which is how Rasa picks a response's channel variant (`channel: voice`, `channel: sms`)."""

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
    """The bot's answer to one message (campaigns.carriers.base.BotReply)."""

    texts: list[str]
    asked_with: Optional[str]  # the response that asked the open question ("utter_reask_temperature")
    responses: tuple[Optional[str], ...] = ()  # the response each text came from (None: free text)

    @property
    def question(self) -> Optional[str]:
        """The question the bot waits an answer to ("temperature"); None once it has closed."""
        return question_of(self.asked_with)


async def converse(on_new_message: MessageHandler, *, channel: str, conversation_id: str, text: str,
                   metadata: Optional[dict[str, Any]] = None) -> Reply:
    """One resident message in, the bot's replies out."""
    collector = ReplyCollector(channel)
    await on_new_message(UserMessage(text, collector, conversation_id, input_channel=channel,
                                     metadata=metadata or {}))
    said = [m for m in collector.messages if m.get("text")]
    questions = [m.get("response") for m in collector.messages if is_question(m.get("response"))]
    return Reply(texts=[m["text"] for m in said], asked_with=questions[-1] if questions else None,
                 responses=tuple(m.get("response") for m in said))


async def hang_up(agent: Agent, conversation: str, channel: str = "voice") -> bool:
    """Run the hang-up action in a conversation the resident left, as Rasa's /execute endpoint
    would: what was answered is recorded as partial and the screening form is closed.
    False when there was nothing to close (no conversation, or one that had ended)."""
    try:
        tracker = await agent.tracker_store.retrieve(conversation)
        if tracker is None or tracker.active_loop_name is None:
            return False
        async with agent.lock_store.lock(conversation):
            await asyncio.wait_for(agent.execute_action(conversation, HANG_UP_ACTION, ReplyCollector(channel),
                                                        None, None), HANG_UP_WAIT)
        return True
    except Exception:
        log.exception("conversation %s: recording the hang-up failed", conversation)
        return False


async def last_question(agent: Optional[Agent], conversation: str) -> Optional[str]:
    """The question the bot asked last, to repeat it after silence."""
    tracker = await agent.tracker_store.retrieve(conversation) if agent else None
    for event in reversed(tracker.events if tracker else []):
        if getattr(event, "text", None) and is_question((getattr(event, "metadata", None) or {}).get("utter_action")):
            return event.text
    return None
