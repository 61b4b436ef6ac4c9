"""`screening report daily|field-visits|follow-ups`, office times on `campaign status`, and the
household list's address and notes columns on `screening households import`."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlmodel import Session

from campaigns.cli import main
from campaigns.records.models import Attempt, Campaign, Escalation, Household, Screening
from campaigns.settings import get_settings
from tests.campaigns.engine_helpers import add, household, utc

DAY = date(2024, 3, 5)


@pytest.fixture
def office(monkeypatch):
    monkeypatch.setenv("SCREENING_OFFICE_TIMEZONE", "Asia/Kolkata")  # UTC+5:30
    get_settings.cache_clear()


@pytest.fixture
def called(db):
    add(db, Campaign(id="c1", spec_json="{}"),
        household("N1", "+14155550101", community="North", contact_name="Ana", address="2 Hill Rd"),
        household("N2", "+14155550102", community="North"), household("S1", "+14155550103", community="South"))
    at = utc(2024, 3, 5, 9)
    add(db, *(Attempt(campaign_id="c1", household_id=h, day=DAY, round_no=1, due_at=at, placed_at=at, status=status,
                      conversation_id=h) for h, status in (("N1", "no_answer"), ("N2", "completed"),
                                                           ("S1", "completed"))))
    add(db, Screening(household_id="N2", conversation_id="N2", started_at=at, finished_at=at, temperature_c=39.0,
                      abnormal=True),
        Escalation(household_id="N2", kind="abnormal", severity="high", created_at=at, people=json.dumps(
            [{"index": 0, "temperature_c": 39.0, "symptoms": ["cough"], "red_flags": []}])))
    return db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_daily_prints_each_community_and_the_sum(called, capsys):
    code, out, err = run(capsys, "report", "daily", "--day", "2024-03-05", "--campaign", "c1")
    assert (code, err) == (0, "")
    assert [line.split() for line in out.splitlines()] == [
        ["2024-03-05,", "campaign", "c1"],
        ["community", "targeted", "reached", "unreach.", "opted", "out", "screened", "abnormal", "urgent", "help"],
        ["North", "2", "1", "1", "0", "1", "1", "0", "0"],
        ["South", "1", "1", "0", "0", "0", "0", "0", "0"],
        ["(all", "communities)", "3", "2", "1", "0", "1", "1", "0", "0"]]


def test_report_daily_csv_is_the_consoles(called, capsys):
    code, out, _ = run(capsys, "report", "daily", "--day", "2024-03-05", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][:4] == ["day", "campaign", "community", "households_targeted"]
    assert rows[1:] == [["2024-03-05", "", "North", "2", "1", "1", "0", "1", "1", "0", "0"],
                        ["2024-03-05", "", "South", "1", "1", "0", "0", "0", "0", "0", "0"],
                        ["2024-03-05", "", "(all communities)", "3", "2", "1", "0", "1", "1", "0", "0"]]


def test_report_daily_refuses_an_unknown_campaign_or_a_bad_day(called, capsys):
    assert run(capsys, "report", "daily", "--day", "2024-03-05", "--campaign", "nope") == (
        1, "", "screening: no campaign named 'nope'\n")
    code, out, err = run(capsys, "report", "daily", "--day", "5 March")
    assert (code, out) == (2, "") and "'5 March' is not a date; use YYYY-MM-DD" in err


def test_report_lists_as_pdfs_in_office_time(called, office, tmp_path, capsys):
    visits, follow = tmp_path / "visits.pdf", tmp_path / "follow.pdf"
    code, out, _ = run(capsys, "report", "field-visits", "--day", "2024-03-05", "--out", str(visits))
    assert code == 0 and out.startswith(f"wrote {visits} (")
    text = " ".join("".join(p.extract_text() for p in PdfReader(visits).pages).split())
    assert "N1" in text and "2 Hill Rd" in text and "14:30 no answer (voice)" in text and "N2" not in text
    assert run(capsys, "report", "follow-ups", "--community", "North", "--out", str(follow))[0] == 0
    text = " ".join("".join(p.extract_text() for p in PdfReader(follow).pages).split())
    assert "contact: 39.0 °C, cough" in text and "2024-03-05 14:30" in text and not list(tmp_path.glob("*.tmp"))


def test_report_pdf_to_a_folder_that_is_missing_fails_with_the_reason(called, tmp_path, capsys):
    code, out, err = run(capsys, "report", "follow-ups", "--out", str(tmp_path / "no" / "list.pdf"))
    assert (code, out) == (1, "") and err.startswith(f"screening: cannot write {tmp_path / 'no' / 'list.pdf'}: ")


def test_campaign_status_shows_attempts_and_reasons_in_office_time(called, office, capsys):
    with Session(called) as session:
        session.get(Household, "N1").opted_out_at = utc(2024, 3, 5, 20)
        session.commit()
    code, out, _ = run(capsys, "campaign", "status", "--household", "N1")
    assert (code, out.splitlines()[1:]) == (0, [
        "  not contacted: opted out on 2024-03-06 01:30 IST: never contacted again",
        "  c1 2024-03-05 round 1 try 1 (round, voice) 2024-03-05 14:30:00 IST no_answer"])


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_households_import_reads_address_and_notes_and_keeps_them_when_a_list_lacks_them(db, tmp_path, capsys):
    first = write(tmp_path / "a.csv", "household_id,phone,address,notes\nH1,+14155550101,2 Hill Rd,blue door\n"
                                      "H2,+14155550102,,\n")
    assert main(["households", "import", str(first)]) == 0
    again = write(tmp_path / "b.csv", "household_id,phone,contact_name\nH1,+14155550101,Ana\n")
    assert main(["households", "import", str(again)]) == 0
    cleared = write(tmp_path / "c.csv", "household_id,phone,notes\nH1,+14155550101,\n")
    assert main(["households", "import", str(cleared)]) == 0
    with Session(db) as session:
        h1, h2 = session.get(Household, "H1"), session.get(Household, "H2")
        assert (h1.contact_name, h1.address, h1.notes) == (None, "2 Hill Rd", None)
        assert (h2.address, h2.notes) == (None, None)
    assert "ignored" not in capsys.readouterr().out


def test_households_import_upgrades_an_older_database(db, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:  # the households table of the first release
        connection.execute(sa.text(
            "CREATE TABLE households (id VARCHAR(64) PRIMARY KEY, phone VARCHAR(20) UNIQUE, contact_name VARCHAR, "
            "members INTEGER NOT NULL, member_names VARCHAR, language VARCHAR NOT NULL, timezone VARCHAR NOT NULL, "
            "community VARCHAR, walk_in BOOLEAN NOT NULL, opted_out_at DATETIME, wrong_number_at DATETIME, "
            "created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)"))
    monkeypatch.setenv("SCREENING_DATABASE_URL", url)
    get_settings.cache_clear()
    path = write(tmp_path / "a.csv", "household_id,phone,address\nH1,+14155550101,2 Hill Rd\n")
    assert main(["households", "import", str(path)]) == 0
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT id, address, notes FROM households")).all() == [
            ("H1", "2 Hill Rd", None)]
