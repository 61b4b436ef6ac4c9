"""The moment to call back, from what a reader found in an answer: the clock arithmetic every language shares.

A language's reader turns "tomorrow at 9" or "明天上午九点" into a `When` (a delay, a day, a
part of day, a clock time); `moment` turns that into an aware UTC datetime. It is pure: the
current time (`now`) and the household's time zone (`tz`) are arguments, the clock is never read.

* A delay wins over everything: `now` + delay as elapsed time, so "in 24 hours" across a DST
  change is 23 or 25 local hours later on the wall clock.
* Days: a named day ahead (1 tomorrow, 2 the day after) wins over a weekday (the next such
  day, never today; or that day of next week), which wins over an explicit today (0). A future day without a time means
  09:00 local; today without a time is None.
* Parts of day, local: morning 09:00, noon 12:00, afternoon 14:00, evening 18:00, night 19:00;
  the small hours have no default (a clock time is needed).
* Clock times without am/pm: hours 1-7 mean pm, 8-11 am and 12 noon; a part of day overrides
  that ("7 in the morning" -> 07:00, "8 tonight" -> 20:00, "中午一点" -> 13:00). 0 and 13-23
  are 24-hour times. An impossible time ("at 25", "13pm") gives None.
* With a day, the time is on that day; with no day, a clock time or a bare part of day is its
  next occurrence: today if strictly after `now`, else tomorrow. A time today that is not
  strictly after `now` is None: we do not invent a time.
* DST: a local wall time inside a spring-forward gap is shifted forward by the gap (02:30 on
  the New York spring-forward day -> 03:30 local); an ambiguous fall-back time takes its first
  occurrence (fold=0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, NamedTuple
from zoneinfo import ZoneInfo

MORNING, NOON, AFTERNOON, EVENING, NIGHT, SMALL_HOURS = (
    "morning", "noon", "afternoon", "evening", "night", "small_hours")
_PART_MINUTES = {MORNING: 9 * 60, NOON: 12 * 60, AFTERNOON: 14 * 60, EVENING: 18 * 60, NIGHT: 19 * 60}
_PM_PARTS = {AFTERNOON, EVENING, NIGHT}
_AM_PARTS = {MORNING, SMALL_HOURS}
_DEFAULT_MINUTES = 9 * 60  # a future day named without a time


class Clock(NamedTuple):
    """A clock time as said: hour 0-99, minutes offset (negative: "quarter to"), optional am/pm."""

    hour: int
    minute: int
    meridiem: str | None = None


@dataclass(frozen=True)
class When:
    """What an answer says about the time to call back; every field is optional."""

    delay: timedelta | None = None
    day: int | None = None  # days ahead named by a day word; 0 for an explicit today
    weekday: int | None = None  # 0 = Monday
    week_after: bool = False  # the weekday of next week ("下周五"), not the next such day
    part: str | None = None  # one of the parts of day above
    clock: Clock | None = None

    @property
    def names_a_time(self) -> bool:
        """Whether anything about a time was said."""
        return any(value is not None for value in (self.delay, self.day, self.weekday, self.part, self.clock))


def require_aware(now: datetime) -> None:
    """A naive `now` is a programming error, never a resident's."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


def moment(when: When, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC moment `when` names, or None when it names none (see the module docstring)."""
    require_aware(now)
    try:
        return _moment(when, now.astimezone(timezone.utc), tz)
    except (ValueError, OverflowError):  # past the end of time, or a clock out of range
        return None


def callback_time(read_when: Callable[[str], When], text: object, now: datetime, tz: ZoneInfo) -> datetime | None:
    """What every language's callback reader does around its own `read_when`: a naive `now`
    raises, anything that is not text or that overflows names no time, never an exception."""
    require_aware(now)
    if not isinstance(text, str):
        return None
    try:
        when = read_when(text)
    except (ValueError, OverflowError):  # an amount too large for a timedelta
        return None
    return moment(when, now, tz)


def _moment(when: When, now_utc: datetime, tz: ZoneInfo) -> datetime | None:
    if when.delay is not None:
        return now_utc + when.delay
    local_now = now_utc.astimezone(tz)
    offset = _day_offset(when, local_now.weekday())
    if when.clock is not None:
        minutes = _clock_minutes(when.clock, when.part)
    elif when.part is not None:
        minutes = _PART_MINUTES.get(when.part)
    else:
        minutes = _DEFAULT_MINUTES if offset else None
    if minutes is None:
        return None
    return _schedule(local_now.date(), offset, minutes, tz, now_utc)


def _day_offset(when: When, today_weekday: int) -> int | None:
    """Days from today: a day ahead, else a weekday, else an explicit today (0), else None."""
    if when.day:
        return when.day
    if when.weekday is not None and when.week_after:
        return 7 - today_weekday + when.weekday
    if when.weekday is not None:
        return (when.weekday - today_weekday) % 7 or 7
    return when.day


def _clock_minutes(clock: Clock, part: str | None) -> int | None:
    """Minutes after local midnight for a clock time, or None if impossible."""
    hour, minute, meridiem = clock
    if not -30 <= minute <= 59:
        return None
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif 1 <= hour <= 11:
        if part in _PM_PARTS or (part == NOON and hour < 6) or (part is None and hour <= 7):
            hour += 12
    elif hour > 23:
        return None
    return (hour * 60 + minute) % (24 * 60)


def _schedule(today: date, offset: int | None, minutes: int, tz: ZoneInfo, now_utc: datetime) -> datetime | None:
    """UTC moment for local `minutes` on today+offset; rolls over when offset is None."""
    wall = time(minutes // 60, minutes % 60)
    day = today + timedelta(days=offset or 0)
    candidate = _local_to_utc(datetime.combine(day, wall), tz)
    if candidate > now_utc:
        return candidate
    if offset is None:
        return _local_to_utc(datetime.combine(day + timedelta(days=1), wall), tz)
    return None


def _local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """Convert a naive local wall time in `tz` to an aware UTC datetime.

    zoneinfo follows PEP 495: with fold=0 an ambiguous (fall-back) time is its first
    occurrence, and a time inside a spring-forward gap is converted with the offset in force
    before the gap, so the UTC round trip lands on the wall time shifted forward by the gap
    (02:30 -> 03:30 EDT in New York).
    """
    return naive.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
