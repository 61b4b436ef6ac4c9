"""Understand a resident's request to be called back later.

An outbound screening call/SMS asks "Is now a good time?".  The resident may
answer "no, call me in 2 hours", "tomorrow at 9" or just "later".  This module
turns such an answer into the moment to call back.  It is pure: the current
time (``now``) and the household's time zone (``tz``) are arguments, the clock
is never read, and only the standard library is used.

Rules of :func:`parse_callback_time` (English only; text is lower-cased and
punctuation other than ``:`` is ignored):

* Relative times win over everything else: "in an hour", "in 1 hour",
  "in two hours", "in half an hour", "in 30 minutes", "in twenty minutes",
  "in an hour and a half", "in a couple of hours" (2 h), "in a few hours"
  (3 h); "after"/"give me" work like "in".  Result = ``now`` + delta as
  absolute elapsed time in UTC, so "in 24 hours" across a DST change is
  23 or 25 local hours later on the wall clock.
* Parts of day, in local time: morning 09:00, afternoon 14:00, evening
  18:00, tonight/night 19:00.  "this morning/afternoon/evening" and
  "tonight" mean today; if that time is not strictly after ``now`` the
  answer is None (we do not invent a time).  "Good morning" etc. are
  greetings and are ignored.
* Day words: "tomorrow", "day after tomorrow", "today", weekday names
  ("monday", "on monday", "next monday" -> the next such weekday, never
  today).  Priority when several appear: day after tomorrow, tomorrow,
  weekday, today.  A future day without a time means 09:00 local; "today"
  without a time is None.
* Clock times: "at 9", "at 9am", "at 3 pm", "at 15:30", "at 4.30",
  "at half past four", "at quarter to five", "at nine", "at nine thirty",
  "9 o'clock", "noon"/"midday".  Without am/pm, hours 1-7 mean pm, 8-11 am
  and 12 noon; a part of day overrides that ("7 in the morning" -> 07:00,
  "8 tonight" -> 20:00).  0 and 13-23 are 24-hour times.  An impossible
  time ("at 25", "13pm") gives None.
* Combining: with a day word the clock time is on that day ("tomorrow at
  9", "today at 5", "monday evening" -> 18:00).  With no day word, a clock
  time or a bare part of day ("in the morning") is its next occurrence:
  today if strictly after ``now``, else tomorrow.
* "later", "later today", "some other time", "not now", "no", "busy", ""
  name no time -> None.
* DST: a local wall time inside a spring-forward gap is shifted forward by
  the gap (02:30 on the New York spring-forward day -> 03:30 local); an
  ambiguous fall-back time takes its first occurrence (fold=0).
* Any ``str`` is accepted without raising; text that cannot be understood
  gives None.  Only a naive ``now`` (a programming error) raises ValueError.

:func:`mentions_callback` tells a callback request ("call me later",
"I'm busy", "not now", "in an hour", "tomorrow") from a plain refusal ("no",
"not interested", "don't call me again").  A hard refusal wins unless the
text also names a time.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

_WORD_NUMBERS: dict[str, float] = {
    "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3,
    "a quarter of an": 0.25, "quarter of an": 0.25, "half an": 0.5,
    "half a": 0.5, "a half": 0.5, "an": 1, "a": 1, "one": 1, "two": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty five": 45, "forty": 40, "ninety": 90,
}
_HOUR_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve")
_MINUTE_WORDS: dict[str, int] = {"fifteen": 15, "thirty": 30, "forty five": 45}
_AMOUNT = "|".join(re.escape(word) for word in _WORD_NUMBERS)
_RELATIVE_RE = re.compile(
    r"\b(?:in|after|give me)\s+(?:about\s+|around\s+|roughly\s+|like\s+)?"
    rf"(?P<amt>[0-9]{{1,4}}|{_AMOUNT})\s*"
    r"(?P<unit>hours?|hrs?|minutes?|mins?)\b(?P<half>\s+and\s+a\s+half)?"
)
_H = rf"(?P<h>[0-9]{{1,2}}|{_HOUR_WORDS})"
_MER = r"(?:\s*(?P<mer>am|pm)\b)?"
_CLOCK_RES = (
    re.compile(rf"\b(?P<q>half|quarter)\s+(?P<rel>past|to)\s+{_H}\b{_MER}"),
    re.compile(rf"\b{_H}(?::(?P<m>[0-9]{{2}}))?\s*(?P<mer>am|pm)\b"),
    re.compile(rf"\b{_H}\s*o\s?clock\b{_MER}"),
    re.compile(
        rf"\b(?:at|around|about)\s+(?:about\s+|around\s+)?{_H}"
        rf"(?::(?P<m>[0-9]{{2}})|\s+(?P<mw>fifteen|thirty|forty five))?\b{_MER}"
    ),
    re.compile(rf"\b(?P<h>[0-9]{{1,2}}):(?P<m>[0-9]{{2}})\b{_MER}"),
)
_NOON_RE = re.compile(r"\b(?:noon|midday)\b")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday",
             "saturday", "sunday")
_WEEKDAY_RE = re.compile(rf"\b({'|'.join(_WEEKDAYS)})\b")
_TODAY_RE = re.compile(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening|night))\b")
_PART_RE = re.compile(r"\b(morning|afternoon|evening|tonight|night)\b")
_PART_MINUTES = {"morning": 9 * 60, "afternoon": 14 * 60, "evening": 18 * 60,
                 "tonight": 19 * 60, "night": 19 * 60}
_LATER_RE = re.compile(
    r"\b(?:later|another\s+(?:time|day)|other\s+(?:time|day)|not\s+(?:right\s+)?now"
    r"|not\s+(?:a\s+)?good\s+time|bad\s+time|busy|call\s+(?:me\s+)?(?:back|again)"
    r"|callback|ring\s+(?:me\s+)?back|try\s+(?:me\s+)?(?:again|later)"
    r"|get\s+back\s+to\s+me|reschedule|not\s+today|in\s+a\s+(?:bit|while|moment))\b"
)
_REFUSAL_RE = re.compile(
    r"\b(?:(?:dont|do\s+not|never|stop)\s+(?:call|calling|contact|contacting|text"
    r"|texting|ring|ringing|message)|not\s+interested|leave\s+me\s+alone"
    r"|unsubscribe|remove\s+me|wrong\s+number|opt\s+out)\b"
)


class _Clock(NamedTuple):
    """A clock time as written: hour 0-99, minutes offset, optional am/pm."""

    hour: int
    minute: int
    meridiem: str | None


def parse_callback_time(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment the resident asked to be called back, as an aware datetime in UTC.

    `now` must be aware (any zone); a naive `now` raises ValueError.  Returns
    None when the text names no time ("later", "not now", "no", "", "busy")
    or cannot be understood.  Never raises for any str `text`.  See the
    module docstring for the rules.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not isinstance(text, str):
        return None
    try:
        return _parse(_normalize(text), now.astimezone(timezone.utc), tz)
    except (ValueError, OverflowError):
        return None


def mentions_callback(text: str) -> bool:
    """True when the text asks to be contacted later ("call me later", "call back tomorrow", "I'm busy", "not now", "another time", "in an hour") — used to tell a callback request from a plain refusal.

    A hard refusal ("don't call me again", "not interested") makes it False
    unless the text also names a time ("don't call now, call me tomorrow").
    """
    if not isinstance(text, str):
        return False
    t = _normalize(text)
    has_time = _has_time_reference(t)
    if _REFUSAL_RE.search(t) and not has_time:
        return False
    return has_time or _LATER_RE.search(t) is not None


def _normalize(text: str) -> str:
    """Lower-case, drop apostrophes and greetings, keep only [a-z0-9:] words."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("'", "")
    t = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", t)
    t = re.sub(r"(?<![0-9])([0-9]{1,2})\.([0-9]{2})(?![0-9])", r"\1:\2", t)
    t = re.sub(r"[^a-z0-9:]+", " ", t)
    t = re.sub(r"\bgood\s+(?:morning|afternoon|evening|night)\b", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _has_time_reference(t: str) -> bool:
    """Whether normalized text mentions a relative time, day, part of day or clock."""
    if _RELATIVE_RE.search(t) or _WEEKDAY_RE.search(t) or _PART_RE.search(t):
        return True
    if re.search(r"\b(?:tomorrow|today)\b", t) or _NOON_RE.search(t):
        return True
    return _find_clock(t) is not None


def _parse(t: str, now_utc: datetime, tz: ZoneInfo) -> datetime | None:
    """Parse normalized text against a UTC `now`; may raise ValueError/OverflowError."""
    delta = _parse_relative(t)
    if delta is not None:
        return now_utc + delta
    local_now = now_utc.astimezone(tz)
    offset = _parse_day(t, local_now.weekday())
    part = _parse_part_of_day(t)
    clock = _find_clock(t)
    if clock is not None:
        minutes = _clock_minutes(clock, part)
        if minutes is None:
            return None
    elif part is not None:
        minutes = _PART_MINUTES[part]
    elif offset:
        minutes = 9 * 60
    else:
        return None
    return _schedule(local_now.date(), offset, minutes, tz, now_utc)


def _parse_relative(t: str) -> timedelta | None:
    """The delta of "in 2 hours"-style phrases, or None."""
    match = _RELATIVE_RE.search(t)
    if match is None:
        return None
    raw = match.group("amt")
    amount = float(raw) if raw.isdigit() else _WORD_NUMBERS[raw]
    if match.group("half"):
        amount += 0.5
    if match.group("unit").startswith("h"):
        return timedelta(hours=amount)
    return timedelta(minutes=amount)


def _parse_day(t: str, today_weekday: int) -> int | None:
    """Days from today named by the text; 0 for explicit today, None if unnamed."""
    if re.search(r"\bday after tomorrow\b", t):
        return 2
    if re.search(r"\btomorrow\b", t):
        return 1
    weekday = _WEEKDAY_RE.search(t)
    if weekday is not None:
        ahead = (_WEEKDAYS.index(weekday.group(1)) - today_weekday) % 7
        return ahead or 7
    if _TODAY_RE.search(t):
        return 0
    return None


def _parse_part_of_day(t: str) -> str | None:
    """The first part-of-day word in the text ("morning", "tonight", ...), or None."""
    match = _PART_RE.search(t)
    return match.group(1) if match else None


def _find_clock(t: str) -> _Clock | None:
    """The first clock time found, trying the most specific patterns first."""
    for pattern in _CLOCK_RES:
        match = pattern.search(t)
        if match is None:
            continue
        groups = match.groupdict()
        raw = groups["h"]
        hour = int(raw) if raw.isdigit() else int(_WORD_NUMBERS[raw])
        if groups.get("q"):
            size = 30 if groups["q"] == "half" else 15
            minute = size if groups["rel"] == "past" else -size
        elif groups.get("mw"):
            minute = _MINUTE_WORDS[groups["mw"]]
        else:
            minute = int(groups.get("m") or 0)
        return _Clock(hour, minute, groups.get("mer"))
    if _NOON_RE.search(t):
        return _Clock(12, 0, "pm")
    return None


def _clock_minutes(clock: _Clock, part: str | None) -> int | None:
    """Minutes after local midnight for a clock time, or None if impossible."""
    hour, minute, meridiem = clock
    if not -30 <= minute <= 59:
        return None
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif 1 <= hour <= 11:
        if part in ("afternoon", "evening", "tonight", "night"):
            hour += 12
        elif part != "morning" and hour <= 7:
            hour += 12
    elif hour > 23:
        return None
    return (hour * 60 + minute) % (24 * 60)


def _schedule(
    today: date, offset: int | None, minutes: int, tz: ZoneInfo, now_utc: datetime
) -> datetime | None:
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

    zoneinfo follows PEP 495: with fold=0 an ambiguous (fall-back) time is its
    first occurrence, and a time inside a spring-forward gap is converted with
    the offset in force before the gap, so the UTC round trip lands on the wall
    time shifted forward by the gap (02:30 -> 03:30 EDT in New York).
    """
    return naive.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
