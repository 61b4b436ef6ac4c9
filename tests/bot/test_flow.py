"""Tests for bot.flow: whole scripted dialogues through next_question / read_answer."""
from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.flow import is_interrupt, new_person, new_state, next_question, read_answer

NEW_YORK = ZoneInfo("America/New_York")
# Saturday 10:00 EST (15:00 UTC); clocks spring forward the next night (2026-03-08 02:00).
NOW = datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK)


def converse(answers: list[str], *, now: datetime = NOW, tz: ZoneInfo = NEW_YORK) -> tuple[dict, list[str]]:
    """Feed the answers to whatever the flow asks; the final state and the questions asked."""
    state = new_state()
    asked: list[str] = []
    for text in answers:
        question = next_question(state)
        assert question is not None, f"the dialogue ended before {text!r} (asked {asked})"
        asked.append(question)
        state, _ = read_answer(state, question, text, now=now, tz=tz)
    return state, asked


def person(**answers) -> dict:
    return {**new_person(), **answers}


WELL_CONTACT = ["yes", "36.8", "no"]
WELL = person(temperature_c=36.8, temperature_said="36.8", symptoms=[], red_flags=[])
CONTACT_QUESTIONS = ["good_time", "temperature", "symptoms"]
OTHERS = ["others_unwell", "others_count"]

