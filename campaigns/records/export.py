"""Streaming CSV exports of screenings and escalations, and `text_cell`: the rule of every export's text cells.

Rows are fetched from the database in batches and written as they arrive, so
memory stays flat whatever the size of the table. Every stored string goes out through
`text_cell`, in these CSV files and in the console's CSV and XLSX alike.

A CSV file written for people (`screening export`, a dry run's files, the console's downloads) is
UTF-8 starting with a byte-order mark: without it Excel reads the file in the machine's legacy code
page and garbles every name outside ASCII (Chinese names first). Python ("utf-8-sig"), pandas,
LibreOffice and Google Sheets read the mark and drop it. What scripts read (the API's CSV, standard
output) has none; `screening export --no-bom` writes none either.
"""
from __future__ import annotations

import contextlib
import csv
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, TextIO

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.models import Escalation, EscalationKind, EscalationStatus, Household, Screening

EXPORT_HEADER: tuple[str, ...] = (
    "household_id", "phone", "person", "campaign", "channel", "finished_at",
    "temperature_c", "temperature_said", "feels_feverish", "symptoms", "red_flags",
    "abnormal", "reason", "outcome", "escalation_status",
)
ESCALATION_HEADER: tuple[str, ...] = (
    "id", "created_at", "household_id", "phone", "community", "kind", "severity", "status",
    "detail", "conversation_id", "raised_count", "last_raised_at", "merged_into",
)

BOM = "\ufeff"  # the byte-order mark, as text: b"\xef\xbb\xbf" in UTF-8
BATCH_ROWS = 1000  # rows per fetch: enough to keep round trips rare, small enough to stay flat
NO_CODES = "none"  # asked and answered "none"; an empty cell means the question was not answered
# A spreadsheet runs a cell that starts with one of these as a formula; stored text must not.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...except a plain number such as an E.164 phone: read as a number, it runs nothing.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
# What no export can hold, dropped from every cell so CSV and XLSX agree: XML 1.0 (inside XLSX)
# refuses the C0 controls but tab, line feed and carriage return, and U+FFFE / U+FFFF; the csv
# module refuses NUL; a lone surrogate cannot be written as UTF-8.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Least resolved first: when a screening has several escalations, the export shows the most pressing.
_STATUS_RANK = {status.value: rank for rank, status in enumerate(EscalationStatus)}


def parse_since(text: str) -> datetime:
    """An aware UTC datetime from YYYY-MM-DD (midnight UTC) or an ISO-8601 datetime.

    A datetime without an offset is read as UTC; a trailing 'Z' is accepted.
    Raises ValueError with a message fit for the user.
    """
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def export_screenings(
    session: Session,
    *,
    out: TextIO,
    campaign_id: Optional[str] = None,
    since: Optional[datetime] = None,
    abnormal_only: bool = False,
) -> int:
    """Write the header and one CSV line per matching screening to `out`; returns the row count.

    `since` must be timezone-aware. Rows come in finished_at, then id, order.
    """
    query = screenings_query(campaign_id=campaign_id, since=since, abnormal_only=abnormal_only)
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    count = 0
    for row in session.execute(query.execution_options(yield_per=BATCH_ROWS)):
        writer.writerow(screening_cells(row))
        count += 1
    return count


def export_to_path(
    session: Session,
    *,
    path: Path,
    campaign_id: Optional[str] = None,
    since: Optional[datetime] = None,
    abnormal_only: bool = False,
    bom: bool = True,
) -> int:
    """Export screenings to a file atomically (see `write_atomically`), with a byte-order mark unless `bom` is False."""
    return write_atomically(path, lambda out: export_screenings(
        session, out=out, campaign_id=campaign_id, since=since, abnormal_only=abnormal_only), bom=bom)


def export_escalations(session: Session, *, out: TextIO) -> int:
    """Write the header and one CSV line per escalation, oldest first; returns the row count.

    A case counts the screenings and requests it took in, and when the latest came; a row merged
    into another case names it."""
    query = (
        sa.select(Escalation.id, Escalation.created_at, Escalation.household_id, Household.phone,
                  Household.community, Escalation.kind, Escalation.severity, Escalation.status,
                  Escalation.detail, Escalation.conversation_id, Escalation.raised_count,
                  sa.func.coalesce(Escalation.last_raised_at, Escalation.created_at), Escalation.merged_into)
        .select_from(Escalation)
        .outerjoin(Household, Household.id == Escalation.household_id)
        .order_by(Escalation.created_at, Escalation.id)
    )
    writer = csv.writer(out)
    writer.writerow(ESCALATION_HEADER)
    count = 0
    for (id_, created, household_id, phone, community, kind, severity, status, detail, conversation,
         raised, latest, merged_into) in session.execute(query.execution_options(yield_per=BATCH_ROWS)):
        writer.writerow([id_, timestamp_cell(created), *map(text_cell, (household_id, phone, community, kind, severity,
                                                                      status, detail, conversation)),
                         raised, timestamp_cell(latest), "" if merged_into is None else merged_into])
        count += 1
    return count


