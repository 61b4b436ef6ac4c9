"""Household lists (CSV or XLSX) into the households table, streamed.

The main process reads the file and writes the database in chunks, committing every
COMMIT_ROWS rows (a crash keeps what was committed; a re-run is idempotent). Phone parsing
costs ~30-50 us a number, so on long files it runs in worker processes, a bounded number of
chunks ahead of the writer. Memory stays flat apart from the ids and phones already seen,
which the in-file duplicate rules need (~150 MB for a million rows).
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import itertools
import multiprocessing
import operator
import os
import sys
import warnings
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from tqdm import tqdm

from campaigns.household_rows import (
    KNOWN_COLUMNS, REQUIRED_COLUMNS, FileDuplicates, HouseholdRow, Reject, parse_chunk, row_dict,
)
from campaigns.models import Household, utcnow

CHUNK_ROWS = 5000  # rows per worker task and per executemany
# Rows per transaction. On SQLite every commit rewrites each index page touched, and phone
# numbers land all over their index: 5,000-row commits cost a third more than 20,000-row ones.
COMMIT_ROWS = 20_000
KEPT_REJECTS = 1000  # rejects kept in the report; all of them go to the rejects file
PARALLEL_MIN_BYTES = 4_000_000  # below this, starting worker processes costs more than it saves
_SCAN_BYTES = 1 << 20
# The insert sets these; an update leaves walk_in, opted_out_at, wrong_number_at and created_at alone.
_COLUMNS = ("id", "phone", "contact_name", "members", "member_names", "language", "timezone", "community",
            "walk_in", "created_at", "updated_at")  # the order of _Writer._upsert's tuples
_UPDATED = ("phone", "contact_name", "members", "member_names", "language", "timezone", "community", "updated_at")
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class HouseholdFileError(Exception):
    """The file cannot be read as a household list; the message says why, for the user."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: int = 0  # every rejected row; `rejects` keeps only the first KEPT_REJECTS
    rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


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
    stripped string values. Raises HouseholdFileError at once for a file that cannot be
    read or lacks a required column, and while iterating for a malformed CSV line.
    """
    table = open_table(Path(path))
    return _dict_rows(table)


def _dict_rows(table: _Table) -> Iterator[tuple[int, dict[str, str]]]:
    with table:
        for line, values in table.records:
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
    reader = csv.reader(handle, delimiter=_delimiter(sample))
    records = _csv_records(path, reader)
    first = next(records, None)
    if first is None:
        handle.close()
        raise HouseholdFileError(f"{path}: the file is empty; the first line must name the columns")
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


def _csv_records(path: Path, reader) -> Iterator[tuple[int, list[str]]]:
    previous = 0
    try:
        for values in reader:
            line, previous = previous + 1, reader.line_num
            if any(value.strip() for value in values):
                yield line, values
    except csv.Error as exc:
        hint = " (is a quote left open?)" if "field limit" in str(exc) else ""
        raise HouseholdFileError(f"{path}: line {previous + 1}: {exc}{hint}") from None


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


def import_households(
    engine: sa.engine.Engine, *, path: Path, region: str, default_timezone: str,
    rejects_path: Optional[Path], progress: bool = False,
) -> ImportReport:
    """Create or update the households listed in `path`; rejected rows go to `rejects_path`.

    Raises HouseholdFileError before writing anything when the file cannot be read or lacks
    a required column (and mid-way for a malformed CSV line: earlier batches stay committed).
    """
    path = Path(path)
    if rejects_path is not None and Path(rejects_path).resolve() == path.resolve():
        raise HouseholdFileError(f"{path}: the rejects file must not be the file being imported")
    table = open_table(path)
    report = ImportReport(ignored_columns=table.ignored)
    parse = functools.partial(parse_chunk, keys=table.keys, region=region, default_timezone=default_timezone)
    chunks = _chunks(table.records, CHUNK_ROWS)
    workers = _workers(path)
    with table, _RejectsFile(rejects_path, table.header, table.keys) as rejects, \
            engine.connect() as connection, \
            tqdm(total=table.total, unit=" rows", unit_scale=True, file=sys.stderr, disable=None if progress else True,
                 mininterval=0.5, dynamic_ncols=True) as bar:
        writer = _Writer(connection, table.keys)
        parsed = _parallel(chunks, parse, workers) if workers else ((chunk, parse(chunk)) for chunk in chunks)
        for records, items in parsed:
            created, updated, rejected = writer.write(records, items)
            report.created += created
            report.updated += updated
            report.rejected += len(rejected)
            report.rejects.extend(rejected[:KEPT_REJECTS - len(report.rejects)])
            rejects.write(rejected)
            bar.update(len(items))
        writer.commit()
    return report


def _workers(path: Path) -> int:
    if path.stat().st_size < PARALLEL_MIN_BYTES:
        return 0
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def _chunks(records: Iterator, size: int) -> Iterator[list]:
    while chunk := list(itertools.islice(records, size)):
        yield chunk


def _parallel(chunks: Iterator[list], parse, workers: int) -> Iterator[tuple[list, list]]:
    """(chunk, parse(chunk)) for each chunk, in order, parsed in worker processes at most 2 chunks a worker ahead."""
    # spawn, not fork: the parent may hold database connections and tqdm's monitor thread.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque = deque()
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(parse, chunk)))
                if len(pending) > 2 * workers:
                    chunk, future = pending.popleft()
                    yield chunk, future.result()
            while pending:
                chunk, future = pending.popleft()
                yield chunk, future.result()
        finally:
            for _, future in pending:
                future.cancel()


class _Writer:
    """Checks parsed chunks against the file so far and the database, then upserts them.

    Each chunk is one executemany; a transaction is committed every COMMIT_ROWS rows.
    """

    def __init__(self, connection: sa.engine.Connection, keys: list[str]):
        self.connection, self.keys = connection, keys
        self.duplicates = FileDuplicates()
        self.transaction, self.pending = None, 0
        dialect, table = connection.dialect, Household.__table__
        if dialect.name not in _INSERTS:
            raise ValueError(f"household import supports SQLite and PostgreSQL, not {dialect.name}")
        insert = _INSERTS[dialect.name](table).values({name: sa.bindparam(name) for name in _COLUMNS})
        self.upsert = insert.on_conflict_do_update(
            index_elements=[table.c.id], set_={name: insert.excluded[name] for name in _UPDATED})
        self.lookup = sa.select(table.c.id, table.c.phone).where(sa.or_(
            table.c.phone.in_(sa.bindparam("phones", expanding=True)),
            table.c.id.in_(sa.bindparam("ids", expanding=True))))
        # SQLite: the driver's executemany with the timestamp converted once; SQLAlchemy's
        # per-row parameter work would cost as much as SQLite itself. PostgreSQL keeps
        # SQLAlchemy's batched VALUES pages, which save a round trip per row.
        self.sql = self.stamp = None
        if dialect.name == "sqlite":
            compiled = self.upsert.compile(dialect=dialect)
            self.sql = str(compiled)
            self.stamp = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
            self.order = operator.itemgetter(*(_COLUMNS.index(name) for name in compiled.positiontup))

    def write(self, records: list, items: list) -> tuple[int, int, list[Reject]]:
        """Upsert a chunk's households; returns (created, updated, rejects) in line order."""
        if self.transaction is None:
            self.transaction = self.connection.begin()
        rows = [item for item in items if isinstance(item, HouseholdRow)]
        found = self.connection.execute(
            self.lookup, {"phones": [row.phone for row in rows], "ids": [row.id for row in rows]}).all() if rows else []
        accepted, rejected = self._split(records, items, self.duplicates.check(items, {p: i for i, p in found}))
        if accepted:
            self._upsert(accepted)
        existing = {household_id for household_id, _ in found}
        updated = sum(row.id in existing for row in accepted)
        self.pending += len(items)
        if self.pending >= COMMIT_ROWS:
            self.commit()
        return len(accepted) - updated, updated, rejected

    def commit(self) -> None:
        if self.transaction is not None:
            self.transaction.commit()
        self.transaction, self.pending = None, 0

    def _split(self, records: list, items: list, reasons: list) -> tuple[list[HouseholdRow], list[Reject]]:
        accepted: list[HouseholdRow] = []
        rejected: list[Reject] = []
        for (line, values), item, reason in zip(records, items, reasons):
            if isinstance(item, Reject):
                rejected.append(item)
            elif reason:
                rejected.append(Reject(line=line, household_id=item.id, reason=reason, raw=row_dict(self.keys, values)))
            else:
                accepted.append(item)
        return accepted, rejected

    def _upsert(self, rows: list[HouseholdRow]) -> None:
        now = utcnow()
        stamp = self.stamp(now) if self.stamp else now
        values = [(row.id, row.phone, row.contact_name, row.members, row.member_names, row.language,
                   row.timezone, row.community, False, stamp, stamp) for row in rows]
        if self.sql is not None:
            self.connection.exec_driver_sql(self.sql, list(map(self.order, values)))
        else:
            self.connection.execute(self.upsert, [dict(zip(_COLUMNS, row)) for row in values])