# (answers, questions asked, expected values of the final state; the dialogue must be over)
DIALOGUES = [
    pytest.param(
        ["yes", "36.6", "no", "no"],
        ["good_time", "temperature", "symptoms", "others_unwell"],
        {"good_time": True, "callback": None, "refused": False, "others_unwell": False, "others_count": None,
         "gave_up": [], "people": [person(temperature_c=36.6, temperature_said="36.6", symptoms=[], red_flags=[])]},
        id="happy-path",
    ),
    pytest.param(
        ["yes", "101 F", "cough and chest pain", "no"],
        ["good_time", "temperature", "symptoms", "others_unwell"],
        {"people": [person(temperature_c=38.3, temperature_said="101 F", symptoms=["cough"],
                           red_flags=["chest_pain"])]},
        id="fahrenheit-symptoms-and-red-flag-kept-apart",
    ),
    pytest.param(
        ["yes", "thirty seven and a half", "no", "no"],
        ["good_time", "temperature", "symptoms", "others_unwell"],
        {"people": [person(temperature_c=37.5, temperature_said="thirty seven and a half", symptoms=[],
                           red_flags=[])]},
        id="temperature-in-words",
    ),
    # --- callbacks: the exact UTC moment, given NOW and the household zone -----------------
    pytest.param(
        ["no, call me tomorrow at 9"], ["good_time"],
        {"good_time": False, "refused": False, "people": [],
         "callback": {"at": "2026-03-08T13:00:00+00:00", "said": "no, call me tomorrow at 9"}},
        id="callback-in-first-answer-across-spring-forward",
    ),
    pytest.param(
        ["in an hour"], ["good_time"],
        {"good_time": False, "callback": {"at": "2026-03-07T16:00:00+00:00", "said": "in an hour"}},
        id="callback-in-an-hour",
    ),
    pytest.param(
        ["tomorrow morning"], ["good_time"],
        {"good_time": False, "callback": {"at": "2026-03-08T13:00:00+00:00", "said": "tomorrow morning"}},
        id="callback-tomorrow-morning",
    ),
    pytest.param(
        ["no", "this evening"], ["good_time", "callback_when"],
        {"good_time": False, "refused": False, "callback": {"at": "2026-03-07T23:00:00+00:00", "said": "this evening"}},
        id="no-then-this-evening",
    ),
    pytest.param(
        ["no", "no"], ["good_time", "callback_when"],
        {"good_time": False, "refused": True, "callback": None, "people": []},
        id="no-then-no-is-a-refusal",
    ),
    pytest.param(
        ["no", "later"], ["good_time", "callback_when"],
        {"refused": False, "callback": {"at": None, "said": "later"}},
        id="no-then-later-is-a-callback-without-time",
    ),
    pytest.param(
        ["busy", "tomorrow"], ["good_time", "callback_when"],
        {"good_time": False, "callback": {"at": "2026-03-08T13:00:00+00:00", "said": "tomorrow"}},
        id="busy-asks-when",
    ),
    pytest.param(
        ["I am busy", "not now"], ["good_time", "callback_when"],
        {"good_time": False, "refused": False, "callback": {"at": None, "said": "not now"}},
        id="i-am-busy-is-not-a-yes",
    ),
    pytest.param(
        ["call me later", "no thanks"], ["good_time", "callback_when"],
        {"refused": True, "callback": None},
        id="call-me-later-then-no-thanks-is-a-refusal",
    ),
    pytest.param(
        ["what?", "banana"], ["good_time", "good_time"],
        {"good_time": None, "callback": None, "refused": False, "people": [], "gave_up": ["good_time"]},
        id="good-time-unclear-twice-records-nothing",
    ),
    # --- temperature -----------------------------------------------------------------------
    pytest.param(
        ["yes", "45", "50", "no", "no"],
        ["good_time", "temperature", "temperature", "symptoms", "others_unwell"],
        {"people": [person(temperature_said="50", symptoms=[], red_flags=[], gave_up=["temperature"])]},
        id="implausible-twice-is-unclear-with-the-words-kept",
    ),
    pytest.param(
        ["yes", "45", "37.1", "no", "no"],
        ["good_time", "temperature", "temperature", "symptoms", "others_unwell"],
        {"people": [person(temperature_c=37.1, temperature_said="37.1", symptoms=[], red_flags=[])]},
        id="implausible-then-plausible",
    ),
    pytest.param(
        ["yes", "banana", "what?", "no", "no"],
        ["good_time", "temperature", "temperature", "symptoms", "others_unwell"],
        {"people": [person(symptoms=[], red_flags=[], gave_up=["temperature"])]},
        id="unclear-twice-is-left-unanswered",
    ),
    pytest.param(
        ["yes", "no thermometer", "yes I feel hot", "cough", "no"],
        ["good_time", "temperature", "feels_feverish", "symptoms", "others_unwell"],
        {"people": [person(not_measured=True, feels_feverish=True, symptoms=["cough"], red_flags=[])]},
        id="no-thermometer-asks-feels-feverish",
    ),
    pytest.param(
        ["yes", "I haven't measured", "no", "no", "no"],
        ["good_time", "temperature", "feels_feverish", "symptoms", "others_unwell"],
        {"people": [person(not_measured=True, feels_feverish=False, symptoms=[], red_flags=[])]},
        id="not-measured-and-not-feverish",
    ),
    pytest.param(
        ["yes", "haven't measured", "maybe", "hmm", "no", "no"],
        ["good_time", "temperature", "feels_feverish", "feels_feverish", "symptoms", "others_unwell"],
        {"people": [person(not_measured=True, symptoms=[], red_flags=[], gave_up=["feels_feverish"])]},
        id="feels-feverish-unclear-twice-is-left-unanswered",
    ),
    pytest.param(
        ["yes", "36.8", "banana", "what?", "no"],
        ["good_time", "temperature", "symptoms", "symptoms", "others_unwell"],
        {"people": [person(temperature_c=36.8, temperature_said="36.8", gave_up=["symptoms"])]},
        id="symptoms-unclear-twice-is-left-unanswered",
    ),
    # --- others ------------------------------------------------------------------------------
    pytest.param(
        [*WELL_CONTACT, "yes", "2", "38.5", "cough", "no thermometer", "yes", "none"],
        [*CONTACT_QUESTIONS, *OTHERS, "other_temperature", "other_symptoms",
         "other_temperature", "other_feels_feverish", "other_symptoms"],
        {"others_unwell": True, "others_count": 2, "people": [
            WELL,
            person(temperature_c=38.5, temperature_said="38.5", symptoms=["cough"], red_flags=[]),
            person(not_measured=True, feels_feverish=True, symptoms=[], red_flags=[]),
        ]},
        id="others-yes-then-count-then-each-person",
    ),
    pytest.param(
        [*WELL_CONTACT, "yes, two of them", "37", "no", "37.1", "no"],
        [*CONTACT_QUESTIONS, "others_unwell", "other_temperature", "other_symptoms",
         "other_temperature", "other_symptoms"],
        {"others_unwell": True, "others_count": 2, "people": [
            WELL,
            person(temperature_c=37.0, temperature_said="37", symptoms=[], red_flags=[]),
            person(temperature_c=37.1, temperature_said="37.1", symptoms=[], red_flags=[]),
        ]},
        id="yes-two-of-them-answers-both-questions",
    ),
    pytest.param(
        [*WELL_CONTACT, "nobody"], [*CONTACT_QUESTIONS, "others_unwell"],
        {"others_unwell": False, "others_count": None, "people": [WELL]},
        id="nobody",
    ),
    pytest.param(
        [*WELL_CONTACT, "yes", "none of them"], [*CONTACT_QUESTIONS, *OTHERS],
        {"others_unwell": False, "others_count": 0, "people": [WELL]},
        id="count-zero-means-nobody",
    ),
    pytest.param(
        [*WELL_CONTACT, "1", "1", "37", "no"],
        [*CONTACT_QUESTIONS, *OTHERS, "other_temperature", "other_symptoms"],
        {"others_unwell": True, "others_count": 1},
        id="keypad-yes-asks-the-count",
    ),
    pytest.param(
        [*WELL_CONTACT, "yes", "a few", "some"], [*CONTACT_QUESTIONS, *OTHERS, "others_count"],
        {"others_unwell": True, "others_count": None, "gave_up": ["others_count"], "people": [WELL]},
        id="count-unclear-twice-records-no-others",
    ),
    pytest.param(
        [*WELL_CONTACT, "yes", "25", "1", "37", "no"],
        [*CONTACT_QUESTIONS, *OTHERS, "others_count", "other_temperature", "other_symptoms"],
        {"others_count": 1},
        id="count-too-large-is-re-asked",
    ),
    pytest.param(
        [*WELL_CONTACT, "yes", "1", "banana", "38", "no"],
        [*CONTACT_QUESTIONS, *OTHERS, "other_temperature", "other_temperature", "other_symptoms"],
        {"people": [WELL, person(temperature_c=38.0, temperature_said="38", symptoms=[], red_flags=[])]},
        id="other-temperature-re-asked-keeps-the-same-person",
    ),
    pytest.param(
        [*WELL_CONTACT, "yes", "2", "banana", "banana", "no", "37", "no"],
        [*CONTACT_QUESTIONS, *OTHERS, "other_temperature", "other_temperature", "other_symptoms",
         "other_temperature", "other_symptoms"],
        {"people": [
            WELL,
            person(symptoms=[], red_flags=[], gave_up=["other_temperature"]),
            person(temperature_c=37.0, temperature_said="37", symptoms=[], red_flags=[]),
        ]},
        id="other-temperature-given-up-then-next-person",
    ),
]


