"""The results table: filters, keyset pages for the console, and streamed CSV / XLSX exports.

Exports use the columns, cells and order of `campaigns.records.export` (so a console CSV equals
`screening export` for the same filters, and every text cell of both formats follows its
`text_cell` rule) and read rows in batches: memory stays flat whatever the size of the table.
Speed (a million rows a minute at least): the rows are the driver's own tuples, and the cells of
the columns that repeat (codes, statuses, words) are worked out once per value.
"""
from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, BinaryIO, Callable, Iterator, Mapping, Optional, Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.console.i18n import N_
from campaigns.records import export, self_reports, xlsx
from campaigns.records.models import Campaign, Channel, Household, Outcome, Screening, UTCDateTime

BATCH_ROWS = 2000  # rows per database fetch and per CSV chunk
SHEET_ROWS = xlsx.SHEET_ROWS  # Excel's rows per sheet; each sheet repeats the header row
SHEET_TITLE = "results"
MEMO_CELLS = 10_000  # cells remembered per column kind (_Memo): a few MB at most
_TRUE, _FALSE = ("1", "true", "on", "yes"), ("", "0", "false", "off", "no")
_FILTER_KEYS = ("campaign", "community", "from", "to", "abnormal", "urgent", "outcome", "channel", "source")


@dataclass(frozen=True)
class ResultFilters:
    """What the results table and its exports are narrowed to. Dates are whole days in `zone`."""

    campaign: Optional[str] = None
    community: Optional[str] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None  # inclusive
    abnormal_only: bool = False
    urgent_only: bool = False
    outcome: Optional[str] = None
    channel: Optional[str] = None
    source: Optional[str] = None  # a records.self_reports.SOURCES code: call, sms, link, walk_in
    zone: str = "UTC"

    @property
    def start(self) -> Optional[datetime]:
        """The first instant of `date_from` in `zone`, as aware UTC."""
        return _midnight(self.date_from, self.zone)

    @property
    def end(self) -> Optional[datetime]:
        """The first instant after `date_to` in `zone` (exclusive), as aware UTC."""
        return _midnight(self.date_to + timedelta(days=1), self.zone) if self.date_to else None

    def params(self) -> dict[str, str]:
        """The filters as query parameters (only those set), for links that keep them."""
        values = {"campaign": self.campaign, "community": self.community,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None,
                  "abnormal": "1" if self.abnormal_only else None, "urgent": "1" if self.urgent_only else None,
                  "outcome": self.outcome, "channel": self.channel, "source": self.source}
        return {key: value for key, value in values.items() if value}

    def describe(self) -> str:
        """A one-line account of the filters, for the audit log."""
        return " ".join(f"{key}={value}" for key, value in self.params().items()) or "no filters"


@dataclass(frozen=True)
class ResultPage:
    rows: list  # sqlalchemy Rows, newest first; see RESULT_COLUMNS
    newer: Optional[str]  # cursor of the page before this one (pass as `after`)
    older: Optional[str]  # cursor of the page after this one (pass as `before`)


