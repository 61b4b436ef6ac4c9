"""Supervisor texts go once per case, and unreachable days update the household's field-visit case."""
from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from campaigns.outreach import alerts
from campaigns.outreach.unreachable import escalate_unreachable
from campaigns.records.escalations import raise_case
from campaigns.records.models import (Attempt, Escalation, EscalationKind, Household, Notification, Screening,
                                      UnreachableDay)
from tests.campaigns.engine_helpers import add, household, make_spec, start, utc

NOW = utc(2024, 3, 5, 9, 0)
SUPERVISOR = "+12025550199"


def urgent_screening(engine, at, conversation: str) -> int:
    """What recording does for a red flag: the row, then the household's urgent case."""
    with Session(engine) as session:
        row = Screening(household_id="h1", conversation_id=conversation, started_at=at, finished_at=at,
                        temperature_c=38.4, symptoms="", red_flags="chest_pain", abnormal=True, urgent=True)
        session.add(row)
        session.flush()
        case = raise_case(session, household=session.get(Household, "h1"), kind=EscalationKind.urgent,
                          people=[row], screening_id=row.id, conversation_id=conversation, at=at).escalation
        session.commit()
        return case.id


def texts(engine, at) -> list[alerts.Alert]:
    with Session(engine) as session:
        due = alerts.due(session, now=at)
        for alert in due:
            alerts.record(session, alert=alert, at=at, carrier_ref=f"SM{alert.notification_id}")
        session.commit()
        return due


def test_supervisors_are_texted_once_per_case_not_per_screening(db):
    add(db, household("h1", "+12025550101", contact_name="Hal"))
    start(db, make_spec(notify=[{"name": "Dr A", "phone": SUPERVISOR}]), NOW)
    first = urgent_screening(db, NOW, "h1:round-1")
    [alert] = texts(db, NOW)
    assert alert.body == (f"URGENT screening alert #{first}: Hal, household h1, phone +12025550101. "
                          "Hal (contact), 38.4 °C, chest pain")
    assert urgent_screening(db, NOW + timedelta(hours=7), "h1:round-2") == first  # round 2: the same case
    assert texts(db, NOW + timedelta(hours=7)) == []
    with Session(db) as session:  # staff resolve it; a new red flag after that is a new case, texted
        case = session.get(Escalation, first)
        case.status, case.resolution_note, case.resolved_at = "resolved", "Ambulance sent.", NOW
        session.add(case)
        session.commit()
    second = urgent_screening(db, NOW + timedelta(days=1), "h1:day-2")
    assert second != first and [a.body.split(":")[0] for a in texts(db, NOW + timedelta(days=1))] == [
        f"URGENT screening alert #{second}"]
    with Session(db) as session:
        assert [(n.escalation_id, n.phone) for n in session.exec(select(Notification).order_by(Notification.id))] == [
            (first, SUPERVISOR), (second, SUPERVISOR)]


def test_unreachable_days_update_one_field_visit_case(db):
    add(db, household("h1", "+12025550101"))
    spec = make_spec(schedule={"start": "2024-03-05", "days": 3, "rounds": ["09:00"]})
    start(db, spec, NOW)
    for day in (date(2024, 3, 5), date(2024, 3, 6)):
        placed = utc(day.year, day.month, day.day, 9, 0)
        add(db, Attempt(campaign_id="c1", household_id="h1", day=day, round_no=1, due_at=placed, placed_at=placed,
                        status="no_answer"))
        with Session(db) as session:
            assert escalate_unreachable(session, campaign_id="c1", window=spec.window(), zones=["UTC"],
                                        now=placed + timedelta(hours=12)) == 1
    with Session(db) as session:
        [case] = session.exec(select(Escalation)).all()
        days = session.exec(select(UnreachableDay.day, UnreachableDay.escalation_id)).all()
    assert (case.kind, case.raised_count, case.last_raised_at) == ("field_visit", 2, utc(2024, 3, 6, 21, 0))
    assert case.detail == ("campaign c1: not reached on 2024-03-05 after every attempt of the day; "
                           "campaign c1: not reached on 2024-03-06 after every attempt of the day")
    assert sorted(days) == [(date(2024, 3, 5), case.id), (date(2024, 3, 6), case.id)]
