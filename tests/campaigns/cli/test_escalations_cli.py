"""An office's older database, with an escalation per person per round, upgraded (`screening db
upgrade`, as every command does on start) to one open case per household and kind; no row lost;
`screening escalations merge` finds nothing left to do. On SQLite and on a real PostgreSQL server."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from campaigns.cli import main
from campaigns.outreach import alerts
from campaigns.records.db import get_engine
from campaigns.records.escalations import raise_escalation
from campaigns.records.migrations import runner
from campaigns.records.models import Escalation, EscalationKind, Household, Notification
from campaigns.settings import get_settings
from tests.campaigns.engine_helpers import utc

NEW_COLUMNS = ("raised_count", "last_raised_at", "people", "merged_into")
T0 = utc(2024, 3, 5, 9, 0)
ROUND_2 = T0 + timedelta(hours=7)
HOUSEHOLDS = [dict(id="H1", phone="+12025550101", contact_name="Lena", member_names="Lena;Jun;Mei", members=3),
              dict(id="H2", phone="+12025550102", contact_name="Ben", members=2),
              dict(id="H3", phone="+12025550103", contact_name="Cai", members=1),
              dict(id="H4", phone="+12025550104", members=1)]
# (household, person, at, temperature, red flags, kind, status): what the old code wrote, one escalation
# per abnormal person per round, each with its screening.
OLD = [("H1", 0, T0, 38.3, "", "abnormal", "acknowledged"), ("H1", 1, T0, 37.9, "", "abnormal", "open"),
       ("H1", 2, T0, 37.5, "", "abnormal", "open"), ("H1", 0, ROUND_2, 38.6, "", "abnormal", "open"),
       ("H1", 1, ROUND_2, 38.1, "", "abnormal", "open"), ("H1", 2, ROUND_2, 37.4, "", "abnormal", "open"),
       ("H2", 0, T0, 38.0, "difficulty_breathing", "urgent", "open"), ("H2", 1, T0, 37.9, "", "abnormal", "open"),
       ("H2", 0, ROUND_2, 38.2, "difficulty_breathing", "urgent", "open"),
       ("H3", 0, T0, 38.4, "", "abnormal", "resolved"), ("H3", 0, ROUND_2, 38.0, "", "abnormal", "open")]
OUTPUT = ["The database was made before migrations: brought it to the baseline.",
          "Added the columns escalations.last_raised_at, escalations.raised_count, escalations.people, "
          "escalations.merged_into.",
          "Merged 8 open duplicate escalations into 3 cases; each is resolved and points at its case (merged_into).",
          "Wrote the people of 1 older case in words.",
          "Created the index uq_escalations_open_case.",
          f"Upgraded it from revision 0001 (baseline) to {runner.describe(runner.head())}, the newest."]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request, tmp_path, monkeypatch):
    """A database as the previous version left it: no case columns, no index, duplicates open."""
    url = (f"sqlite:///{tmp_path}/old.db" if request.param == "sqlite" else request.getfixturevalue("pg_url"))
    engine = sa.create_engine(url, future=True)
    old = _old_metadata()
    old.create_all(engine)
    with engine.begin() as connection:
        _fill(connection, old)
    engine.dispose()
    monkeypatch.setenv("SCREENING_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _old_metadata() -> sa.MetaData:
    old = sa.MetaData()
    for table in SQLModel.metadata.sorted_tables:
        if table.name != "escalations":
            table.to_metadata(old)
    sa.Table("escalations", old, *(column._copy() for column in Escalation.__table__.columns
                                   if column.name not in NEW_COLUMNS))
    return old


def _fill(connection, old: sa.MetaData) -> None:
    for household in HOUSEHOLDS:
        connection.execute(old.tables["households"].insert().values(**household))
    for number, (household, person, at, temperature, flags, kind, status) in enumerate(OLD, start=1):
        connection.execute(old.tables["screenings"].insert().values(
            id=number, household_id=household, person_index=person, conversation_id=f"c{number}", started_at=at,
            finished_at=at, temperature_c=temperature, symptoms="", red_flags=flags, abnormal=True,
            urgent=bool(flags), channel="voice", outcome="completed", reported_by_contact=person > 0,
            reason=f"temperature {temperature} C >= 37.3 C"))
        connection.execute(old.tables["escalations"].insert().values(
            id=number, household_id=household, screening_id=number, kind=kind, created_at=at, status=status,
            severity="urgent" if kind == "urgent" else "high", detail=f"person {person}: temperature {temperature}",
            assigned_to="maria" if status == "acknowledged" else None))
    for number, said in ((12, "I need food"), (13, "I need medicine")):
        connection.execute(old.tables["escalations"].insert().values(
            id=number, household_id="H4", kind="help_request", severity="high", status="open", created_at=T0,
            detail=f"resident said: {said}"))
    # The supervisors were texted about H2's second urgent escalation: its case is not texted again.
    connection.execute(old.tables["notifications"].insert().values(
        escalation_id=9, phone="+12025550199", status="sent", tries=1, created_at=ROUND_2))
    if connection.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        connection.execute(sa.text("SELECT setval('escalations_id_seq', 13)"))


def upgrade(capsys) -> list[str]:
    assert main(["db", "upgrade"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()


def merge(capsys) -> list[str]:
    assert main(["escalations", "merge"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()


def snapshot(engine) -> list[tuple]:
    with Session(engine) as session:
        return [(e.id, e.kind, e.status, e.merged_into, e.raised_count, e.detail)
                for e in session.exec(select(Escalation).order_by(Escalation.id))]


def test_the_upgrade_brings_an_old_database_to_one_open_case_per_household_and_kind(old_db, capsys):
    assert upgrade(capsys) == OUTPUT
    engine = get_engine(old_db)
    with Session(engine) as session:
        rows = {e.id: e for e in session.exec(select(Escalation))}
    assert sorted(rows) == list(range(1, 14))  # no row lost
    active = {(e.household_id, e.kind): e for e in rows.values() if e.status in ("open", "acknowledged")}
    assert sorted(active) == [("H1", "abnormal"), ("H2", "urgent"), ("H3", "abnormal"), ("H4", "help_request")]
    h1, h2 = active["H1", "abnormal"], active["H2", "urgent"]
    assert (h1.id, h1.status, h1.assigned_to, h1.raised_count) == (1, "acknowledged", "maria", 6)
    assert (h1.created_at, h1.last_raised_at) == (T0, ROUND_2)
    assert h1.detail == "Lena (contact), 38.6 °C; Jun, 38.1 °C; Mei, 37.4 °C"  # each one's latest reading
    assert (h2.id, h2.raised_count) == (7, 3)
    assert h2.detail == "Ben (contact), 38.2 °C, difficulty breathing; member 2, 37.9 °C"
    assert active["H3", "abnormal"].detail == "Cai (contact), 38.0 °C"
    assert active["H4", "help_request"].detail == "resident said: I need food; resident said: I need medicine"
    merged = {e.id: e.merged_into for e in rows.values() if e.merged_into}
    assert merged == {2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 8: 7, 9: 7, 13: 12}
    assert all(rows[i].status == "resolved" and "merged into case" in rows[i].resolution_note for i in merged)
    assert rows[10].status == "resolved" and rows[10].merged_into is None  # resolved stays as it was

    before = snapshot(engine)
    assert merge(capsys) == ["No open duplicates to merge.", "4 open cases in the queue."]
    assert snapshot(engine) == before


def test_after_merge_the_case_is_updated_not_texted_again_and_duplicates_refused(old_db, capsys):
    merge(capsys)
    engine = get_engine(old_db)
    with Session(engine) as session:
        assert alerts.due(session, now=ROUND_2) == []
        session.commit()
        assert [n.escalation_id for n in session.exec(select(Notification))] == [9]
        home = session.get(Household, "H4")
        case = raise_escalation(session, household=home, kind=EscalationKind.help_request,
                                detail="resident said: I need water", at=ROUND_2)
        session.commit()
        assert (case.id, case.raised_count, case.last_raised_at) == (12, 3, ROUND_2)
        session.add(Escalation(household_id="H1", kind="abnormal"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_merge_help_says_the_upgrade_does_it_for_an_older_database(capsys):
    assert main(["escalations", "merge", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "`screening db upgrade` does this merge for a database written by an earlier version" in text
    assert "safe to run again" in text