def parse_filters(params: Mapping[str, Optional[str]], *, zone: str) -> ResultFilters:
    """ResultFilters from query parameters (see _FILTER_KEYS); ValueError with a message for the user."""
    text = {key: (params.get(key) or "").strip() for key in _FILTER_KEYS}
    filters = ResultFilters(
        campaign=text["campaign"] or None, community=text["community"] or None,
        date_from=_day(text["from"], "from"), date_to=_day(text["to"], "to"),
        abnormal_only=_switch(text["abnormal"], "abnormal"), urgent_only=_switch(text["urgent"], "urgent"),
        outcome=_choice(text["outcome"], "outcome", Outcome), channel=_choice(text["channel"], "channel", Channel),
        source=_choice(text["source"], "source", self_reports.SOURCES), zone=zone,
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValueError(N_("'from' (%(first)s) is after 'to' (%(last)s)", first=filters.date_from.isoformat(),
                            last=filters.date_to.isoformat()))
    return filters


RESULT_COLUMNS = (
    Screening.id, Screening.finished_at, Screening.campaign_id, Screening.household_id, Household.community,
    Screening.person_index, Screening.person_name, Screening.channel, Screening.temperature_c,
    Screening.temperature_said, Screening.symptoms, Screening.red_flags, Screening.abnormal, Screening.urgent,
    Screening.outcome, Screening.reason, self_reports.source_column().label("source"),
)


def list_results(session: Session, *, filters: ResultFilters, limit: int, before: Optional[str] = None,
                 after: Optional[str] = None) -> ResultPage:
    """One page of screenings, newest first: the newest, those older than `before`, or those newer
    than `after` (cursors from an earlier page). Raises ValueError for a broken cursor."""
    query = (sa.select(*RESULT_COLUMNS).select_from(Screening)
             .outerjoin(Household, Household.id == Screening.household_id).where(*conditions(filters)))
    newest_first = (Screening.finished_at.desc(), Screening.id.desc())
    if after:
        at, id_ = decode_cursor(after)
        newer = query.where(sa.or_(Screening.finished_at > at, sa.and_(Screening.finished_at == at,
                                                                       Screening.id > id_)))
        rows = session.execute(newer.order_by(Screening.finished_at, Screening.id).limit(limit + 1)).all()
        if len(rows) > limit:  # still newer rows above this page
            page = rows[:limit][::-1]
            return ResultPage(page, newer=encode_cursor(page[0]), older=encode_cursor(page[-1]))
        # reached the newest rows: show the first page, full
    elif before:
        at, id_ = decode_cursor(before)
        query = query.where(sa.or_(Screening.finished_at < at, sa.and_(Screening.finished_at == at,
                                                                       Screening.id < id_)))
    rows = session.execute(query.order_by(*newest_first).limit(limit + 1)).all()
    page = rows[:limit]
    return ResultPage(page, newer=encode_cursor(page[0]) if before and page else None,
                      older=encode_cursor(page[-1]) if len(rows) > limit else None)


def conditions(filters: ResultFilters) -> list:
    """SQL conditions on Screening (and Household, outer-joined) for the filters."""
    found = []
    if filters.campaign:
        found.append(Screening.campaign_id == filters.campaign)
    if filters.community:
        found.append(Household.community == filters.community)
    if filters.start:
        found.append(Screening.finished_at >= filters.start)
    if filters.end:
        found.append(Screening.finished_at < filters.end)
    if filters.abnormal_only:
        found.append(Screening.abnormal.is_(True))
    if filters.urgent_only:
        found.append(Screening.urgent.is_(True))
    if filters.outcome:
        found.append(Screening.outcome == filters.outcome)
    if filters.channel:
        found.append(Screening.channel == filters.channel)
    if filters.source:
        found.append(self_reports.source_column() == filters.source)
    return found


def list_choices(session: Session) -> dict[str, list[str]]:
    """Campaign ids and communities to offer in the filter form (a few hundred at most)."""
    campaigns = session.execute(sa.select(Campaign.id).order_by(Campaign.id).limit(500)).scalars().all()
    communities = session.execute(sa.select(Household.community).where(Household.community.is_not(None))
                                  .distinct().order_by(Household.community).limit(500)).scalars().all()
    return {"campaigns": list(campaigns), "communities": list(communities)}


def stream_csv(session: Session, *, filters: ResultFilters, batch_rows: int = BATCH_ROWS,
               bom: bool = True) -> Iterator[bytes]:
    """The CSV of `screening export` for these filters, as UTF-8 chunks of `batch_rows` lines; with
    `screening export`'s byte-order mark unless `bom` is False (as `--no-bom`)."""
    buffer = io.StringIO()
    if bom:
        buffer.write(export.BOM)
    writer = csv.writer(buffer)
    writer.writerow(export.EXPORT_HEADER)
    yield _drain(buffer)
    batches, finished = _export_batches(session, filters, batch_rows)
    cells = _csv_cells(finished)
    for batch in batches:
        writer.writerows(map(cells, batch))
        yield _drain(buffer)


def stream_xlsx(session: Session, *, filters: ResultFilters, modified: datetime, sheet_rows: int = SHEET_ROWS,
                batch_rows: int = BATCH_ROWS, counted: Optional[list[int]] = None) -> Iterator[bytes]:
    """The export as an XLSX workbook, in chunks of bytes as the rows are read (see records/xlsx.py).

    A sheet holds at most `sheet_rows` rows, its header included; then a new sheet starts.
    Times are UTC; temperatures and person numbers are numbers, the rest text cells as in the CSV.
    When the stream ends, `counted` (if given) holds the number of rows written.
    """
    batches, finished = _export_batches(session, filters, batch_rows)
    if counted is not None:
        batches = _counting(batches, counted)
    return xlsx.stream_workbook(itertools.chain.from_iterable(batches), header=export.EXPORT_HEADER,
                                title=SHEET_TITLE, modified=modified, sheet_rows=sheet_rows,
                                cells=_xlsx_cells(finished))


def write_xlsx(session: Session, *, filters: ResultFilters, out: BinaryIO, sheet_rows: int = SHEET_ROWS,
               batch_rows: int = BATCH_ROWS) -> int:
    """Write the export's XLSX workbook (`stream_xlsx`) to the binary file `out`; returns the row count."""
    counted: list[int] = []
    for chunk in stream_xlsx(session, filters=filters, modified=datetime.now(timezone.utc), sheet_rows=sheet_rows,
                             batch_rows=batch_rows, counted=counted):
        out.write(chunk)
    return counted[0]


def export_filename(extension: str, now: datetime) -> str:
    """results-YYYYMMDD-HHMM.<extension>, `now` in UTC."""
    return f"results-{now.astimezone(timezone.utc):%Y%m%d-%H%M}.{extension}"


def encode_cursor(row: Any) -> str:
    """A page cursor: the row's finish time (UTC, microseconds) and id."""
    return f"{row.finished_at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S.%f}Z_{row.id}"


def decode_cursor(text: str) -> tuple[datetime, int]:
    try:
        stamp, id_ = text.rsplit("_", 1)
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc), int(id_)
    except ValueError:
        raise ValueError(N_("this page link is broken; start again from the first page")) from None


