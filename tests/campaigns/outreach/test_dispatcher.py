"""The dispatcher on a virtual clock with the simulated carrier: retries, limits, escalations,
callbacks, channel fallback, status events, pause/stop and recovery after a crash."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from campaigns.carriers.base import CallStatus, StatusEvent
from campaigns.outreach.dispatcher import Dispatcher
from campaigns.records.models import Attempt, Campaign, Escalation, Household, Screening, Worker
from campaigns.carriers.residents import SimResident
from tests.campaigns.engine_helpers import (TIMINGS, Run, add, attempts, change, escalations, household, log_of,
                                            make_spec, rows, screenings, unreachable_days, utc)

BEGIN = utc(2024, 3, 5, 0, 0)  # local midnight of the campaign's day (households in UTC)
DAY_OVER = utc(2024, 3, 5, 21, 0)  # after the 20:00 close of the window
PHONE = "+12025550101"
R1, R2 = utc(2024, 3, 5, 9, 0), utc(2024, 3, 5, 16, 0)
S = timedelta(seconds=1)
BUSY_ENDS = (TIMINGS.ring + TIMINGS.busy) * S  # a busy attempt ends this long after it is placed
NO_ANSWER_ENDS = (TIMINGS.ring + TIMINGS.no_answer) * S


@pytest.fixture
def loop(event_loop_for_bot):
    return event_loop_for_bot.run_until_complete


def one_household(db, loop, *pickup: str, until=DAY_OVER, **spec_fields) -> Run:
    """Household h1 (UTC) whose resident picks up as listed, run through the day."""
    add(db, household("h1", PHONE))
    run = Run(db, make_spec(**spec_fields), begin=BEGIN, residents={PHONE: SimResident(pickup=pickup)})
    loop(run.run_until(until))
    return run


def test_dispatcher_busy_retries_ten_minutes_later_in_same_round(db, loop):
    run = one_household(db, loop, "busy", "machine")
    retry_due = R1 + BUSY_ENDS + timedelta(minutes=10)
    assert log_of(db, "h1") == [
        (1, 1, "round", "voice", R1, "busy"),
        (1, 2, "retry", "voice", retry_due, "machine"),
        (2, 1, "round", "voice", R2, "machine"),
    ]
    first = attempts(db, "h1")[0]
    assert (first.placed_at, first.ended_at, first.detail) == (R1, R1 + BUSY_ENDS, "simulated busy")
    assert run.dispatcher.counters.retries == 1


@pytest.mark.parametrize("rounds, expected", [
    (["09:00", "16:00"], [(1, 1, "round", R1, "no_answer"),
                          (1, 2, "retry", R1 + NO_ANSWER_ENDS + timedelta(hours=2), "machine"),
                          (2, 1, "round", R2, "machine")]),
    (["09:00", "10:30"], [(1, 1, "round", R1, "no_answer"),
                          (2, 1, "round", utc(2024, 3, 5, 10, 30), "machine")]),
], ids=["retry-two-hours-later", "next-round-comes-first"])
def test_dispatcher_no_answer_retries_two_hours_later_unless_next_round_first(db, loop, rounds, expected):
    one_household(db, loop, "no_answer", "machine",
                  schedule={"start": "2024-03-05", "days": 1, "rounds": rounds})
    assert [(r, t, kind, due, status) for r, t, kind, _, due, status in log_of(db, "h1")] == expected


@pytest.mark.parametrize("outcome", ["machine", "failed"])
def test_dispatcher_machine_or_failed_waits_for_next_round(db, loop, outcome):
    run = one_household(db, loop, outcome)
    assert log_of(db, "h1") == [(1, 1, "round", "voice", R1, outcome), (2, 1, "round", "voice", R2, outcome)]
    assert run.dispatcher.counters.retries == 0


def test_dispatcher_max_attempts_per_day_cancels_the_rest(db, loop):
    run = one_household(db, loop, "busy", retries={"max_attempts_per_day": 3})
    tries = [R1, R1 + BUSY_ENDS + timedelta(minutes=10), R1 + 2 * (BUSY_ENDS + timedelta(minutes=10))]
    assert log_of(db, "h1") == [
        (1, 1, "round", "voice", tries[0], "busy"),
        (1, 2, "retry", "voice", tries[1], "busy"),
        (1, 3, "retry", "voice", tries[2], "busy"),
        (2, 1, "round", "voice", R2, "canceled"),
    ]
    assert attempts(db, "h1")[-1].detail == "not placed: 3 attempts already made today"
    assert run.calls_to(PHONE) == ["voice"] * 3


def test_dispatcher_channel_fallback_uses_sms_after_one_failed_voice_attempt(db, loop):
    run = one_household(db, loop, "busy", channels=[{"type": "voice", "attempts": 1}, {"type": "sms"}],
                        retries={"max_attempts_per_day": 3},
                        schedule={"start": "2024-03-05", "days": 1, "rounds": ["09:00"]})
    # A text is never "busy": a resident who was busy for the call leaves the texts unanswered,
    # and each counts as unanswered once the reply wait is over, as live.
    assert [(a.try_no, a.channel, a.status, a.detail) for a in attempts(db, "h1")] == [
        (1, "voice", "busy", "simulated busy"), (2, "sms", "no_answer", "no final status or reply came in time"),
        (3, "sms", "no_answer", "no final status or reply came in time")]
    assert run.calls_to(PHONE) == ["voice", "sms", "sms"]
    refs = [a.carrier_ref[:2] for a in attempts(db, "h1")]
    assert refs == ["CA", "SM", "SM"]  # a call, then text conversations


def test_dispatcher_skips_household_opted_out_before_its_attempt(db, loop):
    add(db, household("h1", PHONE))
    run = Run(db, make_spec(), begin=BEGIN, residents={PHONE: SimResident(pickup=("machine",))})
    loop(run.run_until(utc(2024, 3, 5, 8, 0)))
    assert [a.status for a in attempts(db, "h1")] == ["due", "due"]  # both rounds planned
    with Session(db) as session:
        session.get(Household, "h1").opted_out_at = utc(2024, 3, 5, 8, 0)
        session.commit()
    loop(run.run_until(DAY_OVER))
    assert [(a.status, a.detail, a.placed_at) for a in attempts(db, "h1")] == [
        ("skipped", "not placed: the household opted out", None)] * 2
    assert run.calls_to(PHONE) == []
    assert escalations(db, "h1", "field_visit") == []


def test_dispatcher_pause_stops_claims_and_resume_continues(db, loop):
    add(db, household("h1", PHONE))
    run = Run(db, make_spec(), begin=BEGIN, residents={PHONE: SimResident(pickup=("machine",))})
    loop(run.run_until(utc(2024, 3, 5, 8, 30)))
    change(db, "c1", "pause", utc(2024, 3, 5, 8, 30))
    loop(run.run_until(utc(2024, 3, 5, 10, 0)))
    assert run.calls_to(PHONE) == []
    assert [a.status for a in attempts(db, "h1")] == ["due", "due"]
    change(db, "c1", "resume", utc(2024, 3, 5, 10, 0))
    loop(run.run_until(utc(2024, 3, 5, 10, 1)))
    assert run.calls_to(PHONE) == ["voice"]
    first = attempts(db, "h1")[0]
    assert (first.placed_at, first.status) == (utc(2024, 3, 5, 10, 0), "machine")


def test_dispatcher_stop_cancels_due_attempts(db, loop):
    add(db, household("h1", PHONE), household("h2", "+12025550102"))
    run = Run(db, make_spec(), begin=BEGIN, residents={})
    loop(run.run_until(utc(2024, 3, 5, 8, 30)))
    assert change(db, "c1", "stop", utc(2024, 3, 5, 8, 30)) == 4
    loop(run.run_until(DAY_OVER))
    assert run.carrier.calls == []
    assert {(a.status, a.detail, a.ended_at) for a in attempts(db)} == {
        ("canceled", "canceled: the campaign was stopped", utc(2024, 3, 5, 8, 30))}
    assert rows(db, Escalation) == []


# --- status events, straight to on_status --------------------------------------------------------

def dialing_attempt(db, loop) -> tuple[Dispatcher, int]:
    """Household h1's round-1 attempt, placed at 09:00 and ringing; nothing runs on its own."""
    add(db, household("h1", PHONE))
    run = Run(db, make_spec(), begin=BEGIN, residents={PHONE: SimResident(pickup=("busy",))})
    loop(run.run_until(R1 + S))  # plans, claims and places it; its carrier events are never run
    first = attempts(db, "h1")[0]
    assert (first.status, first.placed_at) == ("dialing", R1)
    return run.dispatcher, first.id


