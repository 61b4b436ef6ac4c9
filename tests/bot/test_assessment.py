"""Tests for bot.assessment: the judgement of each person and the rows a screening produces."""
from __future__ import annotations

import pytest

from bot.assessment import Ending, PersonResult, assess, person_result, summarize, unclear_parts
from bot.flow import new_person, new_state

THRESHOLD = 37.3  # the default rule


def person(**answers) -> dict:
    return {**new_person(), **answers}


def state(**fields) -> dict:
    return {**new_state(), "good_time": True, **fields}


WELL = person(temperature_c=36.6, temperature_said="36.6", symptoms=[], red_flags=[])
FEVERISH_OTHER = person(temperature_c=38.5, temperature_said="38.5", symptoms=["cough"], red_flags=[])

# (person, threshold, (abnormal, urgent, reason))
ASSESS = [
    pytest.param(new_person(), THRESHOLD, (False, False, None), id="no-answers"),
    pytest.param(WELL, THRESHOLD, (False, False, None), id="well"),
    pytest.param(person(temperature_c=37.2), THRESHOLD, (False, False, None), id="just-below-threshold"),
    pytest.param(person(temperature_c=37.3), THRESHOLD, (True, False, "temperature 37.3 C >= 37.3 C"),
                 id="at-threshold"),
    pytest.param(person(temperature_c=39.0), THRESHOLD, (True, False, "temperature 39.0 C >= 37.3 C"),
                 id="high"),
    pytest.param(person(temperature_c=37.9), 38.0, (False, False, None), id="custom-threshold-below"),
    pytest.param(person(temperature_c=38.0), 38.0, (True, False, "temperature 38.0 C >= 38.0 C"),
                 id="custom-threshold-at"),
    pytest.param(person(temperature_c=37.0), 37.0, (True, False, "temperature 37.0 C >= 37.0 C"),
                 id="custom-threshold-lower"),
    pytest.param(person(not_measured=True, feels_feverish=True), THRESHOLD, (True, False, "feels feverish"),
                 id="feels-feverish"),
    pytest.param(person(not_measured=True, feels_feverish=False), THRESHOLD, (False, False, None),
                 id="does-not-feel-feverish"),
    pytest.param(person(symptoms=["cough", "headache"]), THRESHOLD, (True, False, "symptoms: cough, headache"),
                 id="symptoms"),
    pytest.param(person(symptoms=[], red_flags=["chest_pain"]), THRESHOLD, (True, True, "red flags: chest_pain"),
                 id="red-flag-is-urgent-and-abnormal"),
    pytest.param(
        person(temperature_c=38.1, feels_feverish=True, symptoms=["fever"], red_flags=["confusion", "bluish_lips"]),
        THRESHOLD,
        (True, True, "temperature 38.1 C >= 37.3 C; feels feverish; symptoms: fever; "
                     "red flags: confusion, bluish_lips"),
        id="everything",
    ),
]


@pytest.mark.parametrize(("answers", "threshold", "expected"), ASSESS)
def test_assess_table(answers, threshold, expected):
    assert assess(answers, fever_threshold_c=threshold) == expected


UNCLEAR = [
    pytest.param(WELL, [], id="complete"),
    pytest.param(new_person(), ["temperature not given", "symptoms not given"], id="nothing-given"),
    pytest.param(person(temperature_said="50", symptoms=[]), ["temperature unclear"], id="implausible-said"),
    pytest.param(person(not_measured=True, symptoms=[]), ["fever feeling not given"], id="not-measured"),
    pytest.param(person(not_measured=True, feels_feverish=False, symptoms=[]), [], id="not-measured-answered"),
    pytest.param(person(temperature_c=36.5), ["symptoms not given"], id="symptoms-missing"),
]


@pytest.mark.parametrize(("answers", "expected"), UNCLEAR)
def test_unclear_parts_table(answers, expected):
    assert unclear_parts(answers) == expected


