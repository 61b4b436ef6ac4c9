"""Tests for bot.understanding.en.temperature.says_not_measured."""

import pytest

from bot.understanding.en.temperature import says_not_measured

NOT_MEASURED = [
    "I don't have a thermometer",
    "I haven't measured",
    "didn't check",
    "no thermometer",
    "I can't measure it",
    "not taken it yet",
    "I haven't taken my temperature",
    "I do not own a thermometer",
    "my thermometer is broken",
    "I lost my thermometer",
    "I forgot to take it",
    "haven't had a chance to check",
    "not yet",
    "I can\u2019t measure it",
    "HAVEN'T MEASURED",
    "I have a thermometer but I didn't use it",
    "I have not checked my temperature today",
    "Nope, never measured it",
    "I'll check later",
    "I don't have one",
]

MEASURED_OR_UNRELATED = [
    "37.5",
    "yes",
    "I measured 38",
    "no",
    "I feel fine",
    "I measured it, it was 37.4",
    "the thermometer says 37.2",
    "I don't feel hot, it's 36.8",
    "I don't know",
    "",
    "checked it this morning, 37.1",
    "not sure, maybe 37",
]


@pytest.mark.parametrize("text", NOT_MEASURED, ids=NOT_MEASURED)
def test_says_not_measured_recognises_no_reading(text: str) -> None:
    assert says_not_measured(text) is True


@pytest.mark.parametrize(
    "text", MEASURED_OR_UNRELATED, ids=[text or "empty" for text in MEASURED_OR_UNRELATED]
)
def test_says_not_measured_ignores_readings_and_other_answers(text: str) -> None:
    assert says_not_measured(text) is False
