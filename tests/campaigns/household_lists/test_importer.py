"""Household import: reading CSV/XLSX files, writing the households table, the CLI command."""
from __future__ import annotations

import csv
import shutil
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.household_lists import importer
from campaigns.cli import main
from campaigns.household_lists.importer import HouseholdFileError, import_households, read_rows
from campaigns.records.models import Household
from campaigns.settings import get_settings

DATA = Path(__file__).resolve().parents[2] / "data" / "households"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
MIXED_REJECTS = [  # (line, household_id, reason) for tests/data/households/mixed.csv
    (3, "R2", "invalid phone number '12345' (region US)"),
    (5, "R3", "unknown timezone 'Mars/Olympus'"),
    (6, "R4", "members 'x' is not a whole number"),
    (7, "R5", "member_names lists 2 names but members is 1"),  # a two-line cell: its first line
    (9, "", "missing household_id"),
    (10, "R1", "household_id R1 repeated in this file"),
    (11, "R7", "phone already used by household R1 earlier in this file"),
    (12, "R8", "missing phone"),
]


def run(engine, path: Path, tmp_path: Path, region: str = "US", **kw) -> importer.ImportReport:
    rejects = kw.pop("rejects_path", tmp_path / "rejects.csv")
    return import_households(engine, path=path, region=region, default_timezone="UTC", rejects_path=rejects, **kw)


def households(engine) -> dict[str, Household]:
    with Session(engine) as session:
        return {h.id: h for h in session.exec(select(Household)).all()}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def read_rejects(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# --- reading files -----------------------------------------------------------------------------

def test_read_rows_lowercases_keys_strips_values_and_passes_extra_columns():
    rows = list(read_rows(DATA / "valid.csv"))
    assert [line for line, _ in rows] == [2, 3, 4]
    assert rows[0][1] == {
        "household_id": "H1", "phone": "(202) 456-1111", "contact_name": "Ann Lee", "members": "2",
        "member_names": "Ann;Bob", "language": "en", "timezone": "America/New_York", "community": "North",
        "pickup": "yes", "says_consent": "yes",
    }
    assert rows[2][1]["pickup"] == ""


def test_read_rows_physical_line_numbers_skip_blank_lines_and_count_multiline_cells():
    lines = [(line, row["household_id"]) for line, row in read_rows(DATA / "mixed.csv")]
    assert lines[:5] == [(2, "R1"), (3, "R2"), (5, "R3"), (6, "R4"), (7, "R5")]
    assert lines[-1] == (13, "R9")


def test_read_rows_utf8_bom_header():
    assert list(read_rows(DATA / "bom.csv")) == [
        (2, {"household_id": "B1", "phone": "(202) 456-1111", "contact_name": "Zoë"})]


def test_read_rows_semicolon_separated_csv():
    assert list(read_rows(DATA / "semicolon.csv")) == [
        (2, {"household_id": "S1", "phone": "(202) 456-1111", "member_names": "Ann;Bob", "members": "2"})]


def test_read_rows_xlsx_numbers_as_text_and_row_numbers(tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", [
        ["Household_ID ", "Phone", "Members", "says_symptoms"],
        ["X1", 2024561111, 2.0, "cough"],
        [None, None, None, None],
        ["X2", "+86 138 0013 8000", 1, None],
    ])
    assert list(read_rows(path)) == [
        (2, {"household_id": "X1", "phone": "2024561111", "members": "2", "says_symptoms": "cough"}),
        (4, {"household_id": "X2", "phone": "+86 138 0013 8000", "members": "1", "says_symptoms": ""}),
    ]


@pytest.mark.parametrize("name, message", [
    ("missing_phone_column.csv", "missing required column phone (found: household_id, telephone, contact_name)"),
    ("empty.csv", "the file is empty; the first line must name the columns"),
    ("latin1.csv", "line 3: not UTF-8 text (byte b'\\xe9'); save the file as CSV UTF-8"),
], ids=["missing-column", "empty", "not-utf8"])
def test_read_rows_unreadable_file_precise_message(name, message):
    with pytest.raises(HouseholdFileError) as error:
        read_rows(DATA / name)
    assert str(error.value) == f"{DATA / name}: {message}"


def test_read_rows_missing_path_directory_and_unknown_type(tmp_path):
    (tmp_path / "list.txt").write_text("household_id,phone\n")
    cases = {tmp_path / "nope.csv": "no such file", tmp_path: "not a file",
             tmp_path / "list.txt": "unsupported file type '.txt'; use .csv or .xlsx"}
    for path, message in cases.items():
        with pytest.raises(HouseholdFileError) as error:
            read_rows(path)
        assert str(error.value) == f"{path}: {message}"


