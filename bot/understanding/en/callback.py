"""English requests to be called back later: "in 2 hours", "tomorrow at 9", "monday evening".

An outbound screening call/SMS asks "Is now a good time?". The resident may
answer "no, call me in 2 hours", "tomorrow at 9" or just "later". This module
reads what such an answer says about a time into a core `When`; core.callback
turns it into the UTC moment (days, parts of day, am/pm, DST: see there).

Rules of :func:`parse_callback_time` (text is lower-cased and punctuation
other than ``:`` is ignored):

* Relative times win over everything else: "in an hour", "in 1 hour",
  "in two hours", "in half an hour", "in 30 minutes", "in twenty minutes",
  "in an hour and a half", "in a couple of hours" (2 h), "in a few hours"
  (3 h); "after"/"give me" work like "in".
* Parts of day: morning, afternoon, evening, tonight/night. "this
  morning/afternoon/evening" and "tonight" mean today. "Good morning" etc.
  are greetings and are ignored.
* Day words: "tomorrow", "day after tomorrow", "today", weekday names
  ("monday", "on monday", "next monday" -> the next such weekday, never
  today).
* Clock times: "at 9", "at 9am", "at 3 pm", "at 15:30", "at 4.30",
  "at half past four", "at quarter to five", "at nine", "at nine thirty",
  "9 o'clock", "noon"/"midday".
* "later", "later today", "some other time", "not now", "no", "busy", ""
  name no time -> None.
* Any ``str`` is accepted without raising; text that cannot be understood
  gives None. Only a naive ``now`` (a programming error) raises ValueError.

:func:`mentions_callback` tells a callback request ("call me later",
"I'm busy", "not now", "in an hour", "tomorrow") from a plain refusal ("no",
"not interested", "don't call me again"). A hard refusal wins unless the
text also names a time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.understanding.core.callback import NIGHT, Clock, When, callback_time

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


def parse_callback_time(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment the resident asked to be called back, as an aware datetime in UTC.

    `now` must be aware (any zone); a naive `now` raises ValueError.  Returns
    None when the text names no time ("later", "not now", "no", "", "busy")
    or cannot be understood.  Never raises for any str `text`.  See the
    module docstring for the rules.
    """
    return callback_time(lambda said: _read_when(_normalize(said)), text, now, tz)


def mentions_callback(text: str) -> bool:
    """True when the text asks to be contacted later ("call me later", "call back tomorrow",
    "I'm busy", "not now", "another time", "in an hour"): a callback request, not a plain refusal.

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


def _read_when(t: str) -> When:
    """What normalized text says about the time; may raise ValueError/OverflowError."""
    delay = _parse_relative(t)
    if delay is not None:
        return When(delay=delay)
    day, weekday = _parse_day(t)
    return When(day=day, weekday=weekday, part=_parse_part_of_day(t), clock=_find_clock(t))


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


def _parse_day(t: str) -> tuple[int | None, int | None]:
    """(days ahead named by a day word, 0 for explicit today; weekday named), each or None."""
    weekday = _WEEKDAY_RE.search(t)
    weekday_index = _WEEKDAYS.index(weekday.group(1)) if weekday else None
    if re.search(r"\bday after tomorrow\b", t):
        return 2, weekday_index
    if re.search(r"\btomorrow\b", t):
        return 1, weekday_index
    return (0 if _TODAY_RE.search(t) else None), weekday_index


def _parse_part_of_day(t: str) -> str | None:
    """The first part-of-day word in the text, as a core part of day ("tonight" is night), or None."""
    match = _PART_RE.search(t)
    if match is None:
        return None
    return NIGHT if match.group(1) == "tonight" else match.group(1)


def _find_clock(t: str) -> Clock | None:
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
        return Clock(hour, minute, groups.get("mer"))
    if _NOON_RE.search(t):
        return Clock(12, 0, "pm")
    return None
