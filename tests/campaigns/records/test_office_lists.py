"""The data of the lists a district office prints: field visits, follow-ups and the escalation export
(people named), the household search, times in the office's zone, and older databases upgraded."""
from __future__ import annotations

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records import case_lists, field_visits, household_search, local_times, schema
from campaigns.records.counts import NO_COMMUNITY
from campaigns.records.models import Attempt, Escalation, Household, Screening
from tests.campaigns.engine_helpers import add, household, utc

DAY = date(2024, 3, 5)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def attempt(household_id: str, try_no: int, status: str, *, hour: int = 9, placed: bool = True, day=DAY):
    return Attempt(campaign_id="c1", household_id=household_id, day=day, round_no=1, try_no=try_no,
                   due_at=utc(2024, 3, 5, hour), placed_at=utc(2024, 3, 5, hour) if placed else None,
                   status=status, channel="voice", detail=f"try {try_no}")


# --- field visits --------------------------------------------------------------------------------

@pytest.fixture
def unreached(db):
    from campaigns.records.models import Campaign

    add(db, Campaign(id="c1", spec_json="{}"),
        household("N2", "+14155550102", community="North", contact_name="Bo", address="2 Hill Rd", notes="blue door"),
        household("N1", "+14155550101", community="North", contact_name="Ana", members=3),
        household("S1", "+14155550103", community="South"), household("X1", "+14155550104"),
        household("R1", "+14155550105", community="North"), household("K1", "+14155550106", community="North"))
    add(db, attempt("N2", 1, "no_answer"), attempt("N2", 2, "busy", hour=11), attempt("N2", 3, "machine", hour=13),
        attempt("N1", 1, "failed"), attempt("N1", 2, "due", hour=15, placed=False),  # still being tried
        attempt("S1", 1, "no_answer"), attempt("X1", 1, "no_answer"),
        attempt("R1", 1, "no_answer"), attempt("R1", 2, "completed", hour=11),  # reached: not on the list
        attempt("K1", 1, "skipped", placed=False),  # opted out: not visited
        attempt("S1", 1, "no_answer", day=DAY + timedelta(days=1)))
    return db


def test_field_visits_are_the_unreached_by_community_with_their_attempts(unreached):
    with Session(unreached) as session:
        visits = list(field_visits.field_visits(session, day=DAY))
    assert [(v.community, v.household_id, v.still_trying) for v in visits] == [
        ("North", "N1", True), ("North", "N2", False), ("South", "S1", False), (NO_COMMUNITY, "X1", False)]
    n2 = visits[1]
    assert (n2.contact_name, n2.address, n2.notes, n2.phone) == ("Bo", "2 Hill Rd", "blue door", "+14155550102")
    assert [(a.at.hour, a.status, a.detail) for a in n2.attempts] == [(9, "no_answer", "try 1"), (11, "busy", "try 2"),
                                                                     (13, "machine", "try 3")]
    assert [len(v.attempts) for v in visits] == [1, 3, 1, 1]  # a pending attempt was not made


@pytest.mark.parametrize("community, expected", [("South", ["S1"]), (NO_COMMUNITY, ["X1"]), ("Nowhere", [])])
def test_field_visits_of_one_community(unreached, community, expected):
    with Session(unreached) as session:
        assert [v.household_id for v in field_visits.field_visits(session, day=DAY, community=community)] == expected


def test_field_visits_of_another_campaign_or_day(unreached):
    with Session(unreached) as session:
        assert list(field_visits.field_visits(session, day=DAY, campaign_id="c2")) == []
        assert [v.household_id for v in field_visits.field_visits(session, day=DAY + timedelta(days=1))] == ["S1"]


# --- follow-ups and the escalation export ---------------------------------------------------------

def person(index: int, temperature=None, symptoms=(), red_flags=(), name=None) -> dict:
    return {"index": index, "name": name, "temperature_c": temperature, "feels_feverish": None,
            "symptoms": list(symptoms), "red_flags": list(red_flags), "note": None}


@pytest.fixture
def open_cases(db):
    add(db, household("H1", "+14155550101", community="North", contact_name="Lena", member_names="Lena;Jun;Mei",
                      members=4, address="2 Hill Rd"),
        household("H2", "+14155550102", community="South"), household("H3", "+14155550103"))
    add(db, Screening(id=7, household_id="H2", person_index=1, conversation_id="c7", started_at=utc(2024, 3, 5),
                      finished_at=utc(2024, 3, 5), temperature_c=38.4, abnormal=True))
    add(db, Escalation(id=1, household_id="H1", kind="urgent", severity="urgent", created_at=utc(2024, 3, 5, 10),
                       raised_count=2, last_raised_at=utc(2024, 3, 5, 16), people=json.dumps([
                           person(0, 38.3, red_flags=["difficulty_breathing"]), person(1, 37.9, ["cough"]),
                           person(3, 38.0, name="Zoe")])),
        Escalation(id=2, household_id="H2", kind="abnormal", severity="high", screening_id=7,  # an older row
                   detail="person 1: fever 38.4 °C", created_at=utc(2024, 3, 5, 8)),
        Escalation(id=3, household_id="H1", kind="abnormal", severity="high", status="resolved",
                   created_at=utc(2024, 3, 4)),
        Escalation(id=4, household_id="H3", kind="help_request", severity="high", detail="resident said: food",
                   created_at=utc(2024, 3, 5, 7)),
        Escalation(id=5, household_id="H3", kind="abnormal", severity="high", status="acknowledged",
                   assigned_to="maria", created_at=utc(2024, 3, 5, 9), people=json.dumps([person(0, 39.0)])))
    return db


