"""Session start: find the household behind the conversation before the first answer."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import context


class ActionSessionStart(Action):
    """Starts a session with the household, campaign and emergency number as slots."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        # A new conversation's metadata, or a restart's (a chat that proved a number): both are
        # set by our own channels, never by a client.
        metadata = {**(tracker.get_slot("session_started_metadata") or {}),
                    **((tracker.latest_message or {}).get("metadata") or {})}
        with context.db_session() as session:
            household, campaign = context.resolve_session(session, sender_id=tracker.sender_id, metadata=metadata)
            values = context.context_values(household, campaign)
            session.commit()
        events = [SessionStarted(), SlotSet("session_started_metadata", metadata)]
        events += [SlotSet(name, value) for name, value in values.items()]
        events.append(ActionExecuted("action_listen"))
        return events
