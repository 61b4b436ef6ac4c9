"""Console exports of hostile stored text: CSV, API CSV and XLSX complete, agree, and run no formula."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from campaigns.console import exports
from campaigns.records import export
from campaigns.records.models import Household, Screening
from tests.campaigns.console.conftest import api_token
from tests.campaigns.records.test_export import (
    KNOWN_ATTACKS, SCREENING_TEXT, STORED, TEXT, assert_safe_cell, store_everywhere,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
NUMBERS = (2, 5, 6)  # person, finished_at, temperature_c: typed cells in XLSX; every other column is text
TEXT_COLUMNS = [i for i in range(len(export.EXPORT_HEADER)) if i not in NUMBERS]


def _cli_csv(engine) -> str:
    out = io.StringIO()
    with Session(engine) as session:
        export.export_screenings(session, out=out)
    return out.getvalue()


def _xlsx_rows(data: bytes) -> list[tuple]:
    """The first sheet's data rows, each cell as (value, data_type)."""
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple((cell.value, cell.data_type) for cell in row) for row in sheet.iter_rows(min_row=2)]


@pytest.fixture
def hostile(db):
    """A household whose id is a formula, and an answer with a NUL and characters XML refuses."""
    with Session(db) as session:
        session.add(Household(id="=1+1", phone="+14155550101", community="@North"))
        session.add(Screening(household_id="=1+1", conversation_id="c1", started_at=T0, finished_at=T0,
                              temperature_said="thirty\x00 eight\ufffe", reason="\x01=HYPERLINK(\"x\")",
                              symptoms="#N/A", outcome="completed"))
        session.commit()
    return db


@pytest.mark.parametrize("path, mark", [("/results/export.csv", "\ufeff"), ("/api/v1/results.csv", "")])
def test_console_csv_with_a_nul_is_whole_and_equals_screening_export(client, hostile, path, mark):
    response = client.get(path, headers={"Authorization": f"Bearer {api_token(hostile, 'operator')}"})
    assert response.status_code == 200
    assert response.content.decode("utf-8") == mark + _cli_csv(hostile)  # the page's download has the mark
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["household_id"], r["temperature_said"], r["reason"]) for r in rows] == [
        ("'=1+1", "thirty eight", "'=HYPERLINK(\"x\")")]


def test_console_xlsx_with_illegal_characters_has_only_string_cells(client, hostile):
    response = client.get("/results/export.xlsx", headers={"Authorization": f"Bearer {api_token(hostile, 'operator')}"})
    assert response.status_code == 200
    (row,) = _xlsx_rows(response.content)
    texts = {export.EXPORT_HEADER[i]: row[i] for i in TEXT_COLUMNS if row[i][0] is not None}
    assert texts == {
        "household_id": ("'=1+1", "s"), "phone": ("+14155550101", "s"), "channel": ("chat", "s"),
        "temperature_said": ("thirty eight", "s"), "symptoms": ("#N/A", "s"),  # text, not Excel's error value
        "abnormal": ("false", "s"), "reason": ("'=HYPERLINK(\"x\")", "s"), "outcome": ("completed", "s"),
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.fixed_dictionaries({name: TEXT for name in STORED}))
@example(text={**KNOWN_ATTACKS, "said": "x\ufffe", "symptoms": "\x01=1+1"})  # what XLSX alone refused
def test_console_exports_of_any_stored_text_complete_and_agree(db, text):
    store_everywhere(db, text)
    filters = exports.ResultFilters()
    with Session(db) as session:
        streamed = b"".join(exports.stream_csv(session, filters=filters, bom=False)).decode("utf-8")
        book = io.BytesIO()
        assert exports.write_xlsx(session, filters=filters, out=book) == 1
    assert streamed == _cli_csv(db)
    (line,) = list(csv.reader(io.StringIO(streamed)))[1:]
    (row,) = _xlsx_rows(book.getvalue())
    for i in TEXT_COLUMNS:  # every text cell is a string cell, by the same rule as the CSV's
        value, kind = row[i]
        assert (value or "", kind if value is not None else "s") == (line[i], "s")
    for column, stored in SCREENING_TEXT.items():
        codes = column in ("symptoms", "red_flags")  # stored "" is the answer "none"
        value, _ = row[export.EXPORT_HEADER.index(column)]
        assert_safe_cell(value or "", (text[stored] or "none") if codes else text[stored])


OPTIONAL_TEXT = st.one_of(st.none(), TEXT)
FLAG = st.sampled_from([None, True, False, 0, 1])  # SQLAlchemy's booleans, or SQLite's own integers
WHEN = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(timezone.utc))
ROW = st.tuples(TEXT, OPTIONAL_TEXT, st.integers(0, 99), OPTIONAL_TEXT, TEXT, WHEN,
                st.one_of(st.none(), st.floats(30, 45)), OPTIONAL_TEXT, FLAG, OPTIONAL_TEXT, OPTIONAL_TEXT, FLAG,
                OPTIONAL_TEXT, TEXT, OPTIONAL_TEXT)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=6))
def test_console_cells_equal_the_cells_of_the_rule_as_sqlite_or_postgresql_gives_them(rows):
    """The console's fast cells (remembered per value, over the driver's own tuples) are, for CSV,
    export.screening_cells' and, for XLSX, the CSV's with the numbers and time typed, each cell as
    records.xlsx types a value: from SQLAlchemy's rows and from SQLite's stored text alike."""
    from sqlalchemy.dialects import sqlite

    from campaigns.records import xlsx

    stored = exports._stored_datetime(sqlite.dialect())  # SQLite's driver gives the stored text
    as_sqlite = [(*row[:5], f"{row[5]:%Y-%m-%d %H:%M:%S.%f}", *row[6:]) for row in rows]
    for given_rows, finished in ((rows, exports._same), (as_sqlite, stored)):
        csv_cells, xlsx_cells = exports._csv_cells(finished), exports._xlsx_cells(finished)
        for _ in range(2):  # the second time from what was remembered
            for row, original in zip(given_rows, rows):
                cells = export.screening_cells(original)
                assert csv_cells(row) == cells
                cells[2], cells[5], cells[6] = original[2], original[5], original[6]
                assert xlsx_cells(row) == xlsx.cells_xml(cells, {})