def test_follow_ups_are_open_health_cases_by_community_oldest_first_with_named_people(open_cases):
    with Session(open_cases) as session:
        found = list(case_lists.follow_ups(session))
    assert [(c.community, c.escalation.id) for c in found] == [("North", 1), ("South", 2), (NO_COMMUNITY, 5)]
    assert [(p.label, p.reading) for p in found[0].people] == [
        ("Lena (contact)", "38.3 °C, difficulty breathing"), ("Jun", "37.9 °C, cough"), ("Zoe", "38.0 °C")]
    assert [(p.label, p.reading) for p in found[1].people] == [("member 2", "38.4 °C")]  # read from its screening
    assert (found[0].address, found[0].latest) == ("2 Hill Rd", utc(2024, 3, 5, 16))


def test_escalation_export_has_the_queues_filters_and_order(open_cases):
    with Session(open_cases) as session:
        every = [c.escalation.id for c in case_lists.cases(session, status="all")]
        default = [c.escalation.id for c in case_lists.cases(session)]
        narrowed = [c.escalation.id for c in case_lists.cases(session, kind="abnormal", severity="high",
                                                                 status="open", community="South")]
        resolved = [c.escalation.id for c in case_lists.cases(session, status="resolved")]
    assert every == [1, 3, 4, 2, 5] and default == [1, 4, 2, 5]  # urgent first, then oldest
    assert (narrowed, resolved) == ([2], [3])


def test_escalation_export_line_names_people_in_the_office_time(open_cases):
    with Session(open_cases) as session:
        case = next(case_lists.cases(session, severity="urgent"))
        line = dict(zip(case_lists.HEADER, case_lists.export_cells(case, office=SHANGHAI)))
        utc_line = dict(zip(case_lists.HEADER, case_lists.export_cells(case, office=ZoneInfo("UTC"))))
    assert line["people"] == ("Lena (contact), 38.3 °C, difficulty breathing; Jun, 37.9 °C, cough; Zoe, 38.0 °C")
    assert (line["created_at"], line["last_raised_at"], line["raised_count"]) == (
        "2024-03-05T18:00:00+08:00", "2024-03-06T00:00:00+08:00", 2)
    assert (utc_line["created_at"], line["phone"], line["address"]) == ("2024-03-05T10:00:00Z", "+14155550101",
                                                                        "2 Hill Rd")


def test_escalation_export_cells_cannot_run_as_formulas(db):
    add(db, household("H1", "+14155550101", contact_name="=HYPERLINK(1)", address="@evil"))
    add(db, Escalation(household_id="H1", kind="help_request", detail="-2+3"))
    with Session(db) as session:
        line = dict(zip(case_lists.HEADER, case_lists.export_cells(next(case_lists.cases(session)), office=SHANGHAI)))
    assert (line["contact_name"], line["address"], line["detail"]) == ("'=HYPERLINK(1)", "'@evil", "'-2+3")


# --- household search ----------------------------------------------------------------------------

@pytest.fixture
def listed(db):
    add(db, household("H-10", "+14155550110", contact_name="Ana Lima", member_names="Ana Lima;Bo", community="North"),
        household("H-11", "+14155550111", contact_name="王医生", community="Hillview"),
        household("X_1", "+14155550112", contact_name="Cy", community="South", address="1 Main St"))
    add(db, Screening(household_id="H-10", conversation_id="old", started_at=utc(2024, 3, 4), finished_at=utc(2024, 3, 4),
                      temperature_c=36.5),
        Screening(household_id="H-10", conversation_id="new", started_at=utc(2024, 3, 5), finished_at=utc(2024, 3, 5),
                  temperature_c=38.5, abnormal=True),
        Screening(household_id="H-10", person_index=1, conversation_id="new", started_at=utc(2024, 3, 5),
                  finished_at=utc(2024, 3, 5), temperature_c=36.5),
        Escalation(household_id="H-10", kind="help_request", severity="high"),
        Escalation(household_id="H-10", kind="urgent", severity="urgent"),
        Escalation(household_id="H-10", kind="abnormal", severity="high", status="resolved"))
    return db


@pytest.mark.parametrize("text, expected", [
    ("", ["H-10", "H-11", "X_1"]), ("h-1", ["H-10", "H-11"]), ("H-11", ["H-11"]), ("X_", ["X_1"]), ("H_", []),
    ("(415) 555-0111", ["H-11"]), ("+14155550112", ["X_1"]), ("lima", ["H-10"]), ("bo", ["H-10"]),
    ("医生", ["H-11"]), ("hill", ["H-11"]), ("%", []), ("5550110", []),
])
def test_search_by_id_phone_name_or_community(listed, text, expected):
    with Session(listed) as session:
        assert [hit.household.id for hit in household_search.search(session, text=text).hits] == expected