def _export_batches(session: Session, filters: ResultFilters,
                    batch_rows: int) -> tuple[Iterator[Sequence[Sequence]], Callable[[Any], Any]]:
    """The export's rows in batches, and what makes a finish time of a row a datetime (aware, or
    naive in UTC). Rows are the columns of export.screenings_query, as the driver gives them."""
    # The CLI's query (its columns, its order), narrowed by the console's filters.
    query = export.screenings_query(campaign_id=None, since=None, abnormal_only=False).where(*conditions(filters))
    connection = session.connection()
    if connection.dialect.supports_server_side_cursors:  # PostgreSQL: streamed from a server-side cursor
        result = connection.execution_options(stream_results=True).execute(query)
        return result.yield_per(batch_rows).partitions(), _same
    # SQLite's driver reads rows as they are fetched: its plain tuples, about 2x faster than
    # SQLAlchemy's rows (the export's largest cost); the finish time comes as the stored text.
    return _driver_batches(connection.execute(query), batch_rows), _stored_datetime(connection.dialect)


def _driver_batches(result, batch_rows: int) -> Iterator[list[tuple]]:
    try:
        cursor = result.cursor
        while batch := cursor.fetchmany(batch_rows):
            yield batch
    finally:
        result.close()


def _stored_datetime(dialect) -> Callable[[Any], Any]:
    """The driver's value of a UTCDateTime column as a datetime, naive in UTC, as SQLAlchemy reads it."""
    impl = UTCDateTime().impl
    return impl.dialect_impl(dialect).result_processor(dialect, None) or _same


def _same(value: Any) -> Any:
    return value