T = [R1 + n * S for n in range(10)]


@pytest.mark.parametrize("events, status, ended, tries", [
    ([(CallStatus.busy, T[3]), (CallStatus.busy, T[4])], "busy", T[3], 2),
    ([(CallStatus.busy, T[3]), (CallStatus.ringing, T[4]), (CallStatus.in_progress, T[5])], "busy", T[3], 2),
    ([(CallStatus.busy, T[3]), (CallStatus.no_answer, T[4]), (CallStatus.failed, T[5])], "busy", T[3], 2),
    ([(CallStatus.in_progress, T[3]), (CallStatus.ringing, T[2]), (CallStatus.completed, T[9]),
      (CallStatus.busy, T[9])], "dropped", T[9], 2),  # completed, but nothing was recorded: retried
    ([(CallStatus.machine, T[5]), (CallStatus.machine, T[6])], "machine", T[5], 1),
], ids=["duplicate-final", "late-ringing-and-answer", "second-final-outcome", "out-of-order", "duplicate-machine"])
def test_dispatcher_on_status_never_moves_back_nor_adds_retries(db, loop, events, status, ended, tries):
    dispatcher, attempt_id = dialing_attempt(db, loop)
    for call_status, at in events:
        loop(dispatcher.on_status(StatusEvent(attempt_id, call_status, at)))
    first, *others = attempts(db, "h1")
    assert (first.status, first.ended_at) == (status, ended)
    round_one = [a for a in others if a.round_no == 1]
    assert len(round_one) + 1 == tries
    assert dispatcher.counters.retries == tries - 1


