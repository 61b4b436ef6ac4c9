"""The streamed XLSX writer: a valid zip that openpyxl reads back cell for cell, typed, split into
sheets at the row limit, and streamed: its first bytes leave before the rows are all read."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.records import export, xlsx

MODIFIED = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)
HEADER = ("name", "count", "temperature", "at", "said")


def _book(rows, **options) -> bytes:
    return b"".join(xlsx.stream_workbook(rows, header=HEADER, title="results", modified=MODIFIED, **options))


def _cells(data: bytes) -> list[list[tuple]]:
    """Every sheet's rows, each cell as (value, data_type)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [[tuple((c.value, c.data_type) for c in row) for row in sheet.iter_rows()] for sheet in book.worksheets]


def test_cells_come_back_exactly_with_their_types():
    at = datetime(2024, 3, 1, 9, 30, 15)
    data = _book([
        ("H-1", 0, 36.8, at, "thirty six eight"),
        ("=1+1", 12, 38.0, datetime(2024, 3, 1, 17, 30, 15, tzinfo=timezone.utc), "#N/A"),
        (" a<b>&c\r\n", None, None, None, ""),
    ])
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    (sheet,) = _cells(data)
    assert sheet == [
        tuple((name, "s") for name in HEADER),
        (("H-1", "s"), (0, "n"), (36.8, "n"), (at, "d"), ("thirty six eight", "s")),
        # Text is never a formula nor an error value; an aware time is written as its UTC time.
        (("=1+1", "s"), (12, "n"), (38.0, "n"), (datetime(2024, 3, 1, 17, 30, 15), "d"), ("#N/A", "s")),
        # Blanks at the ends, markup characters and a carriage return survive; "" and None are empty.
        ((" a<b>&c\r\n", "s"), (None, "n"), (None, "n"), (None, "n"), (None, "n")),
    ]
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.worksheets[0]["D2"].number_format == "yyyy-mm-dd hh:mm:ss"
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    # Excel trims blanks at a text's ends unless told to keep them; openpyxl does not, so look at the XML.
    assert '<t xml:space="preserve"> a&lt;b&gt;&amp;c&#13;\n</t>' in sheet_xml and "<f>" not in sheet_xml


@pytest.mark.parametrize("count, sheets", [(7, [3, 3, 1]), (6, [3, 3]), (1, [1]), (0, [0])])
def test_a_new_sheet_starts_at_the_row_limit_with_the_header(count, sheets):
    data = _book([(f"H-{n}", n, None, None, None) for n in range(count)], sheet_rows=4)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["results"] + [f"results {n}" for n in range(2, len(sheets) + 1)]
    found = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert [len(rows) - 1 for rows in found] == sheets
    assert all(rows[0] == HEADER for rows in found)
    assert [row[1] for rows in found for row in rows[1:]] == list(range(count))


def test_a_new_sheet_starts_past_the_byte_limit():
    data = _book([(f"H-{n}", n, None, None, None) for n in range(1200)], sheet_bytes=10_000)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    counts = [sum(1 for _ in sheet.iter_rows()) - 1 for sheet in book.worksheets]
    assert len(counts) > 1 and sum(counts) == 1200


def test_the_first_bytes_leave_before_the_rows_are_all_read():
    read = []

    def rows():
        for n in range(50_000):
            read.append(n)
            yield (f"H-{n}", n, 36.6, None, "thirty six point six")

    chunks, read_by_then = [], []
    for chunk in xlsx.stream_workbook(rows(), header=HEADER, title="results", modified=MODIFIED):
        chunks.append(chunk)
        read_by_then.append(len(read))
    assert chunks[0].startswith(b"PK\x03\x04")  # a zip's local file header
    # Compressed rows left (the second chunk on: 64 KiB each) while fewer than half the rows had been read.
    assert len(chunks) > 2 and read_by_then[1] < 25_000
    assert len(read) == 50_000 and zipfile.ZipFile(io.BytesIO(b"".join(chunks))).testzip() is None


def test_a_value_of_another_type_is_refused():
    with pytest.raises(TypeError, match="cannot write a list"):
        _book([("H-1", [1], None, None, None)])


def test_a_sheet_needs_room_for_a_row():
    with pytest.raises(ValueError, match="room for the header"):
        _book([], sheet_rows=1)


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=8))
def test_any_text_through_text_cell_comes_back_as_written(texts):
    cells = [export.text_cell(text) for text in texts]
    data = _book([(cell, None, None, None, None) for cell in cells])
    (sheet,) = _cells(data)
    assert [row[0] for row in sheet[1:]] == [(cell or None, "s" if cell else "n") for cell in cells]