def _csv_cells(finished: Callable[[Any], Any]) -> Callable[[Sequence], list[str]]:
    """export.screening_cells for the driver's rows, remembering the cells of the columns that repeat."""
    text, codes, flags = _Memo(export.text_cell), _Memo(export.codes_cell), _Memo(export.flag_cell)
    text_cell, timestamp_cell = export.text_cell, export.timestamp_cell

    def cells(row: Sequence) -> list[str]:
        (household_id, phone, person, campaign, channel, finished_at, temperature_c, temperature_said,
         feels_feverish, symptoms, red_flags, abnormal, reason, outcome, escalation_status) = row
        return [text_cell(household_id), text_cell(phone), str(person), text[campaign], text[channel],
                timestamp_cell(finished(finished_at)), "" if temperature_c is None else f"{temperature_c:.1f}",
                text[temperature_said], flags[feels_feverish], codes[symptoms], codes[red_flags], flags[abnormal],
                text[reason], text[outcome], text[escalation_status]]
    return cells


def _xlsx_cells(finished: Callable[[Any], Any]) -> Callable[[Sequence], str]:
    """The XML of a row's cells: the CSV's (every text through export.text_cell), with numbers and
    times as such, so a spreadsheet sorts and sums them (Excel has no time zones: UTC)."""
    text_xml, number_xml, date_xml = xlsx.text_xml, xlsx.number_xml, xlsx.date_xml
    text = _Memo(lambda value: text_xml(export.text_cell(value)))
    codes = _Memo(lambda value: text_xml(export.codes_cell(value)))
    flags = _Memo(lambda value: text_xml(export.flag_cell(value)))
    text_cell = export.text_cell

    def cells(row: Sequence) -> str:
        (household_id, phone, person, campaign, channel, finished_at, temperature_c, temperature_said,
         feels_feverish, symptoms, red_flags, abnormal, reason, outcome, escalation_status) = row
        return (f"{text_xml(text_cell(household_id))}{text_xml(text_cell(phone))}{number_xml(person)}"
                f"{text[campaign]}{text[channel]}{date_xml(finished(finished_at))}{number_xml(temperature_c)}"
                f"{text[temperature_said]}{flags[feels_feverish]}{codes[symptoms]}{codes[red_flags]}"
                f"{flags[abnormal]}{text[reason]}{text[outcome]}{text[escalation_status]}")
    return cells


class _Memo(dict):
    """`memo[value]` is `cell(value)`, worked out once per value (most repeat: codes, statuses, words).
    At most MEMO_CELLS are kept; long texts are not."""

    def __init__(self, cell: Callable[[Any], str]):
        super().__init__()
        self.cell = cell

    def __missing__(self, value) -> str:
        found = self.cell(value)
        if len(self) >= MEMO_CELLS:
            self.clear()  # unique values filled it: start again, the common ones come back at once
        if value.__class__ is not str or len(value) <= 100:
            self[value] = found
        return found


def _counting(batches: Iterator[Sequence], counted: list[int]) -> Iterator[Sequence]:
    count = 0
    for batch in batches:
        count += len(batch)
        yield batch
    counted.append(count)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def _midnight(day: Optional[date], zone: str) -> Optional[datetime]:
    if day is None:
        return None
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def _day(text: str, name: str) -> Optional[date]:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(N_("%(name)r must be a date like 2024-03-31, not %(text)r", name=name, text=text)) from None


def _switch(text: str, name: str) -> bool:
    if text.lower() in _TRUE + _FALSE:
        return text.lower() in _TRUE
    raise ValueError(N_("%(name)r must be 1 or 0, not %(text)r", name=name, text=text))


def _choice(text: str, name: str, kind) -> Optional[str]:
    known = [getattr(member, "value", member) for member in kind]
    if text and text not in known:
        raise ValueError(N_("unknown %(name)s %(text)r; use one of: %(known)s", name=name, text=text,
                            known=", ".join(known)))
    return text or None