def test_search_gives_the_last_screening_and_open_cases_and_pages_by_id(listed):
    with Session(listed) as session:
        first = household_search.search(session, limit=2)
        rest = household_search.search(session, limit=2, after=first.next_after)
        south = household_search.search(session, community="South")
    hit = first.hits[0]
    assert (hit.last_screening.people, hit.last_screening.abnormal, hit.last_screening.finished_at) == (
        2, 1, utc(2024, 3, 5))
    assert hit.open_cases == [("urgent", "urgent"), ("help_request", "high")]
    assert ([h.household.id for h in first.hits], first.next_after) == (["H-10", "H-11"], "H-11")
    assert ([h.household.id for h in rest.hits], rest.next_after) == (["X_1"], None)
    assert [h.household.id for h in south.hits] == ["X_1"] and first.hits[1].last_screening is None


# --- times and the schema ------------------------------------------------------------------------

def test_times_are_shown_in_the_office_zone():
    winter, summer = utc(2024, 1, 15, 23, 30), utc(2024, 7, 15, 23, 30)
    berlin = ZoneInfo("Europe/Berlin")
    assert [local_times.stamped(t, berlin) for t in (winter, summer)] == ["2024-01-16 00:30 CET",
                                                                          "2024-07-16 01:30 CEST"]
    assert local_times.stamped(winter, ZoneInfo("UTC")) == "2024-01-15 23:30 UTC"
    assert (local_times.local(winter, SHANGHAI), local_times.local(None, SHANGHAI)) == ("2024-01-16 07:30", "-")
    assert (local_times.iso(winter, SHANGHAI), local_times.iso(winter, ZoneInfo("UTC"))) == (
        "2024-01-16T07:30:00+08:00", "2024-01-15T23:30:00Z")
    assert local_times.today(SHANGHAI, now=winter) == date(2024, 1, 16)


def test_an_older_household_table_gets_address_and_notes(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/old.db", future=True)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE households (id VARCHAR(64) PRIMARY KEY, phone VARCHAR(20))"))
        connection.execute(sa.text("INSERT INTO households VALUES ('H1', '+14155550101')"))
    with engine.begin() as connection:
        table = sa.Table("households", sa.MetaData(), sa.Column("id", sa.String(64), primary_key=True),
                         sa.Column("phone", sa.String(20)), sa.Column("address", sa.String),
                         sa.Column("notes", sa.String))
        assert schema.add_missing_columns(connection, table=table) == ["address", "notes"]
        assert schema.add_missing_columns(connection, table=table) == []
        assert connection.execute(sa.text("SELECT id, address, notes FROM households")).all() == [("H1", None, None)]


def test_a_column_that_rows_cannot_take_is_refused(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/old.db", future=True)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE households (id VARCHAR(64) PRIMARY KEY)"))
        table = sa.Table("households", sa.MetaData(), sa.Column("id", sa.String(64), primary_key=True),
                         sa.Column("members", sa.Integer, nullable=False))
        with pytest.raises(ValueError, match="households.members cannot be added"):
            schema.add_missing_columns(connection, table=table)


def test_household_upgrade_on_postgres_is_safe_to_repeat(pg_db):
    with pg_db.begin() as connection:
        connection.execute(sa.text("ALTER TABLE households DROP COLUMN address"))
        assert schema.upgrade_households(connection) == ["address"]
        assert schema.upgrade_households(connection) == []
    add(pg_db, Household(id="H1", phone="+14155550101", address="1 Main St"))


def test_the_lists_and_the_search_on_postgres(pg_db):
    from campaigns.records.models import Campaign

    add(pg_db, Campaign(id="c1", spec_json="{}"), household("N1", "+14155550101", community="North", contact_name="Ana",
                                                            member_names="Ana;Bo", members=2),
        household("X1", "+14155550102", contact_name="Zoë"))
    add(pg_db, attempt("N1", 1, "no_answer"), attempt("X1", 1, "busy"),
        Escalation(household_id="N1", kind="urgent", severity="urgent", people=json.dumps([person(1, 38.2)])),
        Escalation(household_id="X1", kind="abnormal", severity="high"))
    with Session(pg_db) as session:
        visits = [(v.community, v.household_id) for v in field_visits.field_visits(session, day=DAY)]
        found = [(c.community, c.escalation.kind, [p.label for p in c.people]) for c in case_lists.follow_ups(session)]
        hits = [h.household.id for h in household_search.search(session, text="ZOË").hits]
        upper = [h.household.id for h in household_search.search(session, text="n1").hits]
    assert visits == [("North", "N1"), (NO_COMMUNITY, "X1")]
    assert found == [("North", "urgent", ["Bo"]), (NO_COMMUNITY, "abnormal", [])]
    assert (hits, upper) == (["X1"], ["N1"])
