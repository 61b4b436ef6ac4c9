"""Switching a conversation's language when the resident asks ("中文", "in English please").

NLU tells a request for a language (`switch_language`); which language is then read from the
text itself by a strict reader, so only a language the bot speaks can be chosen. The screening
form's validation lets such a message through unread (it answers no question), the switch sets
the `language` slot, and the form asks its question again: the question action first confirms
the switch, so both are said in the new language. Calls keep their language: a call's voice and
recogniser are the attempt's.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import context
from bot.understanding import language_asked_for
from campaigns.records.models import Channel

INTENT = "switch_language"
ACTION = "action_switch_language"


def asked_for(tracker: Tracker) -> Optional[str]:
    """The language the latest message asks for, if it is a request the bot can grant."""
    message = tracker.latest_message or {}
    if ((message.get("intent") or {}).get("name")) != INTENT or context.channel_of(tracker) == Channel.voice.value:
        return None
    return language_asked_for(message.get("text") or "")


def switched_this_turn(tracker: Tracker) -> bool:
    """Whether the language was switched since the resident's latest message (so the next
    question says so first)."""
    set_language = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "language":
            set_language = True
        elif event.get("event") == "action" and event.get("name") == ACTION:
            return set_language
    return False


class ActionSwitchLanguage(Action):
    """Sets the language asked for; the rules then have the screening form ask its question again."""

    def name(self) -> str:
        return ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if context.channel_of(tracker) == Channel.voice.value:
            return []  # the question is asked again, in the call's language
        language = asked_for(tracker)
        if language is not None:
            return [SlotSet("language", language)]
        # NLU heard a request for a language, but none the bot speaks: say which it does.
        dispatcher.utter_message(response="utter_languages_offered")
        return [FollowupAction("action_listen")] if tracker.active_loop_name is None else []
