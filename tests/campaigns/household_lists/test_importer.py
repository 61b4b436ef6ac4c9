"""Household import: reading CSV/XLSX files, writing the households table, the CLI command."""
from __future__ import annotations

import csv
import re
import shutil
import tracemalloc
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


def test_read_rows_open_quote_costs_one_row_and_reading_goes_on(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('household_id,phone\nH1,(202) 456-1111\nH2,"(202) 456-1112\n' + "H3,x\n" * 30000)
    rows = read_rows(path)
    assert next(rows) == (2, {"household_id": "H1", "phone": "(202) 456-1111"})
    line, row = next(rows)  # the open quote swallowed lines up to the row cap; those lines are skipped
    assert 20_000 < line < 30_003 and row == {"household_id": "H3", "phone": "x"}
    assert sum(1 for _ in rows) == 30_003 - line  # every line after it is read again


def test_import_open_quote_rejects_the_lines_it_swallowed_by_number_and_imports_the_rest(db, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('household_id,phone\nH1,(202) 456-1111\nH2,"(202) 456-1112\n' +
                    "".join(f"K{n},(202) 456-{2000 + n}\n" for n in range(8000)))  # lines 4-8003
    report = run(db, path, tmp_path)
    (reject,) = report.rejects
    found = re.fullmatch(r"lines 3-(\d+) are one row longer than 100,000 characters, the most a row may hold: "
                         r"a huge cell, or a quote left open\?", reject.reason)
    assert reject.line == 3 and found, reject.reason
    last = int(found.group(1))
    assert 4_000 < last < 8_003 and report.created == 1 + 8_003 - last  # H1, then every row after the swallow


# --- one huge field: one rejected row, flat memory -------------------------------------------------

def write_with_huge_line(path: Path, huge: str, newline: str = "\n") -> Path:
    """Good rows G1, G2 (lines 2-3), the huge line (4), good rows G3, G4 (5-6); streamed to disk."""
    good = lambda n: f"G{n},(202) 456-{1000 + n},Name {n}{newline}"  # noqa: E731
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(f"household_id,phone,contact_name{newline}{good(1)}{good(2)}")
        handle.write("H,(202) 456-1999,")
        for start in range(0, len(huge), 1 << 20):
            handle.write(huge[start:start + (1 << 20)])
        handle.write(f"{newline}{good(3)}{good(4)}")
    return path


@pytest.mark.parametrize("workers", [True, False], ids=["worker-processes", "in-process"])
@pytest.mark.parametrize("quoted", [False, True], ids=["bare", "quoted"])
def test_import_huge_field_rejects_its_row_and_imports_the_rest_in_flat_memory(db, tmp_path, monkeypatch, workers,
                                                                                quoted):
    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0 if workers else 10**12)
    field = "A" * 50_000_000
    path = write_with_huge_line(tmp_path / "huge.csv", f'"{field}"' if quoted else field)
    del field
    tracemalloc.start()
    try:
        report = run(db, path, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (report.created, report.rejected) == (4, 1)
    assert [(r.line, r.reason) for r in report.rejects] == [
        (4, "row longer than 100,000 characters, the most a row may hold")]
    assert sorted(households(db)) == ["G1", "G2", "G3", "G4"]
    assert read_rejects(tmp_path / "rejects.csv") == [
        ["household_id", "phone", "contact_name", "line", "reason"],
        ["", "", "", "4", "row longer than 100,000 characters, the most a row may hold"]]
    # Reading the line whole would take 50 MB; a bounded piece of it about 0.4 MB.
    assert peak < 10_000_000, f"peak {peak / 1e6:.1f} MB: the long line was held in memory"


@pytest.mark.parametrize("content", [100_000, 100_000 + 65_536, 100_123], ids=["crlf-at-cap", "crlf-at-piece", "other"])
def test_import_long_crlf_line_keeps_later_line_numbers(db, tmp_path, content):
    # At these lengths the row cap or a skipped piece ends between the "\r" and the "\n" of a CRLF.
    huge = "B" * (content - len("H,(202) 456-1999,"))
    path = write_with_huge_line(tmp_path / "crlf.csv", huge, newline="\r\n")
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("G2,(202) 456-1002\r\n")  # line 7: a repeat, so its line number shows in the rejects
    report = run(db, path, tmp_path)
    assert [(r.line, r.household_id) for r in report.rejects] == [(4, ""), (7, "G2")]
    assert sorted(households(db)) == ["G1", "G2", "G3", "G4"]


def test_import_field_over_1000_characters_is_rejected_by_name_and_the_rest_imported(db, tmp_path):
    path = write_csv(tmp_path / "long.csv", [
        ["household_id", "phone", "contact_name", "remarks"],
        ["L1", "(202) 456-1001", "N" * 1001, ""],
        ["L2", "(202) 456-1002", "Ann", "n" * 50_000],  # an unknown column is only bounded by the row cap
        ["L3", "(202) 456-1003", "N" * 1000, ""],
    ])
    report = run(db, path, tmp_path)
    assert [(r.line, r.household_id, r.reason) for r in report.rejects] == [
        (2, "L1", "contact_name longer than 1,000 characters")]
    assert sorted(households(db)) == ["L2", "L3"]
    assert read_rejects(tmp_path / "rejects.csv")[1][2] == "N" * 1001  # the row as it was, to be corrected


def test_read_rows_header_over_the_row_cap_is_a_file_error(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("household_id,phone," + "x" * 100_000 + "\nH1,(202) 456-1111\n")
    with pytest.raises(HouseholdFileError) as error:
        read_rows(path)
    assert str(error.value) == f"{path}: line 1: the header is longer than 100,000 characters"


def test_cli_import_shortens_an_overlong_household_id_in_its_message(db, tmp_path, capsys):
    path = write_csv(tmp_path / "id.csv", [["household_id", "phone"], ["I" * 5000, "(202) 456-1111"]])
    assert main(["households", "import", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"line 2 ({'I' * 64}…): household_id longer than 64 characters"]


def test_cli_import_huge_field_lists_the_line_and_exits_1(db, tmp_path, capsys):
    path = write_with_huge_line(tmp_path / "huge.csv", "C" * 1_000_000)
    assert main(["households", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "line 4: row longer than 100,000 characters, the most a row may hold",
        "warning: 4 rows without a timezone: UTC (the default) used (lines 2, 3, 5, 6)",
        "warning: 4 rows with a phone number without +country code: read in region US (lines 2, 3, 5, 6)"]
    assert out.strip().startswith("imported 4 new, updated 0, rejected 1")


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
    # No language: the campaign's, at call time (kept empty, not written as "en")
    assert (h3.contact_name, h3.members, h3.language, h3.timezone, h3.community, h3.walk_in) == (
        None, 1, "", "UTC", None, False)
    assert (rows["H1"].language, rows["H2"].language) == ("en", "zh")
    assert (report.defaulted, report.defaulted_lines) == ({"timezone": 1, "region": 2}, {"timezone": [4], "region": [2, 4]})
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
                       "remarks", "line", "reason"]
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
    assert err.strip().splitlines() == [
        "ignored unknown columns: pickup, says_consent",
        "warning: 1 row without a timezone: UTC (the default) used (line 4)",
        "warning: 2 rows with a phone number without +country code: read in region US (lines 2, 4)"]
    assert sorted(households(db)) == ["H1", "H2", "H3"]
    assert not (tmp_path / "valid.rejects.csv").exists()


def test_cli_import_rejects_exit_1_lists_lines_and_writes_default_rejects_file(db, tmp_path, capsys):
    path = shutil.copy(DATA / "mixed.csv", tmp_path / "mixed.csv")
    assert main(["households", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == ["ignored unknown columns: remarks"] + [
        f"line {line}{f' ({hid})' if hid else ''}: {reason}" for line, hid, reason in MIXED_REJECTS] + [
        "warning: 2 rows without a timezone: UTC (the default) used (lines 2, 13)",
        "warning: 2 rows with a phone number without +country code: read in region US (lines 2, 13)"]
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
