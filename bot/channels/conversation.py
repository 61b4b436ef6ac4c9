"""Driving the bot from a channel: one resident message in (with the language it is written in),
the replies and the open question out; closing a conversation the resident left; the question
asked last."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Optional

from rasa.core.actions.action import ActionExecutionRejection
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted

from bot.channels.storage import store_unavailable, tune_tracker_engine
from bot.questions import is_question, question_of
from bot.understanding import WRITTEN_IN, language_written

log = logging.getLogger(__name__)
HANG_UP_ACTION = "action_hang_up"
HANG_UP_WAIT = 5.0  # seconds to wait for the bot to record a hang-up
WAY_FORWARD = "utter_way_forward"  # said after a turn that failed; the domain has it per channel
TECHNICAL_FAULT = "Sorry, we have a technical problem. Please try again."  # if even that fails


class ReplyCollector(CollectingOutputChannel):
    """Collects the bot's replies with the response each came from. Its name is the channel's,
    which is how Rasa picks a response's channel variant (`channel: voice`, `channel: sms`)."""

    def __init__(self, channel: str) -> None:
        super().__init__()
        self.channel = channel
        self.jammed = False  # the turn failed, or Rasa's circuit breaker stopped it

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


async def converse(agent: Agent, *, channel: str, conversation_id: str, text: str,
                   metadata: Optional[dict[str, Any]] = None) -> Reply:
    """One resident message in, the bot's replies out. A turn that fails or trips Rasa's
    circuit breaker still gets a way forward, and leaves the conversation listening, so the
    next message works; the same text is never sent twice in one reply. When the database or
    the lock store cannot be reached, StoreUnavailable (a 503) and nothing of the turn is kept."""
    collector = ReplyCollector(channel)
    # What the message is written in, worked out here from its text, chooses a walk-in's
    # language at session start; whatever a caller put under the same key is replaced.
    metadata = {**(metadata or {}), WRITTEN_IN: language_written(text)}
    message = UserMessage(text, collector, conversation_id, input_channel=channel, metadata=metadata)
    _watch(agent)
    try:
        await agent.handle_message(message)
    except (Exception, _TurnAbandoned) as error:
        _raise_if_unavailable(error, conversation_id)
        log.exception("conversation %s: the turn failed", conversation_id)
        collector.jammed = True
    if collector.jammed:
        await _listen_again(agent, conversation_id, collector)
    said = _once([m for m in collector.messages if m.get("text")])
    questions = [m.get("response") for m in said if is_question(m.get("response"))]
    return Reply(texts=[m["text"] for m in said], asked_with=questions[-1] if questions else None,
                 responses=tuple(m.get("response") for m in said))


def _once(messages: list[dict]) -> list[dict]:
    seen: set[str] = set()
    return [m for m in messages if not (m["text"] in seen or seen.add(m["text"]))]


class _TurnAbandoned(BaseException):
    """An action failed (its store could not be reached, the action server is down, a fault).
    Rasa catches every Exception an action raises, drops the action's events, carries on and saves
    the rest of the turn, often with no reply at all; this passes by, and nothing is saved."""


def _watch(agent: Agent) -> None:
    """Hear of every failure, at no cost per turn: Rasa's circuit breaker tells the collector, a
    tracker store error is raised where Rasa would carry on with a tracker in memory (a fresh
    conversation when reading fails, a turn kept in this process only when writing does), and an
    action whose store is gone abandons the turn. The tracker store's engine is tuned once."""
    processor = agent.processor
    if processor is not None:
        processor.on_circuit_break = _jammed
        if not hasattr(processor, "_run_action_as_rasa_does"):
            processor._run_action_as_rasa_does = processor._run_action
            processor._run_action = _strict_actions(processor._run_action)
    if isinstance(agent.tracker_store, FailSafeTrackerStore):
        agent.tracker_store._on_tracker_store_error = _raise
        engine = getattr(agent.tracker_store._tracker_store, "engine", None)
        if engine is not None:
            tune_tracker_engine(engine)


def _strict_actions(run_action):
    async def run_action_strictly(action, *args: Any, **kwargs: Any) -> bool:
        return await run_action(_StrictAction(action), *args, **kwargs)

    return run_action_strictly


class _StrictAction:
    """The action as it is, but when it fails the turn is abandoned: a 503 when a store cannot be
    reached, else a jammed turn (the way forward, the question still open)."""

    def __init__(self, action) -> None:
        self._action = action

    def __getattr__(self, name: str) -> Any:
        return getattr(self._action, name)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._action.run(*args, **kwargs)
        except ActionExecutionRejection:  # a form's answer rejected: the dialogue goes on, as Rasa means it
            raise
        except Exception as error:
            raise _TurnAbandoned(self._action.name()) from error


def _raise(error: Exception) -> None:
    raise error


def _raise_if_unavailable(error: BaseException, conversation: str) -> None:
    """StoreUnavailable, with one log line naming the store, if a store could not be reached."""
    down = store_unavailable(error)
    if down is not None:
        log.error("conversation %s: %s; answered 503, the turn not taken", conversation, down.reason)
        raise down from error


def _jammed(tracker, output_channel, nlg) -> None:
    """Rasa's circuit breaker stopped the turn (it calls this, with the turn's output channel)."""
    output_channel.jammed = True


async def _listen_again(agent: Agent, conversation: str, collector: ReplyCollector) -> None:
    """Close a jammed turn: the resident is told how to go on, and the bot listens again.
    An open form is left open, so the next answer goes where it belongs."""
    log.warning("conversation %s: the turn did not end normally; the bot listens again", conversation)
    try:
        async with agent.lock_store.lock(conversation):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation)
            if tracker.latest_action_name != ACTION_LISTEN_NAME:
                tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                await agent.tracker_store.save(tracker)
            reply = await agent.nlg.generate(WAY_FORWARD, tracker, collector.name())
    except Exception:
        log.exception("conversation %s: could not reopen the conversation", conversation)
        reply = None
    await collector.send_text_message(conversation, (reply or {}).get("text") or TECHNICAL_FAULT,
                                      utter_action=WAY_FORWARD)


async def hang_up(agent: Agent, conversation: str, channel: str = "voice") -> bool:
    """Run the hang-up action in a conversation the resident left, as Rasa's /execute endpoint
    would: what was answered is recorded as partial and the screening form is closed.
    False when there was nothing to close (no conversation, or one that had ended)."""
    _watch(agent)
    try:
        tracker = await agent.tracker_store.retrieve(conversation)
        if tracker is None or tracker.active_loop_name is None:
            return False
        async with agent.lock_store.lock(conversation):
            await asyncio.wait_for(agent.execute_action(conversation, HANG_UP_ACTION, ReplyCollector(channel),
                                                        None, None), HANG_UP_WAIT)
        return True
    except (Exception, _TurnAbandoned) as error:
        _raise_if_unavailable(error, conversation)
        log.exception("conversation %s: recording the hang-up failed", conversation)
        return False


async def last_question(agent: Optional[Agent], conversation: str) -> Optional[str]:
    """The question the bot asked last, to repeat it after silence."""
    tracker = None
    if agent is not None:
        _watch(agent)
        try:
            tracker = await agent.tracker_store.retrieve(conversation)
        except Exception as error:
            _raise_if_unavailable(error, conversation)
            raise
    for event in reversed(tracker.events if tracker else []):
        if getattr(event, "text", None) and is_question((getattr(event, "metadata", None) or {}).get("utter_action")):
            return event.text
    return None
