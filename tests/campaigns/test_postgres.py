"""The tables, timestamps, constraints and export on a real PostgreSQL server (the production database)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel

from campaigns.records.db import get_engine
from campaigns.records.export import export_to_path
from campaigns.records.models import Attempt, Campaign, Escalation, Household, Screening
from campaigns.settings import get_settings

T0 = datetime(2024, 3, 1, 9, 30, 15, tzinfo=timezone.utc)
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE for a broken unique constraint


def test_get_engine_creates_every_table_on_postgres(pg_url):
    engine = get_engine(pg_url)
    inspector = sa.inspect(engine)
    assert engine.dialect.name == "postgresql"
    assert set(inspector.get_table_names()) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert "uq_attempt" in {c["name"] for c in inspector.get_unique_constraints("attempts")}


def test_pg_db_is_the_settings_database(pg_db, pg_url):
    assert get_settings().database_url == pg_url
    assert pg_db is get_engine(pg_url)
    with pg_db.connect() as connection:
        assert connection.execute(sa.text("SELECT current_database()")).scalar() == pg_url.rsplit("/", 1)[1]


@pytest.mark.parametrize("server_zone", ["UTC", "Asia/Kolkata"], ids=["session-utc", "session-kolkata"])
@pytest.mark.parametrize("written, utc", [
    (T0, T0),
    (datetime(2024, 3, 1, 12, 30, 15, tzinfo=timezone(timedelta(hours=3))), T0),
    # just after New York's spring-forward gap: EDT, UTC-4
    (datetime(2024, 3, 10, 3, 30, tzinfo=ZoneInfo("America/New_York")),
     datetime(2024, 3, 10, 7, 30, tzinfo=timezone.utc)),
    # New York's repeated hour, second pass: EST, UTC-5
    (datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
     datetime(2024, 11, 3, 6, 30, tzinfo=timezone.utc)),
], ids=["utc", "plus-3h", "new-york-dst", "new-york-fold"])
def test_utc_datetime_round_trips_aware_utc_on_postgres(pg_db, written, utc, server_zone):
    with Session(pg_db) as session:
        session.add(Household(id="h1", opted_out_at=written))
        session.commit()
    with Session(pg_db) as session:
        session.execute(sa.text(f"SET TIME ZONE '{server_zone}'"))
        read = session.get(Household, "h1").opted_out_at
        stored = session.execute(sa.text("SELECT opted_out_at AT TIME ZONE 'UTC' FROM households")).scalar()
    assert read == utc
    assert read.tzinfo is timezone.utc
    assert stored == utc.replace(tzinfo=None)


def test_utc_datetime_column_is_timestamptz_on_postgres(pg_db):
    with pg_db.connect() as connection:
        kind = connection.execute(sa.text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'households' AND column_name = 'opted_out_at'")).scalar()
    assert kind == "timestamp with time zone"


def test_utc_datetime_refuses_naive_on_postgres(pg_db):
    with Session(pg_db) as session:
        session.add(Household(id="h1", opted_out_at=datetime(2024, 3, 1, 9, 30)))
        with pytest.raises(StatementError, match="naive datetime given"):
            session.commit()


def test_household_phone_unique_on_postgres(pg_db):
    with Session(pg_db) as session:
        session.add_all([Household(id="h1", phone="+12024561111"), Household(id="h2", phone=None),
                         Household(id="h3", phone=None)])  # many households may have no phone
        session.commit()
    with Session(pg_db) as session:
        session.add(Household(id="h4", phone="+12024561111"))
        with pytest.raises(IntegrityError) as raised:
            session.commit()
    assert raised.value.orig.pgcode == UNIQUE_VIOLATION


def _attempt(**fields) -> Attempt:
    values = dict(campaign_id="spring", household_id="h1", day=date(2024, 3, 1), round_no=1, try_no=1,
                  due_at=T0)
    values.update(fields)
    return Attempt(**values)


@pytest.fixture
def attempts_db(pg_db):
    with Session(pg_db) as session:
        session.add_all([Campaign(id="spring", spec_json="{}"), Household(id="h1"), Household(id="h2")])
        session.commit()
        session.add(_attempt())
        session.commit()
    return pg_db


def test_attempt_unique_on_postgres(attempts_db):
    with Session(attempts_db) as session:
        session.add(_attempt(kind="retry", due_at=T0 + timedelta(hours=1)))  # same key, other fields
        with pytest.raises(IntegrityError) as raised:
            session.commit()
    assert raised.value.orig.pgcode == UNIQUE_VIOLATION
    assert raised.value.orig.diag.constraint_name == "uq_attempt"


@pytest.mark.parametrize("fields", [
    {"try_no": 2},
    {"round_no": 2},
    {"day": date(2024, 3, 2)},
    {"household_id": "h2"},
], ids=["next-try", "next-round", "next-day", "other-household"])
def test_attempt_unique_allows_other_keys_on_postgres(attempts_db, fields):
    with Session(attempts_db) as session:
        session.add(_attempt(**fields))
        session.commit()
        assert session.execute(sa.select(sa.func.count()).select_from(Attempt)).scalar() == 2


# Rows that exercise every cell kind of the export: None against "", booleans, floats to round,
# an offset timestamp, a formula-like answer, non-ASCII words, ties on finished_at, escalation ranks.
EXPORT_SCREENINGS = [
    dict(household_id="h1", campaign_id="spring", channel="voice", person_index=1, temperature_c=38.25,
         temperature_said="thirty eight point two five", symptoms="cough;fever", red_flags="",
         abnormal=True, reason="temperature 38.2 C >= 37.3 C"),
    dict(household_id="h2", campaign_id=None, channel="chat", feels_feverish=False, outcome="partial",
         finished_at=datetime(2024, 3, 1, 12, 30, 15, tzinfo=timezone(timedelta(hours=3)))),  # ties T0
    dict(household_id="h1", campaign_id="spring", channel="sms", person_index=0, feels_feverish=True,
         temperature_said="=HYPERLINK(\"http://x\")", symptoms="", red_flags=None, abnormal=True,
         reason="feels feverish", finished_at=T0 + timedelta(days=1)),
    dict(household_id="h3", campaign_id="autumn", channel="voice", temperature_c=36.6,
         temperature_said="trente-six virgule six, ça va", person_name="Zoë Ñúñez",
         finished_at=T0 - timedelta(minutes=5), outcome="completed"),
]
EXPORT_ESCALATIONS = {0: ("resolved", "acknowledged"), 2: ("open", "resolved")}


def _fill_export_rows(engine) -> None:
    with Session(engine) as session:
        session.add_all([Household(id="h1", phone="+12024561111"), Household(id="h2", walk_in=True),
                         Household(id="h3", phone="+442071838750")])
        session.commit()
        for index, fields in enumerate(EXPORT_SCREENINGS):
            values = dict(conversation_id=f"c{index}", started_at=T0, finished_at=T0)
            values.update(fields)
            row = Screening(**values)
            session.add(row)
            session.commit()
            # h1 has one open (or acknowledged) case per kind: its rows' escalations differ in kind.
            for status in EXPORT_ESCALATIONS.get(index, ()):
                session.add(Escalation(household_id=row.household_id, screening_id=row.id,
                                       kind="abnormal" if index == 0 else "unclear", status=status))
            session.commit()


@pytest.mark.parametrize("filters, rows", [
    ({}, 4),
    ({"campaign_id": "spring"}, 2),
    ({"since": T0}, 3),
    ({"abnormal_only": True}, 2),
], ids=["all", "campaign", "since", "abnormal-only"])
def test_export_to_path_same_csv_on_postgres_and_sqlite(db, pg_db, tmp_path, filters, rows):
    exported = {}
    for name, engine in (("sqlite", db), ("postgresql", pg_db)):
        _fill_export_rows(engine)
        path = tmp_path / f"{name}.csv"
        with Session(engine) as session:
            assert export_to_path(session, path=path, **filters) == rows
        exported[name] = path.read_bytes()
    assert exported["postgresql"] == exported["sqlite"]
    assert exported["sqlite"].count(b"\r\n") == rows + 1