@pytest.mark.parametrize(("answers", "questions", "expected"), DIALOGUES)
def test_flow_dialogue(answers, questions, expected):
    state, asked = converse(answers)
    assert asked == questions
    assert next_question(state) is None
    assert {key: state[key] for key in expected} == expected
    assert state["reask"] is None and state["tries"] == {}


# (answers, the reask marker for the next prompt, whether the last answer was understood)
REASKS = [
    pytest.param(["banana"], {"question": "good_time", "why": "unclear"}, False, id="good-time-unclear"),
    pytest.param(["yes"], None, True, id="understood"),
    pytest.param(["yes", "banana"], {"question": "temperature", "why": "unclear"}, False, id="temperature-unclear"),
    pytest.param(["yes", "45"], {"question": "temperature", "why": "implausible"}, False, id="implausible"),
    pytest.param(["yes", "45", "50"], None, False, id="given-up-is-not-re-asked"),
    pytest.param(["yes", "45", "37"], None, True, id="re-ask-answered"),
    pytest.param(["yes", "no thermometer", "hmm"], {"question": "feels_feverish", "why": "unclear"}, False,
                 id="feels-feverish-unclear"),
    pytest.param([*WELL_CONTACT, "yes", "2", "99 degrees celsius"],
                 {"question": "other_temperature", "why": "implausible"}, False, id="other-implausible"),
    pytest.param([*WELL_CONTACT, "maybe"], {"question": "others_unwell", "why": "unclear"}, False,
                 id="others-unwell-unclear"),
]


@pytest.mark.parametrize(("answers", "reask", "understood"), REASKS)
def test_read_answer_reask_marker(answers, reask, understood):
    state, asked = converse(answers[:-1])
    state, got_understood = read_answer(state, next_question(state), answers[-1], now=NOW, tz=NEW_YORK)
    assert state["reask"] == reask
    assert got_understood is understood


def test_read_answer_implausible_keeps_said_but_no_value():
    state, _ = converse(["yes", "45"])
    assert (state["people"][0]["temperature_c"], state["people"][0]["temperature_said"]) == (None, "45")
    assert next_question(state) == "temperature"


def test_read_answer_input_state_unchanged():
    state, _ = converse(["yes"])
    before = copy.deepcopy(state)
    read_answer(state, "temperature", "45", now=NOW, tz=NEW_YORK)
    read_answer(state, "temperature", "37", now=NOW, tz=NEW_YORK)
    assert state == before


# (intent, confidence, understood, interrupts)
INTERRUPTS = [
    pytest.param("opt_out", 0.79, True, False, id="unsure-opt-out-loses-to-an-answer"),
    pytest.param("opt_out", 0.8, True, True, id="sure-opt-out-wins-over-an-answer"),
    pytest.param("opt_out", 0.79, False, True, id="unsure-opt-out-without-an-answer"),
    pytest.param("wrong_number", 0.6, True, False, id="unsure-wrong-number-loses-to-an-answer"),
    pytest.param("wrong_number", 0.95, True, True, id="sure-wrong-number"),
    pytest.param("wrong_number", 0.5, False, True, id="wrong-number-at-threshold"),
    pytest.param("request_help", 0.6, True, True, id="help-is-not-destructive"),
    pytest.param("request_human", 0.5, True, True, id="human-at-threshold"),
    pytest.param("opt_out", 0.49, False, False, id="opt-out-below-threshold"),
    pytest.param("request_help", 0.49, False, False, id="help-below-threshold"),
    pytest.param("affirm", 0.99, False, False, id="not-an-interrupt-intent"),
    pytest.param(None, 1.0, False, False, id="no-intent"),
]


@pytest.mark.parametrize(("intent", "confidence", "understood", "interrupts"), INTERRUPTS)
def test_is_interrupt_table(intent, confidence, understood, interrupts):
    assert is_interrupt(intent, confidence, understood=understood) is interrupts
