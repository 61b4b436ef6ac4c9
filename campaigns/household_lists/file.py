"""Household files: a CSV or XLSX household list opened, its header checked, its rows streamed.

CSV files must be UTF-8 (a BOM is fine); the delimiter (',', ';' or tab) is judged from the
header line. Only the first sheet of a workbook is read. A problem with the whole file is a
HouseholdFileError whose message names the file and, where it can, the line; a CSV row longer
than MAX_ROW_CHARS is skipped unread and stands as an Unreadable record, so the rest still
imports. Writing the rows to the database is campaigns.household_lists.importer.
"""
from __future__ import annotations

import codecs
import csv
import warnings
from pathlib import Path
from typing import Iterable, Iterator, Optional

from campaigns.household_lists.rows import KNOWN_COLUMNS, REQUIRED_COLUMNS, Unreadable, row_dict

_SCAN_BYTES = 1 << 20
# The most one CSV row may hold, every cell and quote included: room for far more than the fields
# a household needs (MAX_FIELD_CHARS each), and under csv's own field limit (131,072), so a huge
# cell or a runaway quote costs one rejected row, never the import, and never its size in memory.
MAX_ROW_CHARS = 100_000
_SKIP_CHARS = 1 << 16  # the rest of an over-long line is read and dropped this much at a time


class HouseholdFileError(Exception):
    """The file cannot be read as a household list; the message says why, for the user."""


class _Table:
    """An open household file: its header and its records, (line, list of cells)."""

    def __init__(self, header: list[str], records: Iterator[tuple[int, list[str]]], total: Optional[int], close):
        self.header = header
        self.keys = [name.strip().lower() for name in header]
        self.records, self.total, self.close = records, total, close
        self.ignored = [key for key in dict.fromkeys(self.keys) if key and key not in KNOWN_COLUMNS]

    def __enter__(self) -> "_Table":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each non-blank row of a CSV or XLSX household list, streamed.

    Rows have lower-cased keys for every named column, extra columns included, and
    stripped string values; a CSV row too long to read (see MAX_ROW_CHARS) is left out.
    Raises HouseholdFileError at once for a file that cannot be read or lacks a required
    column, and while iterating for a malformed CSV line.
    """
    table = open_table(Path(path))
    return _dict_rows(table)


def _dict_rows(table: _Table) -> Iterator[tuple[int, dict[str, str]]]:
    with table:
        for line, values in table.records:
            if not isinstance(values, Unreadable):  # the import rejects it, with the reason
                yield line, row_dict(table.keys, values)


def open_table(path: Path) -> _Table:
    """The household file at `path`, opened and its header checked; raises HouseholdFileError."""
    if not path.exists():
        raise HouseholdFileError(f"{path}: no such file")
    if not path.is_file():
        raise HouseholdFileError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _open_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _open_xlsx(path)
    else:
        raise HouseholdFileError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use .csv or .xlsx")
    try:
        _check_header(path, table.keys)
    except HouseholdFileError:
        table.close()
        raise
    return table


def _check_header(path: Path, keys: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in keys]
    if missing:
        found = ", ".join(key for key in keys if key) or "none"
        word = "column" if len(missing) == 1 else "columns"
        raise HouseholdFileError(f"{path}: missing required {word} {', '.join(missing)} (found: {found})")
    repeated = [name for name in KNOWN_COLUMNS if keys.count(name) > 1]
    if repeated:
        raise HouseholdFileError(f"{path}: column {repeated[0]} appears more than once in the header")


def _open_csv(path: Path) -> _Table:
    lines, sample = _scan_csv(path)
    handle = open(path, encoding="utf-8-sig", newline="")
    source = _Lines(handle, MAX_ROW_CHARS)
    records = _csv_records(path, source, csv.reader(source, delimiter=_delimiter(sample)))
    first = next(records, None)
    if first is None or isinstance(first[1], Unreadable):
        handle.close()
        problem = (f"line {first[0]}: the header is longer than {MAX_ROW_CHARS:,} characters" if first
                   else "the file is empty; the first line must name the columns")
        raise HouseholdFileError(f"{path}: {problem}")
    return _Table(first[1], records, max(lines - first[0], 0), handle.close)


def _scan_csv(path: Path) -> tuple[int, str]:
    """Line count and a text sample, checking first that the whole file is UTF-8 text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, sample, last = 0, "", b"\n"
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_SCAN_BYTES):
                if b"\0" in chunk:
                    at = lines + chunk[:chunk.index(b"\0")].count(b"\n") + 1
                    raise HouseholdFileError(f"{path}: line {at}: a NUL byte; this is not a CSV text file")
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    at = lines + chunk[:max(exc.start, 0)].count(b"\n") + 1
                    raise HouseholdFileError(
                        f"{path}: line {at}: not UTF-8 text (byte {chunk[exc.start:exc.start + 1]!r}); "
                        "save the file as CSV UTF-8") from None
                sample, last = sample or text, chunk[-1:]
                lines += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise HouseholdFileError(f"{path}: line {lines}: the file ends inside a UTF-8 character") from None
    except OSError as exc:
        raise HouseholdFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return lines + (last != b"\n"), sample


