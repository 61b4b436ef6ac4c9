"""The screening form: its validation (which reads answers), its questions and its end."""
from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import flow, phrasing, questions
from bot.actions import context, language
from bot.actions.recording import record_screening
from bot.assessment import Ending, PersonResult

FORM = "screening_form"
# Actions that may run between a user message and the form without it being an interruption.
_SAME_TURN = {FORM, "action_extract_slots", "action_listen"}


def reset_events() -> list[dict[str, Any]]:
    """Forget the answers so the next screening in this session starts afresh."""
    return [SlotSet("screening", None), SlotSet("screening_started", None)]


def answers_this_turn(tracker: Tracker) -> bool:
    """True when the form runs right after a user message, False when it resumes after an
    interruption (the interrupting message was not an answer)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in _SAME_TURN:
            return False
    return False


class ValidateScreeningForm(Action):
    """Reads each answer with the pure flow, then names the next question (or ends the form)."""

    def name(self) -> str:
        return "validate_screening_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        state = tracker.get_slot("screening") or flow.new_state()
        events: list[dict[str, Any]] = []
        if not tracker.get_slot("screening_started"):
            events.append(SlotSet("screening_started", context.now(tracker).isoformat()))
        question = tracker.get_slot("requested_slot")
        if question is None and tracker.get_slot("screening") is None and answers_this_turn(tracker):
            state = _opening(tracker, state)  # the first message, used where it answers a question
        elif question in flow.QUESTIONS and answers_this_turn(tracker):
            if language.asked_for(tracker) is not None:
                return []  # it answers nothing: the switch runs, then this question is asked again
            message = tracker.latest_message or {}
            text = message.get("text") or ""
            read, understood = flow.read_answer(state, question, text, now=context.now(tracker),
                                                tz=context.household_zone(tracker), language=context.language(tracker))
            intent = message.get("intent") or {}
            if flow.is_interrupt(intent.get("name"), intent.get("confidence") or 0.0, understood=understood):
                return []  # no slot set: Rasa rejects the form and the interruption rules run
            state = read
        events += [SlotSet("screening", state), SlotSet("requested_slot", flow.next_question(state))]
        return events


OPENING_INTENTS = frozenset({"greet", "start_report"})  # they ask for the screening, and answer nothing


def _opening(tracker: Tracker, state: dict) -> dict:
    message = tracker.latest_message or {}
    if ((message.get("intent") or {}).get("name")) in OPENING_INTENTS:
        return state
    return flow.read_opening(state, message.get("text") or "", now=context.now(tracker),
                             tz=context.household_zone(tracker), language=context.language(tracker))


def greeted(tracker: Tracker) -> bool:
    """Whether this session has been greeted, in its language: the bot never greets twice, but
    greets again in full after the resident asked for another language. (An action sees the
    events of the current session only, so a new session is greeted in full.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == "utter_ask_good_time":
            return True
        if event.get("event") == "action" and event.get("name") == language.ACTION:
            return False
    return False


class AskQuestion(Action, abc.ABC):
    """Asks one question of the form, rephrased when the last answer was not understood."""

    @property
    @abc.abstractmethod
    def question(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.question}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        state = tracker.get_slot("screening") or flow.new_state()
        reask = state.get("reask") or {}
        again = reask.get("question") == self.question
        resume = self.question == "good_time" and greeted(tracker)  # after an interruption, or a new screening
        response = questions.response_for(self.question, reask=again, implausible=reask.get("why") == "implausible",
                                          resume=resume)
        if language.switched_this_turn(tracker):
            dispatcher.utter_message(response="utter_language_switched")
        dispatcher.utter_message(response=response, **prompt_values(tracker, state, self.question))
        return []


for _question in flow.QUESTIONS:
    _cls = type(f"Ask_{_question}", (AskQuestion,), {"question": _question, "__module__": __name__})
    globals()[_cls.__name__] = _cls


def prompt_values(tracker: Tracker, state: dict, question: str) -> dict[str, Any]:
    """Values the question texts may name."""
    contact = tracker.get_slot("contact_name")
    position = max(len(state.get("people", [])) - 1, 0)  # unwell others asked about so far
    reasking = (state.get("reask") or {}).get("question") == question
    if question == "other_temperature" and not reasking:
        position += 1  # the next person is added when this question is answered
    language = context.language(tracker)
    return {
        "office": context.settings().office_name,
        "household": phrasing.household(contact, language),
        "ordinal": phrasing.ordinal(position, language),
    }


class ActionFinishScreening(Action):
    """Records the finished screening and closes the conversation."""

    def name(self) -> str:
        return "action_finish_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        state = tracker.get_slot("screening") or flow.new_state()
        ending = Ending.abandoned if flow.stopped(state) else Ending.finished
        results = await record_screening(tracker, state=state, ending=ending)
        response, values = closing(results, state, tracker)
        dispatcher.utter_message(response=response, **values)
        return reset_events()


def closing(results: list[PersonResult], state: dict, tracker: Tracker) -> tuple[str, dict[str, Any]]:
    """The goodbye that fits what was recorded."""
    values = {"emergency_number": tracker.get_slot("emergency_number") or context.settings().emergency_number}
    if flow.stopped(state):
        return "utter_close_stopped", values
    if state.get("refused"):
        return "utter_close_refused", values
    if state.get("callback") is not None:
        at = state["callback"].get("at")
        if at is None:
            return "utter_close_callback_later", values
        local = datetime.fromisoformat(at).astimezone(context.household_zone(tracker))
        return "utter_close_callback", {**values, "when": phrasing.when(local, context.language(tracker))}
    if any(r.urgent for r in results):
        return "utter_close_urgent", values
    if any(r.abnormal for r in results):
        return "utter_close_abnormal", values
    if any(r.unclear for r in results):
        return "utter_close_unclear", values
    return "utter_close_well", values
