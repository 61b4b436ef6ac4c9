"""Bad input: the bot answers, the process survives, and nothing wrong is recorded."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

BAD_INPUTS = {
    "empty": "",
    "spaces": "   ",
    "5000 chars": "a" * 5000,
    "5000 mixed": ("37.5 cough stop " * 320)[:5000],
    "emoji": "🤒🤒🔥👍",
    "sql": "'; DROP TABLE screenings; --",
    "chinese": "我今天发烧了",
    "arabic": "أنا بخير",
    "control chars": "\x00\x07\x1b[31m",
}


@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_outside_a_screening_gets_an_answer_and_records_nothing(resident, text):
    r = resident()
    replies = r.say(text)
    assert replies, "the bot must answer"
    assert r.rows() == []


@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_at_the_temperature_question_is_never_recorded_as_an_answer(resident, db, text):
    r = resident()
    r.talk("hi", "yes")
    replies = r.say(text)
    assert replies, "the bot must answer"
    if r.rows():  # a long message that happens to say "stop" may end the conversation...
        assert r.rows()[0].outcome == "opted_out" and r.rows()[0].temperature_c is None
        return
    r.talk("36.8", "no", "no")  # ...otherwise the screening carries on and finishes normally
    [row] = r.rows()
    assert (row.temperature_c, row.temperature_said, row.symptoms, row.outcome) == (36.8, "36.8", "", "completed")
    assert {"screenings", "escalations", "households", "opt_outs"} <= set(inspect(db).get_table_names())


def test_bad_input_after_every_question_leaves_answers_unanswered_not_invented(resident):
    r = resident()
    r.talk("hi", "yes", "🤒", "'; DROP TABLE screenings; --", "我不知道", "🤒🤒", "no")
    [row] = r.rows()
    assert row.temperature_c is None and row.symptoms is None and row.feels_feverish is None
    assert row.temperature_said is None  # nothing readable was said
    assert not row.abnormal and row.reason == "not judged: temperature not given, symptoms not given"
    assert [e.kind for e in r.escalations()] == ["unclear"]