# (person, index, expected fields of the row)
RESULTS = [
    pytest.param(WELL, 0, {"reason": None, "unclear": False, "abnormal": False, "reported_by_contact": False,
                           "symptoms": (), "red_flags": (), "temperature_said": "36.6"}, id="well-contact"),
    pytest.param(person(temperature_said="50", symptoms=[]), 0,
                 {"reason": "not judged: temperature unclear", "unclear": True, "abnormal": False,
                  "temperature_c": None, "temperature_said": "50"}, id="unclear-is-not-judged"),
    pytest.param(new_person(), 1,
                 {"reason": "not judged: temperature not given, symptoms not given", "unclear": True,
                  "symptoms": None, "red_flags": None, "reported_by_contact": True}, id="nothing-given-other"),
    pytest.param(person(not_measured=True, feels_feverish=True), 0,
                 {"reason": "feels feverish", "unclear": False, "abnormal": True, "feels_feverish": True},
                 id="abnormal-wins-over-unclear"),
    pytest.param(FEVERISH_OTHER, 2,
                 {"reason": "temperature 38.5 C >= 37.3 C; symptoms: cough", "abnormal": True, "urgent": False,
                  "person_index": 2, "reported_by_contact": True, "symptoms": ("cough",)}, id="abnormal-other"),
    pytest.param(person(symptoms=[], red_flags=["difficulty_breathing"]), 0,
                 {"reason": "red flags: difficulty_breathing", "abnormal": True, "urgent": True,
                  "red_flags": ("difficulty_breathing",)}, id="urgent"),
]


@pytest.mark.parametrize(("answers", "index", "expected"), RESULTS)
def test_person_result_reasons(answers, index, expected):
    row = person_result(answers, index, "completed", fever_threshold_c=THRESHOLD)
    assert {field: getattr(row, field) for field in expected} == expected
    assert (row.person_index, row.outcome) == (index, "completed")


def _shape(rows: list[PersonResult]) -> list[tuple]:
    return [(row.person_index, row.outcome, row.reported_by_contact, row.reason) for row in rows]


WELL_BY_CONTACT = "reported well by household contact"
ONE_OTHER = state(people=[WELL, FEVERISH_OTHER], others_unwell=True, others_count=1)
OTHER_REASON = "temperature 38.5 C >= 37.3 C; symptoms: cough"

# (state, ending, members, expected (index, outcome, reported_by_contact, reason) per row)
SUMMARIES = [
    pytest.param(
        ONE_OTHER, Ending.finished, 4,
        [(0, "completed", False, None), (1, "completed", True, OTHER_REASON),
         (2, "completed", True, WELL_BY_CONTACT), (3, "completed", True, WELL_BY_CONTACT)],
        id="finished-roster-rest-reported-well",
    ),
    pytest.param(
        state(people=[WELL], others_unwell=False), Ending.finished, 3,
        [(0, "completed", False, None), (1, "completed", True, WELL_BY_CONTACT),
         (2, "completed", True, WELL_BY_CONTACT)],
        id="finished-nobody-else-unwell",
    ),
    pytest.param(
        state(people=[WELL], others_unwell=False, others_count=0), Ending.finished, 2,
        [(0, "completed", False, None), (1, "completed", True, WELL_BY_CONTACT)],
        id="finished-count-zero",
    ),
    pytest.param(
        state(people=[WELL], others_unwell=False), Ending.finished, 1,
        [(0, "completed", False, None)],
        id="finished-single-member",
    ),
    pytest.param(
        ONE_OTHER, Ending.finished, 1,
        [(0, "completed", False, None), (1, "completed", True, OTHER_REASON)],
        id="members-smaller-than-people-reported",
    ),
    pytest.param(
        state(people=[WELL], others_unwell=True, others_count=None, gave_up=["others_count"]), Ending.finished, 4,
        [(0, "completed", False, None)],
        id="others-count-unknown-no-roster-rows",
    ),
    pytest.param(
        state(people=[WELL], others_unwell=None, gave_up=["others_unwell"]), Ending.finished, 4,
        [(0, "completed", False, None)],
        id="others-unwell-unknown-no-roster-rows",
    ),
    pytest.param(
        state(people=[WELL, FEVERISH_OTHER], others_unwell=True, others_count=2), Ending.finished, 4,
        [(0, "completed", False, None), (1, "completed", True, OTHER_REASON)],
        id="fewer-others-screened-than-counted-no-roster-rows",
    ),
    pytest.param(
        ONE_OTHER, Ending.wrong_number, 4,
        [(0, "wrong_number", False, "the number is not this household's")],
        id="wrong-number-keeps-no-answers",
    ),
    pytest.param(
        state(good_time=False, refused=True), Ending.finished, 4,
        [(0, "refused", False, "declined the screening")],
        id="refused",
    ),
    pytest.param(
        state(good_time=False, callback={"at": "2026-03-08T13:00:00+00:00", "said": "tomorrow at 9"}),
        Ending.finished, 4,
        [(0, "callback_requested", False, "asked to be contacted later")],
        id="callback",
    ),
    pytest.param(
        state(), Ending.opted_out, 4,
        [(0, "opted_out", False, "no answers given")],
        id="opted-out-without-answers",
    ),
    pytest.param(
        ONE_OTHER, Ending.opted_out, 4,
        [(0, "opted_out", False, None), (1, "partial", True, OTHER_REASON)],
        id="opted-out-keeps-answers",
    ),
    pytest.param(
        state(), Ending.abandoned, 4,
        [(0, "partial", False, "no answers given")],
        id="abandoned-without-answers",
    ),
    pytest.param(
        state(people=[WELL], others_unwell=False), Ending.abandoned, 4,
        [(0, "partial", False, None)],
        id="abandoned-with-answers-no-roster-rows",
    ),
    pytest.param(
        state(good_time=None, gave_up=["good_time"]), Ending.finished, 4,
        [(0, "partial", False, "no answers given")],
        id="finished-without-answers",
    ),
]


