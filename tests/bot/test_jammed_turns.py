"""A turn that fails, or that Rasa's circuit breaker stops, still answers with a way forward, and
the next message works: the real model and actions, in-process."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from campaigns.records.models import Screening

WAY_FORWARD = "Sorry, something went wrong on our side"


@pytest.fixture
def talk(screening_bot, event_loop_for_bot, db):
    def say(sender: str, text: str):
        return event_loop_for_bot.run_until_complete(screening_bot.converse(sender, text, channel="chat"))

    return say


def test_circuit_breaker_answers_a_way_forward_and_the_next_message_works(talk, screening_bot, db, monkeypatch):
    talk("jam-breaker", "hi")
    monkeypatch.setattr(screening_bot.agent.processor, "max_number_of_predictions", 1)
    jammed = talk("jam-breaker", "yes")  # the form needs more than one prediction: the breaker trips
    monkeypatch.undo()
    assert jammed.texts[-1].startswith(WAY_FORWARD) and len(set(jammed.texts)) == len(jammed.texts)
    for text in ("36.6", "no", "no"):
        reply = talk("jam-breaker", text)
        assert reply.texts and not reply.texts[-1].startswith(WAY_FORWARD)
    with Session(db) as session:
        [row] = session.exec(select(Screening).where(Screening.conversation_id == "jam-breaker")).all()
    assert row.temperature_c == 36.6


def test_a_turn_that_raises_answers_a_way_forward_and_the_next_message_works(talk, screening_bot, monkeypatch):
    real = screening_bot.agent.handle_message

    async def broken(message):
        raise RuntimeError("the tracker store went away")

    monkeypatch.setattr(screening_bot.agent, "handle_message", broken)
    reply = talk("jam-raise", "hi")
    monkeypatch.setattr(screening_bot.agent, "handle_message", real)
    assert reply.texts == [reply.texts[0]] and reply.texts[0].startswith(WAY_FORWARD) and reply.question is None
    assert "good time" in talk("jam-raise", "hi").texts[0]
