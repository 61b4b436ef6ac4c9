"""Escalation cases: one open case per household and kind, updated by later screenings and requests,
on SQLite and on a real PostgreSQL server, also when raised by several workers at the same instant."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from campaigns.records.escalations import raise_case, raise_escalation
from campaigns.records.models import Escalation, EscalationKind, Household, Screening
from tests.campaigns.engine_helpers import add, household, utc

T0 = utc(2024, 3, 5, 9, 0)
ROUND_2 = T0 + timedelta(hours=7)
ABNORMAL, URGENT = EscalationKind.abnormal, EscalationKind.urgent


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    engine = request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")
    add(engine, household("H1", "+12025550101", contact_name="Lena", member_names="Lena;Jun;Mei", members=3),
        household("H2", "+12025550102"))
    return engine


@pytest.fixture
def sqlite(db):
    add(db, household("H1", "+12025550101", contact_name="Lena", member_names="Lena;Jun;Mei", members=3))
    return db


def screening(session, index: int, at=T0, conversation="c1", **fields) -> Screening:
    values = dict(household_id="H1", person_index=index, conversation_id=conversation, started_at=at,
                  finished_at=at, symptoms="", red_flags="", abnormal=True)
    values.update(fields)
    row = Screening(**values)
    session.add(row)
    session.flush()
    return row


def screen(engine, kind: EscalationKind, people: list[dict], at=T0, conversation="c1"):
    """What recording does for one conversation: the rows, then one case for them."""
    with Session(engine) as session:
        rows = [screening(session, at=at, conversation=conversation, **person) for person in people]
        raised = raise_case(session, household=session.get(Household, "H1"), kind=kind, people=rows,
                            screening_id=rows[0].id, conversation_id=conversation, at=at)
        session.commit()
        return raised.opened, raised.escalation.id


def cases(engine, *where) -> list[Escalation]:
    with Session(engine) as session:
        return list(session.exec(select(Escalation).where(*where).order_by(Escalation.id)).all())


def test_later_rounds_update_the_households_open_case(engine):
    """Three abnormal people in round 1 and again in round 2: one case, not six."""
    assert screen(engine, ABNORMAL, [dict(index=0, temperature_c=38.3), dict(index=1, temperature_c=37.9),
                                     dict(index=2, symptoms="cough")]) == (True, 1)
    assert screen(engine, ABNORMAL, [dict(index=1, temperature_c=38.6), dict(index=2, symptoms="cough;fatigue")],
                  at=ROUND_2, conversation="c2") == (False, 1)
    [case] = cases(engine)
    assert (case.kind, case.severity, case.status, case.raised_count) == ("abnormal", "high", "open", 2)
    assert (case.created_at, case.last_raised_at, case.conversation_id) == (T0, ROUND_2, "c2")
    assert case.detail == "Lena (contact), 38.3 °C; Jun, 38.6 °C; Mei, cough, fatigue"
    assert case.screening_id == 1  # where it began


def test_a_resolved_case_stays_resolved_and_a_new_problem_opens_a_new_case(sqlite):
    screen(sqlite, ABNORMAL, [dict(index=0, temperature_c=38.3)])
    with Session(sqlite) as session:
        case = session.get(Escalation, 1)
        case.status, case.resolution_note, case.resolved_at = "resolved", "Visited.", T0
        session.add(case)
        session.commit()
    assert screen(sqlite, ABNORMAL, [dict(index=1, temperature_c=38.0)], at=ROUND_2, conversation="c2") == (True, 2)
    old, new = cases(sqlite)
    assert (old.status, old.raised_count, old.detail) == ("resolved", 1, "Lena (contact), 38.3 °C")
    assert (new.status, new.raised_count, new.detail) == ("open", 1, "Jun, 38.0 °C")


def test_an_urgent_case_absorbs_the_open_abnormal_one(sqlite):
    screen(sqlite, ABNORMAL, [dict(index=1, temperature_c=37.9)])
    with Session(sqlite) as session:  # a health worker has taken it
        case = session.get(Escalation, 1)
        case.status, case.assigned_to, case.acknowledged_at = "acknowledged", "maria", T0
        session.add(case)
        session.commit()
    assert screen(sqlite, URGENT, [dict(index=0, temperature_c=38.3, red_flags="difficulty_breathing", urgent=True)],
                  at=ROUND_2, conversation="c2") == (True, 2)
    abnormal, urgent = cases(sqlite)
    assert (abnormal.status, abnormal.merged_into, abnormal.resolved_at) == ("resolved", 2, ROUND_2)
    assert "merged into case 2" in abnormal.resolution_note
    assert (urgent.kind, urgent.severity, urgent.status, urgent.assigned_to) == ("urgent", "urgent", "open", "maria")
    assert urgent.detail == "Lena (contact), 38.3 °C, difficulty breathing; Jun, 37.9 °C"
    assert (urgent.raised_count, urgent.created_at, urgent.last_raised_at) == (2, T0, ROUND_2)


def test_an_abnormal_screening_joins_the_open_urgent_case(sqlite):
    screen(sqlite, URGENT, [dict(index=0, temperature_c=38.3, red_flags="chest_pain", urgent=True)])
    assert screen(sqlite, ABNORMAL, [dict(index=2, temperature_c=37.6)], at=ROUND_2, conversation="c2") == (False, 1)
    [case] = cases(sqlite)
    assert (case.kind, case.severity, case.raised_count) == ("urgent", "urgent", 2)
    assert case.detail == "Lena (contact), 38.3 °C, chest pain; Mei, 37.6 °C"


def test_other_kinds_stay_apart_and_requests_gather_their_words(sqlite):
    screen(sqlite, ABNORMAL, [dict(index=0, temperature_c=38.3)])
    with Session(sqlite) as session:
        home = session.get(Household, "H1")
        for said in ("I need food", "I need medicine", "I need food"):
            raise_escalation(session, household=home, kind=EscalationKind.help_request,
                             detail=f"resident said: {said}", conversation_id="c9", at=ROUND_2)
        session.commit()
    abnormal, help_request = cases(sqlite)
    assert (abnormal.kind, abnormal.raised_count) == ("abnormal", 1)
    assert (help_request.kind, help_request.severity, help_request.raised_count) == ("help_request", "high", 3)
    assert help_request.detail == "resident said: I need food; resident said: I need medicine"


def test_the_database_refuses_a_second_open_case_of_a_kind(engine):
    """The partial unique index: writers that bypass raise_case cannot open a duplicate either."""
    add(engine, Escalation(household_id="H1", kind="urgent", status="resolved"),
        Escalation(household_id="H1", kind="urgent", status="acknowledged"),
        Escalation(household_id="H1", kind="abnormal"), Escalation(household_id="H2", kind="urgent"))
    with Session(engine) as session:
        session.add(Escalation(household_id="H1", kind="urgent"))
        with pytest.raises(IntegrityError):
            session.commit()


def raise_at_once(engine, kinds: list[EscalationKind]) -> list[Exception]:
    """Each kind raised by its own thread and session at the same instant, as by several workers;
    each writes its screening row first, as recording does. Returns what went wrong."""
    barrier, errors = threading.Barrier(len(kinds)), []
    sqlite = engine.dialect.name == "sqlite"

    def work(number: int, kind: EscalationKind) -> None:
        try:
            if sqlite:  # one writer at a time: a thread holding the write lock would wait at the barrier forever
                barrier.wait(timeout=30)
            with Session(engine) as session:
                row = screening(session, number % 3, at=T0 + timedelta(seconds=number), conversation=f"c{number}",
                                temperature_c=38.0, red_flags="chest_pain" if kind is URGENT else "",
                                urgent=kind is URGENT)
                if not sqlite:  # every one holds its screening's lock on the household row, then all raise
                    barrier.wait(timeout=30)
                raise_case(session, household=session.get(Household, "H1"), kind=kind, people=[row],
                           screening_id=row.id, conversation_id=f"c{number}", at=row.finished_at)
                session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n, kind)) for n, kind in enumerate(kinds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_simultaneous_raises_of_one_case_make_one_case(engine):
    assert raise_at_once(engine, [ABNORMAL] * 6) == []
    [case] = cases(engine)
    assert (case.kind, case.status, case.raised_count) == ("abnormal", "open", 6)
    assert case.detail == "Lena (contact), 38.0 °C; Jun, 38.0 °C; Mei, 38.0 °C"
    assert case.last_raised_at == max(T0 + timedelta(seconds=n) for n in range(6))


def test_simultaneous_urgent_and_abnormal_raises_leave_one_urgent_case(engine):
    assert raise_at_once(engine, [ABNORMAL, URGENT] * 3) == []
    active = cases(engine, Escalation.status.in_(("open", "acknowledged")))
    assert [(case.kind, case.raised_count) for case in active] == [("urgent", 6)]
    merged = cases(engine, Escalation.merged_into.is_not(None))
    assert all(row.kind == "abnormal" and row.merged_into == active[0].id for row in merged)


def test_simultaneous_requests_make_one_case(engine):
    """Requests write nothing before the case: the lock of the household row is what orders them."""
    barrier, errors = threading.Barrier(5), []

    def work(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            with Session(engine) as session:
                raise_escalation(session, household=session.get(Household, "H1"), kind=EscalationKind.help_request,
                                 detail=f"resident said: request {number}", conversation_id=f"c{number}", at=T0)
                session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    [case] = cases(engine)
    assert (case.kind, case.raised_count, case.detail.count("resident said")) == ("help_request", 5, 5)