@pytest.mark.parametrize(("screening", "ending", "members", "expected"), SUMMARIES)
def test_summarize_rows(screening, ending, members, expected):
    rows = summarize(screening, ending=ending, members=members, fever_threshold_c=THRESHOLD)
    assert _shape(rows) == expected


def test_summarize_wrong_number_row_has_no_answers():
    [row] = summarize(ONE_OTHER, ending=Ending.wrong_number, members=4, fever_threshold_c=THRESHOLD)
    assert row == PersonResult(0, "wrong_number", reason="the number is not this household's")


# (ending, whether the no-answer row needs a person to look at it)
EMPTY_UNCLEAR = [
    pytest.param(Ending.opted_out, False, id="opted-out-is-settled"),
    pytest.param(Ending.abandoned, True, id="abandoned-needs-a-look"),
    pytest.param(Ending.finished, True, id="finished-without-answers-needs-a-look"),
]


@pytest.mark.parametrize(("ending", "unclear"), EMPTY_UNCLEAR)
def test_summarize_no_answers_unclear(ending, unclear):
    [row] = summarize(state(), ending=ending, members=4, fever_threshold_c=THRESHOLD)
    assert row.unclear is unclear
    assert (row.temperature_c, row.symptoms, row.abnormal) == (None, None, False)


def test_summarize_roster_rows_carry_no_answers():
    rows = summarize(ONE_OTHER, ending=Ending.finished, members=4, fever_threshold_c=THRESHOLD)
    assert rows[2] == PersonResult(2, "completed", reason=WELL_BY_CONTACT, reported_by_contact=True)
    assert rows[1].abnormal and rows[1].temperature_c == 38.5


def test_summarize_opted_out_keeps_the_answers_given():
    rows = summarize(ONE_OTHER, ending=Ending.opted_out, members=4, fever_threshold_c=THRESHOLD)
    assert [(row.temperature_c, row.symptoms, row.abnormal) for row in rows] == [
        (36.6, (), False), (38.5, ("cough",), True)]


def test_summarize_custom_threshold():
    rows = summarize(ONE_OTHER, ending=Ending.finished, members=2, fever_threshold_c=38.6)
    assert [(row.abnormal, row.reason) for row in rows] == [(False, None), (True, "symptoms: cough")]
