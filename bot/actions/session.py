"""Session start: find the household behind the conversation, and its language, before the first answer."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import context
from bot.channels.storage import in_session
from bot.understanding import WRITTEN_IN


class ActionSessionStart(Action):
    """Starts a session with the household, campaign, emergency number and language as slots."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # A new conversation's metadata, or a restart's (a chat that proved a number): both are
        # set by our own channels, never by a client.
        metadata = {**(tracker.get_slot("session_started_metadata") or {}),
                    **((tracker.latest_message or {}).get("metadata") or {})}
        def resolve(session) -> dict[str, Any]:
            household, campaign = context.resolve_session(session, sender_id=tracker.sender_id, metadata=metadata)
            values = context.context_values(household, campaign, wrote=opening_metadata(tracker).get(WRITTEN_IN),
                                            before=tracker.get_slot("language"))
            session.commit()
            return values

        values = await in_session(resolve)  # a worker thread: the event loop never waits on the database
        events = [SessionStarted(), SlotSet("session_started_metadata", metadata)]
        events += [SlotSet(name, value) for name, value in values.items()]
        events.append(ActionExecuted("action_listen"))
        return events


def opening_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata of the message that starts this session. A restart our channel asked for
    ("/session_start") is the tracker's last user event, with nothing after it but its
    featurization; a conversation's first message, or the first after the last session expired,
    is not logged yet, and Rasa put its metadata in the `session_started_metadata` slot (the
    latest message is then the last session's)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
        if event.get("event") != "user_featurization":
            break
    return tracker.get_slot("session_started_metadata") or {}
