"""The screening dialogue as a pure state machine.

The Rasa form `screening_form` asks one question at a time; its validation action hands
each answer to `read_answer`, which returns the new state, and `next_question` picks what
to ask next. The state is a plain JSON-able dict kept in the `screening` slot:

    good_time      True / False / None (not yet asked or not understood)
    callback       {"at": ISO-8601 UTC or None, "said": str} once a callback was asked for
    refused        True when the resident declined to take part
    people         [person, ...]; people[0] is the household contact, then each unwell member
    others_unwell  True / False / None
    others_count   int / None
    tries          {question: failed attempts}; a question is re-asked once, then given up
    reask          {"question": q, "why": "unclear" | "implausible"} for the next prompt
    gave_up        [question, ...] that stayed unclear after the re-ask
    requests       how many times the resident asked for help or a person in this screening
    go_on          None, or False once asked "go on with the questions, or end here?" (True: go on)
    stopped        True when the resident chose to end before the last question

A person is {"temperature_c", "temperature_said", "not_measured", "feels_feverish",
"symptoms", "red_flags"}; a value the resident did not give stays None.
"""
from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.understanding import Readers, readers_for

QUESTIONS = (
    "go_on",
    "good_time",
    "callback_when",
    "temperature",
    "feels_feverish",
    "symptoms",
    "others_unwell",
    "others_count",
    "other_temperature",
    "other_feels_feverish",
    "other_symptoms",
)
MAX_OTHERS = 20  # a larger count is almost surely misheard; it is re-asked
MAX_SAID = 200  # keep raw answers short in the table
MAX_ANSWER = 300  # longer than any real answer to one question: re-asked, never read
INTERRUPT_INTENTS = frozenset({"opt_out", "wrong_number", "request_help", "request_human"})
CAREFUL_INTENTS = frozenset({"opt_out", "wrong_number"})  # they end the screening for good
INTERRUPT_CONFIDENCE = 0.5
SURE_CONFIDENCE = 0.8


def new_state() -> dict:
    """An empty screening: nothing asked, nothing answered."""
    return {
        "good_time": None,
        "callback": None,
        "refused": False,
        "people": [],
        "others_unwell": None,
        "others_count": None,
        "tries": {},
        "reask": None,
        "gave_up": [],
        "requests": 0,
        "go_on": None,
        "stopped": False,
    }


def new_person() -> dict:
    """A person with no answers yet."""
    return {
        "temperature_c": None,
        "temperature_said": None,
        "not_measured": False,
        "feels_feverish": None,
        "symptoms": None,
        "red_flags": None,
    }


def is_interrupt(intent: str | None, confidence: float, *, understood: bool) -> bool:
    """Whether a message breaks off the current question (opt-out, help, ...).

    An answer that reads well for the question wins over an unsure guess at a
    destructive intent: "I can't smell anything" must never opt a household out.
    """
    if intent not in INTERRUPT_INTENTS or confidence < INTERRUPT_CONFIDENCE:
        return False
    if understood and intent in CAREFUL_INTENTS and confidence < SURE_CONFIDENCE:
        return False
    return True


def stopped(state: dict) -> bool:
    """Whether the resident chose to end before the last question (or never said whether to go on)."""
    return bool(state.get("stopped")) or (state.get("go_on") is False and "go_on" in state["gave_up"])


def next_question(state: dict) -> str | None:
    """The next question to ask, or None when the screening is over."""
    if state["refused"] or state["callback"] is not None or state.get("stopped"):
        return None
    if state.get("go_on") is False:
        return None if "go_on" in state["gave_up"] else "go_on"
    if state["good_time"] is None:
        return None if "good_time" in state["gave_up"] else "good_time"
    if state["good_time"] is False:
        return "callback_when"
    people = state["people"]
    contact_step = _person_question(people[0] if people else None, state, "")
    if contact_step:
        return contact_step
    if state["others_unwell"] is None:
        return None if "others_unwell" in state["gave_up"] else "others_unwell"
    if not state["others_unwell"]:
        return None
    if state["others_count"] is None:
        return None if "others_count" in state["gave_up"] else "others_count"
    others = people[1:]
    current = others[-1] if others else None
    step = _person_question(current, state, "other_")
    if step:
        return step
    return "other_temperature" if len(others) < state["others_count"] else None


def _person_question(person: dict | None, state: dict, prefix: str) -> str | None:
    if person is None:
        return f"{prefix}temperature"
    gave_up = person.get("gave_up", ())
    no_reading = person["temperature_c"] is None and not person["not_measured"]
    if no_reading and f"{prefix}temperature" not in gave_up:
        return f"{prefix}temperature"  # being re-asked
    if person["not_measured"] and person["feels_feverish"] is None and f"{prefix}feels_feverish" not in gave_up:
        return f"{prefix}feels_feverish"
    if person["symptoms"] is None and f"{prefix}symptoms" not in gave_up:
        return f"{prefix}symptoms"
    return None


def read_answer(state: dict, question: str, text: str, *, now: datetime, tz: ZoneInfo,
                language: str = "en") -> tuple[dict, bool]:
    """Apply the resident's answer to `question`: the new state, and whether it was understood.
    The answer is read in the conversation's `language`.

    Never invents an answer that was not given: what is not understood is re-asked once,
    then left unanswered."""
    read = readers_for(language)
    state = copy.deepcopy(state)
    state["reask"] = None
    text = text.strip()
    _ensure_person(state, question)
    if len(text) > MAX_ANSWER:
        understood: bool | str = "unclear"  # a pasted page is not an answer to one question
    else:
        understood = _READERS[question.removeprefix("other_")](state, question, text, now=now, tz=tz, read=read)
    if understood is True:
        state["tries"].pop(question, None)
    else:
        _failed(state, question, why=understood or "unclear")
    return state, understood is True


