"""What a resident may say at any point: opt out, wrong number, help, a person; and the fallback."""
from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot import flow
from bot.actions import context
from bot.actions.recording import record_request, record_screening
from bot.actions.screening import FORM, reset_events
from bot.assessment import Ending
from bot.channels.storage import in_session
from campaigns.records.households import flag_wrong_number, record_opt_out
from campaigns.records.models import EscalationKind


def _end_form() -> list[dict[str, Any]]:
    return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_events()]


def _said(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "")[:200]


class ActionOptOut(Action):
    """Records an opt-out (no further contact on any campaign) and confirms it."""

    def name(self) -> str:
        return "action_opt_out"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        state = tracker.get_slot("screening")

        def opt_out(session) -> bool:
            household = context.find_household(session, tracker)
            already = household.opted_out_at is not None
            if not already:
                record_opt_out(session, household=household, channel=context.channel_of(tracker),
                               conversation_id=tracker.sender_id, said=_said(tracker))
            session.commit()
            return already

        already = await in_session(opt_out)
        if not already or (state and state["people"]):
            # Answers given before the opt-out are kept; nothing is added for the rest.
            await record_screening(tracker, state=state or flow.new_state(), ending=Ending.opted_out)
        dispatcher.utter_message(response="utter_opt_out_confirmed")
        return _end_form()


class ActionWrongNumber(Action):
    """Flags the household's number for correction; answers from a stranger are not kept."""

    def name(self) -> str:
        return "action_wrong_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        def flag(session) -> None:
            flag_wrong_number(session, household=context.find_household(session, tracker))
            session.commit()

        await in_session(flag)
        await record_screening(tracker, state=flow.new_state(), ending=Ending.wrong_number)
        dispatcher.utter_message(response="utter_wrong_number")
        return _end_form()


class ActionHangUp(Action):
    """The line went dead (a hang-up, or no answer after re-prompts): the answers given so far
    are recorded as a partial screening; with none given nothing is recorded, so the
    household is tried again."""

    def name(self) -> str:
        return "action_hang_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if tracker.active_loop_name is None:
            return []
        state = tracker.get_slot("screening")
        if state and state["people"]:
            await record_screening(tracker, state=state, ending=Ending.abandoned)
        return _end_form()


class EscalateRequest(Action, abc.ABC):
    """A request for help or a person: escalated and acknowledged once. Asked again, the bot
    says so and offers to go on with the questions or end; a third time, it ends politely and
    keeps what was answered. So no request can loop until the carrier hangs up."""

    kind: EscalationKind
    response: str

    @abc.abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        earlier = _requests_this_screening(tracker)
        if self.name() not in earlier:
            await record_request(tracker, kind=self.kind, said=_said(tracker))
            dispatcher.utter_message(response=self.response)
        else:
            dispatcher.utter_message(response="utter_already_asked")
        if not earlier or tracker.active_loop_name != FORM:
            return []
        state = tracker.get_slot("screening") or flow.new_state()
        if len(earlier) == 1:  # the second request: go on, or end here?
            state = {**state, "go_on": False, "reask": None}
            return [SlotSet("screening", state), SlotSet("requested_slot", "go_on")]
        if state["people"]:  # the third: end, keeping what was answered
            await record_screening(tracker, state=state, ending=Ending.abandoned)
        dispatcher.utter_message(response="utter_close_stopped")
        return [*_end_form(), FollowupAction("action_listen")]


REQUEST_ACTIONS = ("action_request_help", "action_request_human")


def _requests_this_screening(tracker: Tracker) -> list[str]:
    """The request actions already run since this screening (or this session) began, oldest first."""
    found: list[str] = []
    for event in reversed(tracker.events):
        name = event.get("name") if event.get("event") == "action" else None
        if event.get("event") == "session_started" or name == "action_finish_screening":
            break
        if name in REQUEST_ACTIONS:
            found.append(name)
    return found[::-1]


class ActionRequestHelp(EscalateRequest):
    """Help, medicine or food."""

    kind, response = EscalationKind.help_request, "utter_help_escalated"

    def name(self) -> str:
        return "action_request_help"


class ActionRequestHuman(EscalateRequest):
    """To talk to a person: staff call back."""

    kind, response = EscalationKind.staff_callback, "utter_human_escalated"

    def name(self) -> str:
        return "action_request_human"


class ActionFallback(Action):
    """Rephrases once; a second miss in a row gets a clear way forward."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        response = "utter_fallback_final" if _fell_back_last_turn(tracker) else "utter_rephrase"
        dispatcher.utter_message(response=response)
        # As Rasa's own fallback does: forget the message, so the bot listens again instead of
        # predicting this action over and over until the circuit breaker stops the conversation.
        return [UserUtteranceReverted()]


def _fell_back_last_turn(tracker: Tracker) -> bool:
    users_seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users_seen += 1
        elif event.get("event") == "action" and users_seen == 1 and event.get("name") != "action_listen":
            return event.get("name") == "action_fallback"
    return False