def _delimiter(sample: str) -> str:
    # Spreadsheets in many locales save "CSV" with ';' (or tabs): judge by the header line.
    header = next((line for line in sample.splitlines() if line.strip()), "")
    return max(",;\t", key=header.count) if header else ","


class _RowTooLong(Exception):
    """Raised through csv.reader by _Lines when a record outgrows its cap."""


class _Lines:
    """The physical lines of a CSV file for csv.reader, none of its records longer than `cap`.

    csv.reader pulls lines until its record is complete; `start_record` begins the count
    afresh. A record that grows past the cap raises _RowTooLong once the rest of its line has
    been read and dropped in bounded pieces: a 50 MB line never sits in memory.
    """

    def __init__(self, handle, cap: int):
        self.handle, self.cap = handle, cap
        self.count = 0  # physical lines read so far
        self.used = 0  # characters of the current record
        self.split_crlf = False

    def start_record(self) -> None:
        self.used = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        size = self.cap - self.used + 1  # one more than the record has room for: enough to tell
        text = self._readline(size)
        if not text:
            raise StopIteration
        self.count += 1
        self.used += len(text)
        if self.used > self.cap:
            self._skip_rest(text, size)
            raise _RowTooLong
        return text

    def _readline(self, size: int) -> str:
        text = self.handle.readline(size)
        if self.split_crlf:  # the "\n" of a CRLF that _skip_rest's last piece cut in two
            self.split_crlf = False
            if text == "\n":
                text = self.handle.readline(size)
        return text

    def _skip_rest(self, text: str, size: int) -> None:
        while text and not text.endswith(("\n", "\r")):
            size = _SKIP_CHARS
            text = self.handle.readline(size)
        # A piece cut at its size right after a "\r" may have left that CRLF's "\n" for the next read.
        self.split_crlf = text.endswith("\r") and len(text) == size


def _csv_records(path: Path, source: _Lines, reader) -> Iterator[tuple[int, list[str] | Unreadable]]:
    """(first line, cells) per non-blank record; (first line, Unreadable) for one over MAX_ROW_CHARS."""
    while True:
        line = source.count + 1
        source.start_record()
        try:
            values = next(reader)
        except StopIteration:
            return
        except _RowTooLong:
            yield line, Unreadable(_too_long(line, source.count))
            continue
        except csv.Error as exc:
            raise HouseholdFileError(f"{path}: line {line}: {exc}") from None
        if any(value.strip() for value in values):
            yield line, values


def _too_long(first: int, last: int) -> str:
    if first == last:
        return f"row longer than {MAX_ROW_CHARS:,} characters, the most a row may hold"
    return (f"lines {first}-{last} are one row longer than {MAX_ROW_CHARS:,} characters, the most a row "
            "may hold: a huge cell, or a quote left open?")


def _open_xlsx(path: Path) -> _Table:
    import openpyxl  # only XLSX imports pay for it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style warnings from other writers mean nothing here
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, KeyError) for a damaged file
        raise HouseholdFileError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheet = book.worksheets[0]
        total = sheet.max_row
        sheet.reset_dimensions()  # some writers record wrong sizes; read what is really there
        records = _xlsx_records(path, sheet.iter_rows(values_only=True))
        first = next(records, None)
    except Exception as exc:
        book.close()
        if isinstance(exc, HouseholdFileError):
            raise
        raise HouseholdFileError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    if first is None:
        book.close()
        raise HouseholdFileError(f"{path}: the first sheet is empty; its first row must name the columns")
    return _Table(first[1], records, max(total - first[0], 0) if total else None, book.close)


def _xlsx_records(path: Path, rows: Iterable[tuple]) -> Iterator[tuple[int, list[str]]]:
    try:
        for line, cells in enumerate(rows, start=1):
            values = [_xlsx_text(cell) for cell in cells]
            if any(values):
                yield line, values
    except Exception as exc:  # a damaged sheet can fail anywhere in the XML
        raise HouseholdFileError(f"{path}: the sheet cannot be read ({type(exc).__name__}: {exc})") from None


def _xlsx_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # phone numbers and counts typed as numbers
    if hasattr(cell, "isoformat"):
        return cell.isoformat()
    return str(cell).strip()