def test_read_rows_damaged_xlsx_and_nul_bytes(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("household_id,phone\n")
    with pytest.raises(HouseholdFileError, match=r"fake.xlsx: not a readable XLSX workbook \(BadZipFile"):
        read_rows(fake)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"household_id,phone\nH1,\x00\x01\n")
    with pytest.raises(HouseholdFileError, match=r"binary.csv: line 2: a NUL byte; this is not a CSV text file"):
        read_rows(binary)


def test_read_rows_open_quote_names_the_line_it_starts_on(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('household_id,phone\nH1,(202) 456-1111\nH2,"(202) 456-1112\n' + "H3,x\n" * 30000)
    rows = read_rows(path)
    assert next(rows) == (2, {"household_id": "H1", "phone": "(202) 456-1111"})
    with pytest.raises(HouseholdFileError) as error:
        next(rows)
    assert str(error.value) == (
        f"{path}: line 3: field larger than field limit (131072) (is a quote left open?)")


def test_read_rows_xlsx_missing_required_columns(tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", [["name", "members"], ["Ann", 2]])
    with pytest.raises(HouseholdFileError, match="missing required columns household_id, phone"):
        read_rows(path)


# --- writing the database ----------------------------------------------------------------------

def test_import_households_creates_rows_with_defaults(db, tmp_path):
    report = run(db, DATA / "valid.csv", tmp_path)
    assert (report.created, report.updated, report.rejected) == (3, 0, 0)
    assert report.ignored_columns == ["pickup", "says_consent"]
    rows = households(db)
    assert sorted(rows) == ["H1", "H2", "H3"]
    h1, h3 = rows["H1"], rows["H3"]
    assert (h1.phone, h1.contact_name, h1.members, h1.member_names, h1.timezone, h1.community) == (
        "+12024561111", "Ann Lee", 2, "Ann;Bob", "America/New_York", "North")
    assert rows["H2"].phone == "+8613800138000"
    assert (h3.contact_name, h3.members, h3.language, h3.timezone, h3.community, h3.walk_in) == (
        None, 1, "en", "UTC", None, False)
    assert h1.created_at.tzinfo is timezone.utc and h1.created_at == h1.updated_at
    assert not (tmp_path / "rejects.csv").exists()


def test_import_households_reimport_updates_and_keeps_flags(db, tmp_path):
    with Session(db) as session:
        session.add(Household(id="H1", phone="+12024569999", contact_name="Old", walk_in=True,
                              opted_out_at=T0, wrong_number_at=T0, created_at=T0, updated_at=T0))
        session.commit()
    report = run(db, DATA / "valid.csv", tmp_path)
    assert (report.created, report.updated) == (2, 1)
    again = run(db, DATA / "valid.csv", tmp_path)
    assert (again.created, again.updated, again.rejected) == (0, 3, 0)
    h1 = households(db)["H1"]
    assert (h1.phone, h1.contact_name, h1.members) == ("+12024561111", "Ann Lee", 2)
    assert (h1.walk_in, h1.opted_out_at, h1.wrong_number_at, h1.created_at) == (True, T0, T0, T0)
    assert h1.updated_at > T0


def test_import_households_phone_held_by_another_household_in_database(db, tmp_path):
    with Session(db) as session:
        session.add(Household(id="OLD", phone="+12024561111"))
        session.commit()
    report = run(db, DATA / "valid.csv", tmp_path)
    assert (report.created, report.rejected) == (2, 1)
    assert (report.rejects[0].line, report.rejects[0].reason) == (
        2, "phone already used by household OLD in the database")
    assert households(db)["OLD"].phone == "+12024561111"
    assert "H1" not in households(db)


def test_import_households_swap_phone_when_holder_moves_first(db, tmp_path):
    with Session(db) as session:
        session.add(Household(id="A", phone="+12024561111"))
        session.commit()
    path = write_csv(tmp_path / "move.csv", [["household_id", "phone"], ["A", "(202) 456-2222"],
                                             ["B", "(202) 456-1111"]])
    report = run(db, path, tmp_path)
    assert (report.created, report.updated, report.rejected) == (1, 1, 0)
    assert {h.id: h.phone for h in households(db).values()} == {"A": "+12024562222", "B": "+12024561111"}


def test_import_households_rejects_file_has_original_columns_line_and_reason(db, tmp_path):
    report = run(db, DATA / "mixed.csv", tmp_path)
    assert (report.created, report.updated, report.rejected) == (2, 0, 8)
    assert [(r.line, r.household_id, r.reason) for r in report.rejects] == MIXED_REJECTS
    rows = read_rejects(tmp_path / "rejects.csv")
    assert rows[0] == ["household_id", "phone", "contact_name", "members", "member_names", "timezone",
                       "notes", "line", "reason"]
    assert [(int(r[-2]), r[0], r[-1]) for r in rows[1:]] == MIXED_REJECTS
    assert rows[4][:7] == ["R5", "(202) 456-1115", "Too\nMany Names", "1", "A;B", "", "two-line cell"]
    assert sorted(households(db)) == ["R1", "R9"]


def test_import_households_duplicates_across_chunks_and_commits(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    monkeypatch.setattr(importer, "COMMIT_ROWS", 3)
    report = run(db, DATA / "mixed.csv", tmp_path)
    assert [(r.line, r.household_id, r.reason) for r in report.rejects] == MIXED_REJECTS
    assert sorted(households(db)) == ["R1", "R9"]


def test_import_households_report_keeps_first_rejects_counts_all(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "KEPT_REJECTS", 3)
    report = run(db, DATA / "mixed.csv", tmp_path)
    assert report.rejected == 8
    assert [r.line for r in report.rejects] == [3, 5, 6]
    assert len(read_rejects(tmp_path / "rejects.csv")) == 9


def test_import_households_xlsx(db, tmp_path):
    path = write_xlsx(tmp_path / "list.xlsx", [
        ["household_id", "phone", "members", "timezone"],
        ["X1", 2024561111, 2, "asia/shanghai"],
        ["X2", "12345", 1, None],
        [],
        ["X3", "(202) 456-1113", 51, None],
    ])
    report = run(db, path, tmp_path)
    assert (report.created, report.rejected) == (1, 2)
    assert [(r.line, r.reason) for r in report.rejects] == [
        (3, "invalid phone number '12345' (region US)"), (5, "members 51 is not between 1 and 50")]
    x1 = households(db)["X1"]
    assert (x1.phone, x1.members, x1.timezone) == ("+12024561111", 2, "Asia/Shanghai")


@pytest.mark.parametrize("name", ["missing_phone_column.csv", "empty.csv", "latin1.csv"])
def test_import_households_unreadable_file_imports_nothing(db, tmp_path, name):
    with pytest.raises(HouseholdFileError):
        run(db, DATA / name, tmp_path)
    assert households(db) == {}
    assert not list(tmp_path.glob("rejects.csv*"))


def test_import_households_removes_stale_rejects_file(db, tmp_path):
    stale = tmp_path / "rejects.csv"
    stale.write_text("old\n")
    run(db, DATA / "valid.csv", tmp_path)
    assert not stale.exists()
    assert not (tmp_path / "rejects.csv.tmp").exists()


def test_import_households_rejects_file_must_not_be_the_input(db, tmp_path):
    path = shutil.copy(DATA / "mixed.csv", tmp_path / "mixed.csv")
    with pytest.raises(HouseholdFileError, match="the rejects file must not be the file being imported"):
        run(db, Path(path), tmp_path, rejects_path=Path(path))
    assert Path(path).read_bytes() == (DATA / "mixed.csv").read_bytes()


def test_import_households_crash_keeps_committed_batches_and_rerun_is_idempotent(db, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "many.csv", [["household_id", "phone"]] +
                     [[f"H{n}", f"(202) 456-{1000 + n}"] for n in range(10)])
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    monkeypatch.setattr(importer, "COMMIT_ROWS", 4)
    real_upsert, calls = importer._Writer._upsert, []

    def failing(self, rows):
        calls.append(len(rows))
        if len(calls) == 4:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        real_upsert(self, rows)

    monkeypatch.setattr(importer._Writer, "_upsert", failing)
    with pytest.raises(sa.exc.OperationalError):
        run(db, path, tmp_path)
    assert sorted(households(db)) == ["H0", "H1", "H2", "H3"]  # the first commit, not the chunk after it
    monkeypatch.setattr(importer._Writer, "_upsert", real_upsert)
    report = run(db, path, tmp_path)
    assert (report.created, report.updated, report.rejected) == (6, 4, 0)
    assert len(households(db)) == 10


def test_import_households_worker_processes_give_same_result(db, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 3)
    assert importer._workers(DATA / "mixed.csv") >= 1
    report = run(db, DATA / "mixed.csv", tmp_path)
    assert [(r.line, r.household_id, r.reason) for r in report.rejects] == MIXED_REJECTS
    assert (report.created, report.rejected) == (2, 8)
    assert sorted(households(db)) == ["R1", "R9"]


def test_import_households_on_postgres(pg_db, tmp_path):
    with Session(pg_db) as session:
        session.add(Household(id="H3", phone="+12024569999", opted_out_at=T0, created_at=T0))
        session.add(Household(id="OLD", phone="+8613800138000"))
        session.commit()
    report = run(pg_db, DATA / "valid.csv", tmp_path)
    assert (report.created, report.updated, report.rejected) == (1, 1, 1)
    assert report.rejects[0].reason == "phone already used by household OLD in the database"
    rows = households(pg_db)
    assert (rows["H3"].phone, rows["H3"].opted_out_at, rows["H3"].created_at) == ("+12024561113", T0, T0)
    assert (rows["H1"].member_names, rows["H1"].created_at.tzinfo) == ("Ann;Bob", timezone.utc)


# --- the CLI -----------------------------------------------------------------------------------

def test_cli_import_success_exit_0_and_summary(db, tmp_path, capsys):
    path = shutil.copy(DATA / "valid.csv", tmp_path / "valid.csv")
    assert main(["households", "import", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == "imported 3 new, updated 0, rejected 0"
    assert err.strip() == "ignored unknown columns: pickup, says_consent"
    assert sorted(households(db)) == ["H1", "H2", "H3"]
    assert not (tmp_path / "valid.rejects.csv").exists()


def test_cli_import_rejects_exit_1_lists_lines_and_writes_default_rejects_file(db, tmp_path, capsys):
    path = shutil.copy(DATA / "mixed.csv", tmp_path / "mixed.csv")
    assert main(["households", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == ["ignored unknown columns: notes"] + [
        f"line {line}{f' ({hid})' if hid else ''}: {reason}" for line, hid, reason in MIXED_REJECTS]
    rejects = tmp_path / "mixed.rejects.csv"
    assert out.strip() == f"imported 2 new, updated 0, rejected 8 (8 rows written to {rejects})"
    assert len(read_rejects(rejects)) == 9
    assert sorted(households(db)) == ["R1", "R9"]


def test_cli_import_shows_first_20_rejects_then_count(db, tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", [["household_id", "phone"]] + [[f"B{n}", "1"] for n in range(25)])
    out_file = tmp_path / "out" / "bad-rows.csv"
    out_file.parent.mkdir()
    assert main(["households", "import", str(path), "--rejects", str(out_file)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 21
    assert err[0] == "line 2 (B0): invalid phone number '1' (region US)"
    assert err[-1] == "... and 5 more"
    assert len(read_rejects(out_file)) == 26


def test_cli_import_region_and_default_timezone_from_options_and_settings(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCREENING_DEFAULT_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    path = write_csv(tmp_path / "cn.csv", [["household_id", "phone"], ["C1", "138 0013 8000"]])
    assert main(["households", "import", str(path), "--region", "cn"]) == 0
    c1 = households(db)["C1"]
    assert (c1.phone, c1.timezone) == ("+8613800138000", "Asia/Shanghai")


@pytest.mark.parametrize("target, message", [
    ("nope.csv", "nope.csv: no such file"),
    (".", ": not a file"),
    ("latin1.csv", "latin1.csv: line 3: not UTF-8 text"),
    ("missing_phone_column.csv", "missing_phone_column.csv: missing required column phone"),
], ids=["missing", "directory", "not-utf8", "missing-column"])
def test_cli_import_unreadable_file_exit_1_without_traceback(db, tmp_path, capsys, target, message):
    assert main(["households", "import", str(DATA / target)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("screening: ") and message in err
    assert "Traceback" not in err and out == ""
    assert households(db) == {}
    assert not list(DATA.glob("*.rejects.csv*"))


def test_cli_import_unknown_region_exit_1_before_reading(db, tmp_path, capsys):
    path = shutil.copy(DATA / "valid.csv", tmp_path / "valid.csv")
    assert main(["households", "import", str(path), "--region", "xx"]) == 1
    assert capsys.readouterr().err.strip() == (
        "screening: unknown region 'XX' for phone numbers; use a country code such as US or CN")
    assert households(db) == {}
