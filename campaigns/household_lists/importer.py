"""Household lists (CSV or XLSX) into the households table, streamed.

The main process reads the file and writes the database in chunks, committing every
COMMIT_ROWS rows (a crash keeps what was committed; a re-run is idempotent). Phone parsing
costs ~30-50 us a number, so on long files it runs in worker processes, a bounded number of
chunks ahead of the writer. Memory stays flat apart from the ids and phones already seen,
which the in-file duplicate rules need (~150 MB for a million rows). Opening and reading the
file is campaigns.household_lists.file (re-exported here: read_rows, open_table, HouseholdFileError).
"""
from __future__ import annotations

import contextlib
import csv
import functools
import itertools
import multiprocessing
import operator
import os
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from tqdm import tqdm

from campaigns.household_lists.file import HouseholdFileError, open_table, read_rows
from campaigns.household_lists.rows import OPTIONAL_COLUMNS, REGION_DEFAULTED, TIMEZONE_DEFAULTED, FileDuplicates, \
    HouseholdRow, Reject, parse_chunk, row_dict
from campaigns.records import schema
from campaigns.records.models import Household, utcnow

__all__ = ["HouseholdFileError", "ImportReport", "import_households", "open_table", "read_rows"]

CHUNK_ROWS = 5000  # rows per worker task and per executemany
# Rows per transaction. On SQLite every commit rewrites each index page touched, and phone
# numbers land all over their index: 5,000-row commits cost a third more than 20,000-row ones.
COMMIT_ROWS = 20_000
KEPT_REJECTS = 1000  # rejects kept in the report; all of them go to the rejects file
SHOWN_LINES = 5  # lines named in a warning about rows that took a default
PARALLEL_MIN_BYTES = 4_000_000  # below this, starting worker processes costs more than it saves
# The insert sets these; an update leaves walk_in, opted_out_at, wrong_number_at and created_at alone.
_COLUMNS = ("id", "phone", "contact_name", "members", "member_names", "language", "timezone", "community",
            "address", "notes", "walk_in", "created_at", "updated_at")  # the order of _Writer._upsert's tuples
_UPDATED = ("phone", "contact_name", "members", "member_names", "language", "timezone", "community", "updated_at")
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: int = 0  # every rejected row; `rejects` keeps only the first KEPT_REJECTS
    rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    region: str = ""  # the import's phone region and default time zone, named in the warnings
    default_timezone: str = ""
    # Imported rows that took a default (rows.TIMEZONE_DEFAULTED, rows.REGION_DEFAULTED): how many,
    # and the first SHOWN_LINES lines of each.
    defaulted: dict[str, int] = field(default_factory=dict)
    defaulted_lines: dict[str, list[int]] = field(default_factory=dict)

    def count_defaults(self, line: int, row: HouseholdRow) -> None:
        for what in row.defaulted:
            self.defaulted[what] = self.defaulted.get(what, 0) + 1
            lines = self.defaulted_lines.setdefault(what, [])
            if len(lines) < SHOWN_LINES:
                lines.append(line)

    def warnings(self, *, region_chosen: bool = False) -> list[str]:
        """One line per default that imported rows took: how many rows, and their first lines.
        National numbers are not mentioned when the user chose the region for them."""
        said = {TIMEZONE_DEFAULTED: f"without a timezone: {self.default_timezone} (the default) used"}
        if not region_chosen:
            said[REGION_DEFAULTED] = f"with a phone number without +country code: read in region {self.region}"
        return [f"{self.defaulted[what]:,} row{'s' * (self.defaulted[what] != 1)} {text} "
                f"({_lines(self.defaulted_lines[what], self.defaulted[what])})"
                for what, text in said.items() if self.defaulted.get(what)]


def _lines(lines: list[int], count: int) -> str:
    more = ", ..." if count > len(lines) else ""
    return f"line{'s' * (count != 1)} {', '.join(map(str, lines))}{more}"


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
    report = ImportReport(ignored_columns=table.ignored, region=region, default_timezone=default_timezone)
    parse = functools.partial(parse_chunk, keys=table.keys, region=region, default_timezone=default_timezone)
    chunks = _chunks(table.records, CHUNK_ROWS)
    workers = _workers(path)
    with table, _RejectsFile(rejects_path, table.header, table.keys) as rejects, \
            engine.connect() as connection, \
            tqdm(total=table.total, unit=" rows", unit_scale=True, file=sys.stderr, disable=None if progress else True,
                 mininterval=0.5, dynamic_ncols=True) as bar:
        with connection.begin():
            schema.upgrade_households(connection)  # an older database gets the address and notes columns
        writer = _Writer(connection, table.keys, report)
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

    def __init__(self, connection: sa.engine.Connection, keys: list[str], report: ImportReport):
        self.connection, self.keys, self.report = connection, keys, report
        self.duplicates = FileDuplicates()
        self.transaction, self.pending = None, 0
        dialect, table = connection.dialect, Household.__table__
        if dialect.name not in _INSERTS:
            raise ValueError(f"household import supports SQLite and PostgreSQL, not {dialect.name}")
        insert = _INSERTS[dialect.name](table).values({name: sa.bindparam(name) for name in _COLUMNS})
        # An optional column the file does not have is left as it was, not emptied.
        updated = _UPDATED + tuple(name for name in OPTIONAL_COLUMNS if name in keys)
        self.upsert = insert.on_conflict_do_update(
            index_elements=[table.c.id], set_={name: insert.excluded[name] for name in updated})
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
                if item.defaulted:
                    self.report.count_defaults(line, item)
        return accepted, rejected

    def _upsert(self, rows: list[HouseholdRow]) -> None:
        now = utcnow()
        stamp = self.stamp(now) if self.stamp else now
        values = [(row.id, row.phone, row.contact_name, row.members, row.member_names, row.language,
                   row.timezone, row.community, row.address, row.notes, False, stamp, stamp) for row in rows]
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
