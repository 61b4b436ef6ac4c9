"""Whole conversations through the trained model and the real custom actions.

Each test asserts what lands in the screening, escalation and opt-out tables.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from sqlmodel import Session

from campaigns.records.models import Attempt, Campaign, Household

GREETING = "Is now a good time"
ASK_TEMPERATURE = "What is your body temperature today?"
ASK_SYMPTOMS = "Do you have any of these today"
ASK_OTHERS = "Is anyone else in your household unwell"


def test_conversation_well_resident_records_one_completed_row(resident):
    r = resident()
    assert GREETING in r.say("hi")[0]
    assert ASK_TEMPERATURE in r.say("yes")[0]
    assert ASK_SYMPTOMS in r.say("36.6")[0]
    assert ASK_OTHERS in r.say("no, nothing")[0]
    assert "Stay well" in r.say("no")[0]
    [row] = r.rows()
    assert (row.person_index, row.temperature_c, row.symptoms, row.red_flags) == (0, 36.6, "", "")
    assert (row.abnormal, row.outcome, row.channel, row.campaign_id) == (False, "completed", "chat", None)
    assert row.temperature_said == "36.6"
    assert row.started_at <= row.finished_at and row.finished_at.tzinfo is not None
    assert r.escalations() == []
    assert r.household().walk_in and r.household().phone == r.sender_id


def test_conversation_fever_and_symptoms_escalate_as_abnormal(resident):
    r = resident()
    closing = r.talk("I want to report my temperature", "sure", "thirty seven point eight",
                     "just a little cough and a sore throat", "no")
    assert "health worker will follow up" in closing[0]
    [row] = r.rows()
    assert row.temperature_c == 37.8 and row.symptoms == "cough;sore_throat"
    assert row.abnormal and "temperature 37.8" in row.reason and "cough" in row.reason
    [esc] = r.escalations()
    assert (esc.kind, esc.severity, esc.status, esc.screening_id) == ("abnormal", "high", "open", row.id)


def test_conversation_red_flag_is_urgent_and_names_the_emergency_number(resident):
    r = resident()
    closing = r.talk("hello", "yes", "a hundred and one", "I have chest pain and I can't breathe", "no")
    assert "120" in closing[0] and "now" in closing[0]
    [row] = r.rows()
    assert row.temperature_c == 38.3 and row.red_flags == "difficulty_breathing;chest_pain"
    assert row.urgent and row.abnormal
    [esc] = r.escalations()
    assert (esc.kind, esc.severity) == ("urgent", "urgent")


def test_conversation_implausible_temperature_is_asked_again_then_recorded_unclear(resident):
    r = resident()
    r.talk("hi", "yes")
    assert "seems unusual" in r.say("45")[0]
    assert ASK_SYMPTOMS in r.say("51")[0]
    r.talk("no symptoms", "no")
    [row] = r.rows()
    assert row.temperature_c is None and row.temperature_said == "51"
    assert not row.abnormal and row.reason == "not judged: temperature unclear"
    [esc] = r.escalations()
    assert esc.kind == "unclear"


def test_conversation_no_thermometer_asks_about_feeling_feverish(resident):
    r = resident()
    r.talk("hi", "yes")
    assert "feverish or hot" in r.say("I don't have a thermometer")[0]
    r.talk("yes", "no", "no")
    [row] = r.rows()
    assert row.temperature_c is None and row.feels_feverish is True
    assert row.abnormal and row.reason == "feels feverish"


def _household(engine, **fields) -> Household:
    with Session(engine) as session:
        household = Household(**fields)
        session.add(household)
        session.commit()
        session.refresh(household)
        return household


def _attempt(engine, *, household_id: str, campaign_id: str, conversation_id: str, screening: dict) -> int:
    """A placed attempt of a started campaign, as the dispatcher leaves it."""
    with Session(engine) as session:
        session.add(Campaign(id=campaign_id, spec_json=json.dumps({"language": "en", "screening": screening})))
        session.flush()
        attempt = Attempt(campaign_id=campaign_id, household_id=household_id, day=date(2026, 11, 24), round_no=1,
                          due_at=datetime(2026, 11, 24, tzinfo=timezone.utc), status="in_progress",
                          conversation_id=conversation_id)
        session.add(attempt)
        session.commit()
        return attempt.id


def test_conversation_roster_members_are_reported_well_by_the_contact(resident, db):
    _household(db, id="H-100", phone="+14155557100", contact_name="Ana Silva", members=3)
    r = resident("+14155557100")
    assert "household of Ana Silva" in r.say("hi")[0]
    r.talk("yes", "36.8", "nothing", "no")
    rows = r.rows()
    assert [(x.person_index, x.outcome, x.reported_by_contact) for x in rows] == [
        (0, "completed", False), (1, "completed", True), (2, "completed", True)]
    assert rows[0].person_name == "Ana Silva" and rows[0].household_id == "H-100"
    assert rows[1].reason == "reported well by household contact" and rows[1].temperature_c is None


def test_conversation_each_unwell_member_is_screened(resident, db):
    _household(db, id="H-200", phone="+14155557200", contact_name="Li Wei", members=4)
    r = resident("+14155557200")
    r.talk("hi", "yes", "36.5", "no")
    assert "How many" in r.say("yes")[0]
    replies = r.say("two")
    assert "first person" in replies[0]
    assert "first person" in r.say("38.4")[0]
    assert "second person" in r.say("a cough")[0]
    r.talk("37", "none")
    rows = r.rows()
    assert [(x.person_index, x.temperature_c, x.symptoms, x.abnormal) for x in rows] == [
        (0, 36.5, "", False), (1, 38.4, "cough", True), (2, 37.0, "", False), (3, None, None, False)]
    assert rows[3].reason == "reported well by household contact"
    assert [e.kind for e in r.escalations()] == ["abnormal"]


def test_conversation_callback_time_in_the_first_answer(resident):
    r = resident()
    r.say("hi")
    reply = r.say("no, call me tomorrow at 9")
    assert "We will contact you again on" in reply[0] and "09:00" in reply[0]
    [row] = r.rows()
    assert row.outcome == "callback_requested" and row.callback_at is not None
    local = row.callback_at.astimezone(timezone.utc)  # the walk-in household uses the default zone, UTC
    assert (local.hour, local.minute) == (9, 0)
    assert (local.date() - row.finished_at.date()).days == 1
    assert row.temperature_c is None and row.symptoms is None


def test_conversation_no_then_when_records_the_callback(resident):
    r = resident()
    r.say("hi")
    assert "better time" in r.say("no")[0]
    r.say("in 2 hours")
    [row] = r.rows()
    assert row.outcome == "callback_requested"
    assert abs((row.callback_at - row.finished_at).total_seconds() - 7200) < 5


def test_conversation_no_and_no_again_is_a_refusal(resident):
    r = resident()
    assert "Thank you for your time" in r.talk("hi", "no", "no")[0]
    [row] = r.rows()
    assert row.outcome == "refused" and row.callback_at is None


def test_conversation_stop_at_the_greeting_opts_the_household_out(resident):
    r = resident()
    r.say("hi")
    assert "not be contacted again" in r.say("STOP")[0]
    [row] = r.rows()
    assert row.outcome == "opted_out" and row.temperature_c is None
    [opt] = r.opt_outs()
    assert opt.said == "STOP" and opt.phone == r.sender_id
    assert r.household().opted_out_at is not None
    r.say("unsubscribe")  # said again: confirmed, not counted twice
    assert len(r.opt_outs()) == 1 and len(r.rows()) == 1


def test_conversation_opt_out_midway_keeps_the_answers_given(resident):
    r = resident()
    r.talk("hi", "yes", "38.5")
    assert "not be contacted again" in r.say("stop calling me")[0]
    [row] = r.rows()
    assert (row.outcome, row.temperature_c, row.symptoms, row.abnormal) == ("opted_out", 38.5, None, True)
    assert [e.kind for e in r.escalations()] == ["abnormal"]
    assert len(r.opt_outs()) == 1


def test_conversation_wrong_number_flags_the_household_and_keeps_no_answers(resident, db):
    _household(db, id="H-300", phone="+14155557300", contact_name="Omar", members=2)
    r = resident("+14155557300")
    r.talk("hi", "yes", "37.9")
    assert "correct our records" in r.say("wrong number")[0]
    [row] = r.rows()
    assert (row.outcome, row.temperature_c, row.abnormal) == ("wrong_number", None, False)
    assert r.household().wrong_number_at is not None
    assert r.escalations() == []


def test_conversation_help_request_escalates_and_the_screening_carries_on(resident):
    r = resident()
    r.talk("hi", "yes")
    replies = r.say("I need medicine")
    assert "passed your request" in replies[0] and ASK_TEMPERATURE in replies[1]
    r.talk("36.7", "no", "no")
    [row] = r.rows()
    assert row.outcome == "completed" and row.temperature_c == 36.7
    [esc] = r.escalations()
    assert (esc.kind, esc.severity, esc.screening_id) == ("help_request", "high", None)
    assert "I need medicine" in esc.detail


def test_conversation_asking_for_a_person_escalates_a_staff_callback(resident):
    r = resident()
    r.talk("hi", "yes", "36.9")
    replies = r.say("I want to talk to a person")
    assert "staff to call you back" in replies[0] and ASK_SYMPTOMS in replies[1]
    r.talk("no", "no")
    assert [e.kind for e in r.escalations()] == ["staff_callback"]
    assert r.rows()[0].outcome == "completed"


def test_conversation_help_request_outside_a_screening(resident):
    r = resident()
    assert "passed your request" in r.say("we have no food")[0]
    assert [e.kind for e in r.escalations()] == ["help_request"]
    assert r.rows() == []


def test_conversation_not_understood_is_rephrased_once_then_a_clear_fallback(resident):
    r = resident()
    first = r.say("purple monkey dishwasher")
    second = r.say("purple monkey dishwasher")
    assert "didn't understand" in first[0] and "report" in first[0]
    assert "still can't understand" in second[0] and "talk to a person" in second[0]
    assert r.rows() == [] and r.escalations() == []


def test_conversation_unclear_symptoms_twice_are_left_unanswered(resident):
    r = resident()
    r.talk("hi", "yes", "36.4")
    assert "Which symptoms" in r.say("banana")[0]
    r.talk("banana", "no")
    [row] = r.rows()
    assert row.symptoms is None and row.red_flags is None and not row.abnormal
    assert row.reason == "not judged: symptoms not given"
    assert [e.kind for e in r.escalations()] == ["unclear"]


def test_conversation_cannot_smell_is_a_symptom_not_an_opt_out(resident):
    r = resident()
    r.talk("hi", "yes", "36.9", "I can't smell anything", "no")
    [row] = r.rows()
    assert row.symptoms == "loss_of_taste_or_smell" and row.outcome == "completed"
    assert r.opt_outs() == []


def test_conversation_campaign_attempt_ties_the_row_to_household_and_campaign(resident, db):
    _household(db, id="H-400", phone="+14155557400", contact_name="Zoe", members=1, timezone="Asia/Shanghai")
    attempt_id = _attempt(db, household_id="H-400", campaign_id="daily-fever", conversation_id="H-400:attempt-1",
                          screening={"emergency_number": "999"})
    now = "2026-11-24T02:00:00+00:00"  # 10:00 in Shanghai, stamped by a dry run's virtual clock
    r = resident("H-400:attempt-1", channel="simulated", metadata={"attempt_id": attempt_id, "now": now})
    r.talk("hi", "yes", "39", "a cough and I'm confused")
    closing = r.say("no")
    assert "999" in closing[0]
    [row] = r.rows()
    # The result names its attempt's channel (a call), not the dry-run channel the bot heard it on.
    assert (row.household_id, row.campaign_id, row.channel) == ("H-400", "daily-fever", "voice")
    assert row.finished_at == datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
    assert row.red_flags == "confusion" and row.urgent


def test_conversation_campaign_rules_come_from_the_attempt(resident, db):
    """The campaign's own fever threshold judges the answer: 37.5 is not abnormal at 38.0."""
    _household(db, id="H-401", phone="+14155557401", members=1)
    attempt_id = _attempt(db, household_id="H-401", campaign_id="high-threshold", conversation_id="H-401:a1",
                          screening={"fever_threshold_c": 38.0, "emergency_number": "120"})
    r = resident("H-401:a1", channel="voice", metadata={"attempt_id": attempt_id})
    r.talk("hi", "yes", "37.5", "no", "no")
    [row] = r.rows()
    assert (row.temperature_c, row.abnormal, row.campaign_id) == (37.5, False, "high-threshold")


def test_conversation_names_household_only_through_an_attempt(resident, db):
    """Metadata that names a household directly is not a way in: the sender is a walk-in."""
    _household(db, id="H-402", phone="+14155557402", members=1)
    r = resident("someone", metadata={"household_id": "H-402", "campaign_id": "x", "emergency_number": "666"})
    r.talk("hi", "yes", "36.6", "no", "no")
    [row] = r.rows()
    assert row.household_id != "H-402" and row.campaign_id is None


def test_conversation_forged_clock_on_chat_is_ignored(resident):
    r = resident(metadata={"now": "2001-01-01T00:00:00+00:00"})
    r.talk("hi", "yes", "36.6", "no", "no")
    [row] = r.rows()
    assert row.finished_at.year >= 2026


def test_conversation_socket_sender_without_phone_becomes_a_walk_in(resident):
    r = resident("c0ffee-socket-session")
    r.talk("hi", "yes", "36.6", "no", "no")
    [row] = r.rows()
    assert row.household_id.startswith("walkin-")
    with Session(r.engine) as session:
        assert session.get(Household, row.household_id).phone is None