class _RejectsFile:
    """The rejects CSV: the file's own columns, then line and reason; replaced when the import ends.

    Opened at the start so an unwritable path fails before anything is imported. With no
    rejects, no file is left behind (an older one at the same path is removed: it is stale).
    """

    def __init__(self, path: Optional[Path], header: list[str], keys: list[str]):
        self.path, self.header, self.keys, self.count = path, header, keys, 0
        self.handle = self.writer = None

    def __enter__(self) -> "_RejectsFile":
        if self.path is not None:
            self.tmp = self.path.with_name(self.path.name + ".tmp")
            try:
                self.handle = open(self.tmp, "w", newline="", encoding="utf-8")
            except OSError as exc:
                raise HouseholdFileError(f"cannot write the rejects file {self.path}: {exc.strerror or exc}") from None
            self.writer = csv.writer(self.handle)
            self.writer.writerow([*self.header, "line", "reason"])
        return self

    def write(self, rejects: list[Reject]) -> None:
        self.count += len(rejects)
        if self.writer is not None:
            for reject in rejects:
                self.writer.writerow([*(reject.raw.get(key, "") for key in self.keys), reject.line, reject.reason])

    def __exit__(self, *exc) -> None:
        if self.handle is None:
            return
        self.handle.close()
        # Rows already rejected stay rejected even if the import stopped half-way: keep them.
        if self.count:
            os.replace(self.tmp, self.path)
            return
        self.tmp.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