def test_dispatcher_on_status_answer_keeps_answered_time(db, loop):
    dispatcher, attempt_id = dialing_attempt(db, loop)
    for at in (T[3], T[5]):
        loop(dispatcher.on_status(StatusEvent(attempt_id, CallStatus.in_progress, at)))
    first = attempts(db, "h1")[0]
    assert (first.status, first.answered_at, first.ended_at) == ("in_progress", T[3], None)


# --- after a crash -------------------------------------------------------------------------------

def test_dispatcher_recover_takes_back_a_dead_workers_attempts(db, loop):
    now = utc(2024, 3, 5, 9, 30)
    add(db, *(household(f"h{n}", f"+1202555010{n}") for n in (1, 2, 3)))
    run = Run(db, make_spec(), begin=now, residents={})
    dead = "elsewhere:1:dead"
    add(db, Worker(id=dead, host="elsewhere", pid=1, started_at=now - timedelta(hours=1),
                   heartbeat_at=now - timedelta(minutes=5)))
    with Session(db) as session:
        run.dispatcher.plan(run.dispatcher.running(), now)
        ids = {a.household_id: a for a in session.exec(select(Attempt).where(Attempt.round_no == 1))}
        for household_id, status in (("h1", "claimed"), ("h2", "dialing"), ("h3", "in_progress")):
            a = ids[household_id]
            a.status, a.worker, a.claim_token, a.claimed_at = status, dead, "tok", now - timedelta(minutes=2)
            if status != "claimed":
                a.placed_at, a.conversation_id = now - timedelta(minutes=2), f"{household_id}:a{a.id}"
            session.add(a)
        session.add(Screening(household_id="h2", conversation_id=ids["h2"].conversation_id, campaign_id="c1",
                              started_at=now - timedelta(minutes=1), finished_at=now - timedelta(minutes=1)))
        session.commit()
    loop(run.dispatcher.recover(now))
    logs = {h: [(a.round_no, a.try_no, a.kind, a.status, a.worker, a.due_at if a.status == "due" else None)
                for a in attempts(db, h) if a.round_no == 1] for h in ("h1", "h2", "h3")}
    assert logs == {
        "h1": [(1, 1, "round", "due", None, now)],
        "h2": [(1, 1, "round", "completed", dead, None)],
        "h3": [(1, 1, "round", "interrupted", dead, None), (1, 2, "retry", "due", None, now)],
    }
    assert attempts(db, "h3")[0].detail == "the dispatcher stopped during the call; nothing was recorded"
    assert rows(db, Worker, Worker.id == dead) == []


# --- through the real bot; household ids are unique because the bot keeps its trackers ----------

def test_dispatcher_unreachable_day_escalates_once_and_reached_never(db, loop, screening_bot):
    reached = "+12025550102"
    add(db, household("unr1", PHONE), household("unr2", reached))
    residents = {PHONE: SimResident(pickup=("no_answer",)),
                 reached: SimResident(says={"good_time": "yes", "temperature": "36.6", "symptoms": "no",
                                            "others_unwell": "no"})}
    run = Run(db, make_spec(schedule={"start": "2024-03-05", "days": 1, "rounds": ["09:00"]}),
              begin=BEGIN, residents=residents, bot=screening_bot)
    loop(run.run_until(DAY_OVER))
    loop(run.run_until(DAY_OVER + timedelta(hours=3)))  # more housekeeping raises nothing new
    assert [a.status for a in attempts(db, "unr1")] == ["no_answer", "no_answer", "no_answer", "no_answer"]
    days = unreachable_days(db, "unr1")
    field_visits = escalations(db, "unr1", "field_visit")
    assert [(d.day.isoformat(), d.escalation_id) for d in days] == [("2024-03-05", field_visits[0].id)]
    assert len(field_visits) == 1
    assert [a.status for a in attempts(db, "unr2")] == ["completed"]
    assert [s.outcome for s in screenings(db, "unr2")] == ["completed"]
    assert unreachable_days(db, "unr2") == [] and escalations(db, "unr2", "field_visit") == []


