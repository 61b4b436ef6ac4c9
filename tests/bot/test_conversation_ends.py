"""Conversations that start with whatever the resident writes first, and that always end:
the real trained model and actions, in-process, on chat, SMS and voice."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from campaigns.records.models import Escalation, Screening

CHANNELS = ("rest", "sms", "voice")


@pytest.fixture
def say(screening_bot, event_loop_for_bot, db):
    def send(sender: str, text: str, channel: str = "rest"):
        return event_loop_for_bot.run_until_complete(screening_bot.converse(sender, text, channel=channel))

    return send


def rows(db, sender: str) -> list[Screening]:
    with Session(db) as session:
        return list(session.exec(select(Screening).where(Screening.conversation_id == sender)).all())


def escalations(db, sender: str) -> list[Escalation]:
    with Session(db) as session:
        return list(session.exec(select(Escalation).where(Escalation.conversation_id == sender)).all())


@pytest.mark.parametrize("channel", ["rest", "sms"])
@pytest.mark.parametrize("first", ["yes", "ok", "1"])
def test_a_first_yes_starts_the_screening_at_the_first_question(say, channel, first):
    reply = say(f"first-{first}-{channel}", first, channel)
    assert reply.question == "temperature"


@pytest.mark.parametrize("channel", ["rest", "sms"])
def test_a_first_temperature_is_kept_once_the_resident_agrees(say, db, channel):
    sender = f"first-temp-{channel}"
    assert say(sender, "37.5", channel).question == "good_time"
    assert say(sender, "yes", channel).question == "symptoms"  # the temperature is not asked again
    say(sender, "no", channel)
    say(sender, "no", channel)
    [row] = rows(db, sender)
    assert (row.temperature_c, row.temperature_said, row.outcome) == (37.5, "37.5", "completed")


@pytest.mark.parametrize("channel", ["rest", "sms"])
def test_a_first_symptom_is_recorded_and_the_screening_goes_on(say, db, channel):
    sender = f"first-fever-{channel}"
    assert say(sender, "I have a fever", channel).question == "good_time"
    assert say(sender, "yes", channel).question == "temperature"
    assert say(sender, "38.2", channel).question == "others_unwell"  # symptoms came with the first message
    say(sender, "no", channel)
    [row] = rows(db, sender)
    assert (row.symptoms, row.temperature_c, row.abnormal) == ("fever", 38.2, True)


def test_a_first_temperature_is_not_recorded_if_the_resident_declines(say, db):
    sender = "first-temp-declined"
    say(sender, "37.9")
    say(sender, "no")
    say(sender, "no")  # no callback either: a refusal
    [row] = rows(db, sender)
    assert (row.temperature_c, row.outcome) == (None, "refused")


@pytest.mark.parametrize("channel", CHANNELS)
def test_writing_again_after_a_finished_screening_is_answered_and_never_greeted_twice(say, db, channel):
    sender = f"again-{channel}"
    first = say(sender, "hi", channel)
    for text in ("yes", "36.6", "no", "no"):
        say(sender, text, channel)
    again = say(sender, "37.2", channel)
    assert again.texts and again.question == "good_time"
    assert "utter_ask_good_time" in first.responses and "utter_ask_good_time" not in again.responses


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("request_text", ["I want to talk to a person", "I need help"])
def test_a_request_three_times_ends_the_conversation_within_two_bot_turns_each(say, db, channel, request_text):
    sender = f"ask-thrice-{channel}-{request_text[:6].replace(' ', '')}"
    say(sender, "hi", channel)
    turns = [say(sender, request_text, channel) for _ in range(3)]
    assert turns[0].question == "good_time" and "utter_ask_good_time" not in turns[0].responses  # no second greeting
    assert turns[1].question == "go_on"
    assert turns[2].question is None  # ended politely
    assert sum(len(turn.texts) > 0 for turn in turns) <= 2 * 3
    assert len(escalations(db, sender)) == 1  # acknowledged, and escalated, once


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_request_then_no_ends_keeping_what_was_answered(say, db, channel):
    sender = f"ask-then-stop-{channel}"
    for text in ("hi", "yes", "38.4"):
        say(sender, text, channel)
    say(sender, "I want to talk to a person", channel)
    assert say(sender, "I want to talk to a person", channel).question == "go_on"
    assert say(sender, "no", channel).question is None
    [row] = rows(db, sender)
    assert (row.temperature_c, row.outcome, row.abnormal) == (38.4, "partial", True)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_request_then_yes_goes_on_where_it_stopped(say, db, channel):
    sender = f"ask-then-go-on-{channel}"
    for text in ("hi", "yes", "36.8"):
        say(sender, text, channel)
    assert say(sender, "I need medicine", channel).question == "symptoms"
    assert say(sender, "I need food", channel).question == "go_on"
    assert say(sender, "yes", channel).question == "symptoms"
    say(sender, "no", channel)
    say(sender, "no", channel)
    [row] = rows(db, sender)
    assert (row.temperature_c, row.outcome) == (36.8, "completed")


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("interrupt", ["stop calling me", "wrong number", "I need help", "talk to a person"])
def test_every_interrupt_three_times_in_a_row_ends_the_conversation(say, channel, interrupt):
    sender = f"thrice-{channel}-{interrupt[:8].replace(' ', '')}"
    say(sender, "hi", channel)
    turns = [say(sender, interrupt, channel) for _ in range(3)]
    ended = next(i for i, turn in enumerate(turns) if turn.question is None)
    assert ended <= 2
    assert all(len(turn.texts) <= 3 for turn in turns)  # never a repeated text, never a flood