def write_atomically(path: Path, write: Callable[[TextIO], int], *, bom: bool = True) -> int:
    """Write a UTF-8 file through `<path>.tmp`, renamed when complete; returns what `write` returns.
    The file starts with a byte-order mark (for Excel) unless `bom` is False.

    A failed export leaves no file behind (and an earlier file at `path` untouched).
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as out:
            if bom:
                out.write(BOM)
            count = write(out)
            out.flush()
            os.fsync(out.fileno())  # the rename must never expose a file whose data is not on disk
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return count


def screenings_query(*, campaign_id: Optional[str], since: Optional[datetime], abnormal_only: bool):
    """The export's rows, oldest first; the console adds its own filters to it."""
    query = (
        sa.select(
            Screening.household_id, Household.phone, Screening.person_index, Screening.campaign_id,
            Screening.channel, Screening.finished_at, Screening.temperature_c, Screening.temperature_said,
            Screening.feels_feverish, Screening.symptoms, Screening.red_flags, Screening.abnormal,
            Screening.reason, Screening.outcome, _escalation_status().label("escalation_status"),
        )
        .select_from(Screening)
        .outerjoin(Household, Household.id == Screening.household_id)
        .order_by(Screening.finished_at, Screening.id)
    )
    if campaign_id is not None:
        query = query.where(Screening.campaign_id == campaign_id)
    if since is not None:
        query = query.where(Screening.finished_at >= since)
    if abnormal_only:
        query = query.where(Screening.abnormal.is_(True))
    return query


_SCREENING_KINDS = (EscalationKind.urgent.value, EscalationKind.abnormal.value, EscalationKind.unclear.value)


def _escalation_status():
    """The status of the case a screening raised or joined: a case is opened by one screening and
    then updated by the household's later ones until it is resolved, so a row joined it when the
    household's case spans its time and the row itself called for follow-up."""
    rank = sa.case(_STATUS_RANK, value=Escalation.status, else_=len(_STATUS_RANK))
    joined = sa.and_(
        Escalation.household_id == Screening.household_id, Escalation.merged_into.is_(None),
        Escalation.created_at <= Screening.finished_at,
        sa.func.coalesce(Escalation.last_raised_at, Escalation.created_at) >= Screening.finished_at,
        sa.or_(Screening.abnormal.is_(True), Screening.urgent.is_(True), Screening.reason.like("not judged%")),
        Escalation.kind.in_(_SCREENING_KINDS))
    return (
        sa.select(Escalation.status)
        .where(sa.or_(Escalation.screening_id == Screening.id, joined))
        .order_by(rank, Escalation.id)
        .limit(1)
        .scalar_subquery()
    )


def screening_cells(row: Sequence[Any]) -> list[str]:
    """One export row as the CSV's cells: every stored string through `text_cell`."""
    (household_id, phone, person, campaign, channel, finished_at, temperature_c, temperature_said,
     feels_feverish, symptoms, red_flags, abnormal, reason, outcome, escalation_status) = row
    return [
        text_cell(household_id), text_cell(phone), str(person), text_cell(campaign), text_cell(channel),
        timestamp_cell(finished_at), "" if temperature_c is None else f"{temperature_c:.1f}",
        text_cell(temperature_said), flag_cell(feels_feverish), codes_cell(symptoms),
        codes_cell(red_flags), flag_cell(abnormal), text_cell(reason), text_cell(outcome),
        text_cell(escalation_status),
    ]


def text_cell(value: Optional[str]) -> str:
    """A stored string as an export cell, CSV or XLSX: what no format can hold dropped, then a
    leading formula character defused with "'" so a spreadsheet shows the text rather than running it.

    Dropping comes first: a NUL must not hide the "=" behind it.
    """
    if not value:
        return ""
    if not value.isprintable():  # the common case skips the regex: a million rows stay fast
        value = _UNWRITABLE.sub("", value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def timestamp_cell(value: Optional[datetime]) -> str:
    """A time as 2024-03-01T09:30:00Z; a naive one is taken as UTC (how the database stores it)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    if value.year < 1000:  # isoformat pads the year to 4 digits, strftime does not
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat(timespec="seconds") + "Z"  # strftime's text, 3x faster


def flag_cell(value: Optional[bool]) -> str:
    return "" if value is None else ("true" if value else "false")


def codes_cell(value: Optional[str]) -> str:
    """';'-joined codes as a cell: "none" when answered with none, empty when not answered."""
    return text_cell(_codes(value))


def _codes(value: Optional[str]) -> str:
    if value is None:
        return ""
    return value or NO_CODES
