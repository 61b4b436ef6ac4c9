"""Times as the office reads them: in its own zone (SCREENING_OFFICE_TIMEZONE), never UTC alone. Pure.

Timestamps are stored in UTC (models.UTCDateTime); everything shown to staff, in the console, on
`campaign status` and on the printed lists, goes through here. A sentence names the zone's
abbreviation at that instant ("2024-03-05 17:00 CST"), a table names the zone once in its header.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Optional
from zoneinfo import ZoneInfo

MINUTES = "%Y-%m-%d %H:%M"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of a name settings have already checked."""
    return ZoneInfo(name)


def local(moment: Optional[datetime], office: ZoneInfo, fmt: str = MINUTES) -> str:
    """`moment` in the office's zone, '-' when there is none."""
    if moment is None:
        return "-"
    return moment.astimezone(office).strftime(fmt)


def stamped(moment: Optional[datetime], office: ZoneInfo) -> str:
    """`moment` with its zone said, for a sentence: '2024-03-05 09:00 UTC', '2024-03-05 17:00 CST'."""
    if moment is None:
        return "-"
    shown = moment.astimezone(office)
    return f"{shown:{MINUTES}} {shown.tzname() or office.key}"


def iso(moment: Optional[datetime], office: ZoneInfo) -> str:
    """ISO 8601 with the office's offset, for files; UTC keeps the 'Z' every export writes."""
    if moment is None:
        return ""
    shown = moment.astimezone(office)
    if shown.utcoffset() == timedelta(0) and office.key == "UTC":
        return shown.strftime("%Y-%m-%dT%H:%M:%SZ")
    return shown.isoformat(timespec="seconds")


def today(office: ZoneInfo, *, now: Optional[datetime] = None) -> date:
    """The office's date now."""
    return (now or datetime.now(timezone.utc)).astimezone(office).date()