def read_opening(state: dict, text: str, *, now: datetime, tz: ZoneInfo, language: str = "en") -> dict:
    """A resident's first message, used where it answers a question: "yes" agrees to start,
    "call me tomorrow" asks for a callback, "37.5" is the temperature and "I have a fever" the
    symptoms (both kept until the resident agrees to go on). What it does not answer is
    simply not used; nothing is re-asked for it. It is read in the conversation's `language`."""
    read = readers_for(language)
    state = copy.deepcopy(state)
    text = text.strip()
    if not text or len(text) > MAX_ANSWER or text.startswith("/"):
        return state
    if read.callback_time(text, now, tz) is not None or read.mentions_callback(text) or read.yes_no(text) is not None:
        _read_good_time(state, "good_time", text, now=now, tz=tz, read=read)
        return state
    reading = read.temperature(text)
    report = read.symptoms(text)
    if reading is not None and reading.plausible:
        state["people"] = [new_person()]
        _read_temperature(state, "temperature", text, now=now, tz=tz, read=read)
    if report is not None and (report.symptoms or report.red_flags):
        state["people"] = state["people"] or [new_person()]
        _read_symptoms(state, "symptoms", text, now=now, tz=tz, read=read)
    return state


def _failed(state: dict, question: str, *, why: str) -> None:
    """Re-ask once; after that, give the question up (it stays unanswered)."""
    tries = state["tries"].get(question, 0) + 1
    state["tries"][question] = tries
    if tries < 2:
        state["reask"] = {"question": question, "why": why}
        return
    state["tries"].pop(question, None)
    person = _current_person(state, question)
    if person is not None:
        person.setdefault("gave_up", []).append(question)
    else:
        state["gave_up"].append(question)


def _current_person(state: dict, question: str) -> dict | None:
    base = question.removeprefix("other_")
    if base not in ("temperature", "feels_feverish", "symptoms"):
        return None
    return state["people"][-1]


def _read_good_time(state, question, text, *, now, tz, read: Readers):
    at = read.callback_time(text, now, tz)
    if at is not None:
        state["good_time"] = False
        state["callback"] = {"at": at.isoformat(), "said": text[:MAX_SAID]}
        return True
    # "busy", "I'm busy", "call me later": a callback without a time, so we ask when
    answer = False if read.mentions_callback(text) else read.yes_no(text)
    if answer is None:
        return "unclear"
    state["good_time"] = answer
    return True


def _read_go_on(state, question, text, *, now, tz, read: Readers):
    answer = read.yes_no(text)
    if answer is None:
        return "unclear"
    state["go_on"] = True if answer else None
    state["stopped"] = not answer
    return True


def _read_callback_when(state, question, text, *, now, tz, read: Readers):
    at = read.callback_time(text, now, tz)
    if at is None and read.yes_no(text) is False and not read.mentions_callback(text):
        state["refused"] = True  # "no" to "when may we call back?" is a refusal
        return True
    state["callback"] = {"at": at.isoformat() if at else None, "said": text[:MAX_SAID]}
    return True


def _ensure_person(state: dict, question: str) -> None:
    """A temperature question opens a person's record: the contact once, each other anew."""
    if question == "temperature" and not state["people"]:
        state["people"].append(new_person())
    elif question == "other_temperature" and not _retrying(state, question):
        state["people"].append(new_person())


def _read_temperature(state, question, text, *, now, tz, read: Readers):
    person = state["people"][-1]
    reading = read.temperature(text)
    if reading is not None and reading.plausible:
        person["temperature_c"] = reading.celsius
        person["temperature_said"] = text[:MAX_SAID]
        return True
    if read.not_measured(text):  # after a plausible reading: "not high, I measured 37"
        person["not_measured"] = True
        return True
    if reading is None:
        return "unclear"
    person["temperature_said"] = text[:MAX_SAID]
    return "implausible"


def _retrying(state: dict, question: str) -> bool:
    """A re-asked other_temperature belongs to the person added on the first try."""
    return state["tries"].get(question, 0) > 0


def _read_feels_feverish(state, question, text, *, now, tz, read: Readers):
    answer = read.yes_no(text)
    if answer is None:
        return "unclear"
    state["people"][-1]["feels_feverish"] = answer
    return True


def _read_symptoms(state, question, text, *, now, tz, read: Readers):
    report = read.symptoms(text)
    if report is None:
        return "unclear"
    person = state["people"][-1]
    person["symptoms"] = list(report.symptoms)
    person["red_flags"] = list(report.red_flags)
    return True


def _read_others_unwell(state, question, text, *, now, tz, read: Readers):
    answer = read.yes_no(text)
    # a keypad "1" means yes, not "one person": the count is then asked, never assumed
    count = None if text.isdigit() and answer is not None else read.count(text)
    if count == 0:
        state["others_unwell"] = False  # "nobody"
    elif count is not None and count <= MAX_OTHERS and answer is not False:
        state["others_unwell"] = True  # "yes, two of them" answers both questions
        state["others_count"] = count
    elif answer is None:
        return "unclear"
    else:
        state["others_unwell"] = answer
    return True


def _read_others_count(state, question, text, *, now, tz, read: Readers):
    count = read.count(text)
    if count is None or count > MAX_OTHERS:
        return "unclear"
    state["others_count"] = count
    if count == 0:
        state["others_unwell"] = False
    return True


_READERS = {
    "go_on": _read_go_on,
    "good_time": _read_good_time,
    "callback_when": _read_callback_when,
    "temperature": _read_temperature,
    "feels_feverish": _read_feels_feverish,
    "symptoms": _read_symptoms,
    "others_unwell": _read_others_unwell,
    "others_count": _read_others_count,
}
