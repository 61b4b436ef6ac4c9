"""Schedule maths: rounds, calling windows and retries. Pure: every function takes the
time zone and the time it needs as arguments, so the tests are tables."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

RetryRule = Optional[timedelta]  # None = "wait for the next round"


@dataclass(frozen=True)
class Window:
    """A daily calling window in local time; `end <= start` means it crosses midnight."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Whether a local wall-clock time lies inside the window (start included, end excluded)."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def _utc(at: datetime) -> datetime:
    """`at` as UTC; naive datetimes are a caller's bug, not something to guess about."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {at.isoformat()}")
    return at.astimezone(timezone.utc)


def _crosses_midnight(window: Window) -> bool:
    return window.end <= window.start


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    """UTC instant of wall-clock `at` on local `day`.

    In a DST gap the time moves forward by the gap (02:30 on the US spring-forward day
    is 03:30 local); an ambiguous time (fall back) means its first occurrence.
    """
    # fold=0 reads a gap time with the offset in force before the change (PEP 495),
    # which is exactly "forward by the gap"; for an ambiguous time it is the first one.
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return wall.astimezone(timezone.utc)


def window_bounds(day: date, window: Window, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end of the window occurrence that opens on local `day`.

    A window crossing midnight (and a start == end window, which is 24 hours) ends on day+1.
    """
    end_day = day + timedelta(days=1) if _crosses_midnight(window) else day
    return local_datetime(day, window.start, tz), local_datetime(end_day, window.end, tz)


def window_day(at: datetime, window: Window, tz: ZoneInfo) -> date:
    """The local date on which the window occurrence containing `at` opened; if `at` is
    outside every window, the date of the next occurrence to open."""
    at = _utc(at)
    today = at.astimezone(tz).date()
    # Occurrences are ordered and disjoint: the first one still open after `at` is the answer.
    for day in (today - timedelta(days=1), today):
        if at < window_bounds(day, window, tz)[1]:
            return day
    return today + timedelta(days=1)


def next_in_window(at: datetime, window: Window, tz: ZoneInfo) -> datetime:
    """`at` (as UTC) when inside the window, else the next opening of the window (UTC)."""
    at = _utc(at)
    start, _ = window_bounds(window_day(at, window, tz), window, tz)
    return max(at, start)


def round_times(day: date, slots: Sequence[time], window: Window, tz: ZoneInfo) -> list[datetime]:
    """UTC due time of each round slot of the window occurrence opening on local `day`,
    in the order given. In a midnight-crossing window a slot earlier than window.start
    falls on the next calendar day. ValueError if a slot is outside the window."""
    times = []
    for slot in slots:
        slot = slot.replace(tzinfo=None)
        if not window.contains(slot):
            raise ValueError(
                f"round time {slot:%H:%M} is outside the calling window "
                f"{window.start:%H:%M}-{window.end:%H:%M}")
        next_day = _crosses_midnight(window) and slot < window.start
        times.append(local_datetime(day + timedelta(days=int(next_day)), slot, tz))
    return times


def campaign_days(start: date, *, days: int | None = None, end: date | None = None) -> list[date]:
    """The campaign's local dates, from `start` for `days` days or up to `end` included.
    Exactly one of days (>= 1) or end (>= start) must be given, else ValueError."""
    if (days is None) == (end is None):
        raise ValueError("give exactly one of the campaign's number of days or its end date")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"campaign days must be a whole number of at least 1, not {days!r}")
        count = days
    else:
        if end < start:
            raise ValueError(f"campaign end {end.isoformat()} is before its start {start.isoformat()}")
        count = (end - start).days + 1
    return [start + timedelta(days=n) for n in range(count)]


def retry_at(ended_at: datetime, delay: RetryRule, *, round_ends_at: datetime,
             window: Window, tz: ZoneInfo) -> datetime | None:
    """When to try again within the same round after an unsuccessful attempt ended at
    `ended_at`, in UTC. None when delay is None, or when ended_at + delay (moved to the
    next window opening if outside the window) is at or after `round_ends_at`."""
    if delay is None:
        return None
    if delay < timedelta(0):
        raise ValueError(f"retry delay must not be negative: {delay}")
    # Add in UTC: aware arithmetic in a local zone would add wall-clock time across DST.
    candidate = next_in_window(_utc(ended_at) + delay, window, tz)
    return candidate if candidate < _utc(round_ends_at) else None


def round_end(day: date, round_no: int, slots: Sequence[time], window: Window, tz: ZoneInfo) -> datetime:
    """When round `round_no` (1-based) of local `day` ends, in UTC: the due time of the
    next round, or for the last round the end of that day's window occurrence."""
    if not 1 <= round_no <= len(slots):
        raise ValueError(f"round {round_no} does not exist; the campaign has {len(slots)} round(s)")
    times = round_times(day, slots, window, tz)
    if any(later <= earlier for earlier, later in zip(times, times[1:])):
        raise ValueError("round times must be in order within the calling window")
    if round_no < len(times):
        return times[round_no]
    return window_bounds(day, window, tz)[1]


def clamp_callback(requested: datetime, window: Window, tz: ZoneInfo) -> datetime:
    """A resident's requested callback time (UTC), moved to the next window opening if it
    is outside the window."""
    return next_in_window(requested, window, tz)


_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_EXAMPLES = "use a number and a unit d, h, m or s, e.g. 90s, 10m, 2h, 1d or 1h30m"


def parse_duration(text: str) -> timedelta:
    """Read a duration such as "90s", "10m", "2h", "1d" or "1h30m" (case-insensitive,
    spaces ignored). ValueError with a precise message for empty, negative, zero,
    unknown-unit or unreadable text."""
    compact = re.sub(r"\s+", "", str(text)).lower()
    if not compact:
        raise ValueError(f"duration is empty; {_EXAMPLES}")
    if compact.startswith("-"):
        raise ValueError(f"duration must be positive, not {text!r}")
    if compact.isdigit():
        raise ValueError(f"duration {text!r} has no unit; {_EXAMPLES}")
    match = _DURATION.fullmatch(compact)
    if match is None:
        unknown = re.findall(r"\d+([a-z]+)", compact)
        bad = [unit for unit in unknown if unit not in _UNITS]
        if bad:
            raise ValueError(f"unknown unit {bad[0]!r} in duration {text!r}; {_EXAMPLES}")
        raise ValueError(f"cannot read duration {text!r}; {_EXAMPLES}")
    amounts = {name: int(value or 0) for name, value in zip(_UNITS.values(), match.groups())}
    duration = timedelta(**amounts)
    if duration <= timedelta(0):
        raise ValueError(f"duration must be greater than zero, not {text!r}")
    return duration
