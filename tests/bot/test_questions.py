"""Question responses are named one way, and read back the same way."""
from __future__ import annotations

import pytest

from bot.questions import is_question, question_of, response_for


@pytest.mark.parametrize("response, question", [
    (None, None),
    ("", None),
    ("utter_ask_temperature", "temperature"),
    ("utter_reask_temperature_implausible", "temperature"),
    ("utter_reask_symptoms", "symptoms"),
    ("utter_ask_other_temperature", "other_temperature"),
    ("utter_greet", None),
    ("utter_opt_out_confirmed", None),
], ids=["none", "empty", "ask", "reask-implausible", "reask", "other", "greeting", "closing"])
def test_question_of_names_the_question(response, question):
    assert question_of(response) == question


@pytest.mark.parametrize("question, kwargs, response", [
    ("temperature", {}, "utter_ask_temperature"),
    ("temperature", {"reask": True}, "utter_reask_temperature"),
    ("temperature", {"reask": True, "implausible": True}, "utter_reask_temperature_implausible"),
    ("other_temperature", {"reask": True, "implausible": True}, "utter_reask_temperature_implausible"),
    ("symptoms", {"implausible": True}, "utter_ask_symptoms"),
])
def test_response_for_names_each_way_of_asking(question, kwargs, response):
    assert response_for(question, **kwargs) == response
    assert is_question(response)
    expected = question.removeprefix("other_") if kwargs.get("implausible") and kwargs.get("reask") else question
    assert question_of(response) == expected
