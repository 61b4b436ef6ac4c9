"""Carrier events (statuses queued by the channels for the dispatchers) and supervisor alerts,
on SQLite and on a real PostgreSQL server."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from campaigns.outreach import alerts
from campaigns.records import carrier_events
from campaigns.records.carrier_events import add_carrier_event
from campaigns.records.models import Attempt, CarrierEvent, Escalation, Notification
from tests.campaigns.engine_helpers import add, household, make_spec, start, utc

NOW = utc(2024, 3, 5, 9, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")


def attempt_row(engine, **fields) -> int:
    values = dict(campaign_id="c1", household_id="h1", day=date(2024, 3, 5), round_no=1, due_at=NOW,
                  status="dialing", placed_at=NOW, channel="voice")
    values.update(fields)
    with Session(engine) as session:
        row = Attempt(**values)
        session.add(row)
        session.commit()
        return row.id


@pytest.fixture
def campaign(engine):
    add(engine, household("h1", "+12025550101"))
    start(engine, make_spec(notify=[{"name": "Dr A", "phone": "+12025550199"},
                                    {"name": "Nurse B", "email": "b@example.org"}]), NOW)
    return engine


def queue(engine, attempt_id: int, status: str, ref: str = "CA1") -> bool:
    with Session(engine) as session:
        added = add_carrier_event(session, attempt_id=attempt_id, status=status, carrier_ref=ref)
        session.commit()
    return added


def test_inbox_repeated_callback_is_stored_once(campaign):
    attempt = attempt_row(campaign)
    assert [queue(campaign, attempt, s) for s in ("in_progress", "in_progress", "completed", "in_progress")] == [
        True, False, True, False]
    with Session(campaign) as session:
        assert [e.status for e in session.exec(select(CarrierEvent).order_by(CarrierEvent.id))] == [
            "in_progress", "completed"]


def test_inbox_take_never_gives_an_event_twice_and_dead_workers_events_come_back(campaign):
    attempt = attempt_row(campaign)
    for n in range(5):
        queue(campaign, attempt, "completed", ref=f"CA{n}")
    with Session(campaign) as session:
        first = [e.id for e in carrier_events.take(session, worker="w1", limit=3)]
        second = [e.id for e in carrier_events.take(session, worker="w2", limit=3)]
        carrier_events.mark_applied(session, ids=[first[0]])
        session.commit()
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    with Session(campaign) as session:
        assert carrier_events.release(session, workers=["w1"]) == 2  # the applied one stays applied
        session.commit()
        again = [e.id for e in carrier_events.take(session, worker="w3")]
    assert again == first[1:]


@pytest.mark.parametrize("channel, status, placed_ago, expected", [
    ("voice", "dialing", timedelta(minutes=59), None),
    ("voice", "in_progress", timedelta(minutes=61), "dropped"),
    ("voice", "dialing", timedelta(minutes=61), "no_answer"),
    ("sms", "dialing", timedelta(hours=3), None),
    ("sms", "dialing", timedelta(hours=4, seconds=1), "no_answer"),
    ("sms", "in_progress", timedelta(hours=4, seconds=1), "dropped"),
    ("sms", "completed", timedelta(hours=9), None),
], ids=["call-recent", "call-lost-end", "call-never-rang-out", "text-recent", "text-unanswered", "text-left",
        "text-done"])
def test_inbox_overdue_attempts(campaign, channel, status, placed_ago, expected):
    attempt_row(campaign, channel=channel, status=status, placed_at=NOW - placed_ago)
    with Session(campaign) as session:
        found = [new for _, new in carrier_events.overdue(session, now=NOW)]
    assert found == ([expected] if expected else [])


def urgent(engine, household_id="h1", severity="urgent", conversation_id=None) -> int:
    with Session(engine) as session:
        row = Escalation(household_id=household_id, kind="urgent", severity=severity, detail="red flags: chest_pain",
                         conversation_id=conversation_id, created_at=NOW)
        session.add(row)
        session.commit()
        return row.id


def test_alerts_each_supervisor_once_and_failed_sends_retried_three_times(campaign):
    attempt_row(campaign, conversation_id="h1:a1-abc")
    escalation = urgent(campaign, conversation_id="h1:a1-abc")
    add(campaign, household("h2", "+12025550102"))  # h1 has one open case of a kind; this is another's
    urgent(campaign, household_id="h2", severity="high")  # not urgent: no text
    with Session(campaign) as session:
        due = alerts.due(session, now=NOW)
        session.commit()
    assert [(a.phone, a.body.startswith(f"URGENT screening alert #{escalation}: h1")) for a in due] == [
        ("+12025550199", True)]
    for tries in (1, 2, 3):
        with Session(campaign) as session:
            alerts.record(session, alert=due[0], at=NOW, error="Twilio refused the text (error 30003)")
            session.commit()
            due = alerts.due(session, now=NOW)
            session.commit()
        assert len(due) == (0 if tries == 3 else 1)
    with Session(campaign) as session:
        [row] = session.exec(select(Notification)).all()
    assert (row.status, row.tries, row.detail) == ("failed", 3, "Twilio refused the text (error 30003)")


def test_alerts_sent_is_never_sent_again_and_self_reports_go_to_running_campaigns(campaign):
    escalation = urgent(campaign)  # no conversation of a campaign: a self-report
    with Session(campaign) as session:
        [alert] = alerts.due(session, now=NOW)
        alerts.record(session, alert=alert, at=NOW, carrier_ref="SM1")
        session.commit()
        assert alerts.due(session, now=NOW + timedelta(hours=1)) == []
        row = session.exec(select(Notification).where(Notification.escalation_id == escalation)).one()
    assert (row.phone, row.status, row.carrier_ref, row.sent_at) == ("+12025550199", "sent", "SM1", NOW)


def test_alerts_escalation_with_nobody_to_tell_is_marked_and_not_scanned_again(db):
    add(db, household("h1", "+12025550101"))
    urgent(db)
    with Session(db) as session:
        assert alerts.due(session, now=NOW) == []
        session.commit()
        assert [(n.phone, n.status) for n in session.exec(select(Notification))] == [(alerts.NOBODY, "none")]