def test_dispatcher_never_dials_a_resident_who_said_stop_again(db, loop, screening_bot):
    add(db, household("stop1", PHONE))
    run = Run(db, make_spec(schedule={"start": "2024-03-05", "days": 2, "rounds": ["09:00", "16:00"]}),
              begin=BEGIN, residents={PHONE: SimResident(says={"good_time": "STOP"})}, bot=screening_bot)
    loop(run.run_until(DAY_OVER + timedelta(days=1)))
    assert run.calls_to(PHONE) == ["voice"]
    assert [(a.day.day, a.round_no, a.status) for a in attempts(db, "stop1")] == [
        (5, 1, "completed"), (5, 2, "skipped")]
    assert [s.outcome for s in screenings(db, "stop1")] == ["opted_out"]
    assert rows(db, Household, Household.id == "stop1")[0].opted_out_at is not None


def test_dispatcher_callback_request_is_called_back_at_the_time_asked(db, loop, screening_bot):
    phone = "+8613810000003"
    add(db, household("cb1", phone, tz="Asia/Shanghai"))
    resident = SimResident(says={"good_time": "not now, call me back at 6pm;yes", "temperature": "36.6",
                                 "symptoms": "no", "others_unwell": "no"})
    run = Run(db, make_spec(), begin=utc(2024, 3, 4, 16, 0), residents={phone: resident}, bot=screening_bot)
    loop(run.run_until(utc(2024, 3, 5, 13, 0)))  # 21:00 in Shanghai
    six_pm = utc(2024, 3, 5, 10, 0)  # 18:00 in Shanghai (UTC+8)
    assert log_of(db, "cb1") == [
        (1, 1, "round", "voice", utc(2024, 3, 5, 1, 0), "completed"),
        (2, 1, "callback", "voice", six_pm, "completed"),
    ]
    assert attempts(db, "cb1")[1].placed_at == six_pm
    rows_ = screenings(db, "cb1")
    assert [(s.outcome, s.callback_at) for s in rows_] == [("callback_requested", six_pm), ("completed", None)]
    assert run.dispatcher.counters.callbacks == 1
    assert run.calls_to(phone) == ["voice", "voice"]


def test_dispatcher_marks_campaign_finished_after_its_last_window(db, loop):
    run = one_household(db, loop, "busy", until=utc(2024, 3, 5, 19, 59))
    with Session(db) as session:
        assert session.get(Campaign, "c1").status == "running"  # the window is still open
    loop(run.run_until(DAY_OVER))
    with Session(db) as session:
        assert session.get(Campaign, "c1").status == "finished"
        assert not session.exec(select(Attempt).where(Attempt.status == "due")).all()


def _record(db, kind: str, conversation_id: str) -> None:
    with Session(db) as session:
        home = session.get(Household, "h1")
        if kind == "screening":
            session.add(Screening(household_id="h1", conversation_id=conversation_id, started_at=T[3],
                                  finished_at=T[4], outcome="partial"))
        elif kind == "escalation":
            session.add(Escalation(household_id="h1", kind="staff_callback", conversation_id=conversation_id))
        elif kind == "opted_out":
            home.opted_out_at = T[4]
        elif kind == "wrong_number":
            home.wrong_number_at = T[4]
        session.add(home)
        session.commit()


@pytest.mark.parametrize("recorded, status, retries", [
    (None, "dropped", 1), ("screening", "completed", 0), ("escalation", "completed", 0),
    ("opted_out", "completed", 0), ("wrong_number", "completed", 0),
], ids=["nothing", "a-screening", "a-request-for-a-person", "an-opt-out", "a-wrong-number"])
def test_dispatcher_completed_call_counts_as_reached_only_if_something_was_recorded(db, loop, recorded, status,
                                                                                     retries):
    dispatcher, attempt_id = dialing_attempt(db, loop)
    if recorded:
        _record(db, recorded, attempts(db, "h1")[0].conversation_id)
    loop(dispatcher.on_status(StatusEvent(attempt_id, CallStatus.completed, T[5], "CA1")))
    first, *more = attempts(db, "h1")
    assert (first.status, sum(a.kind == "retry" for a in more)) == (status, retries)
