"""The values a campaign file is made of, each read with a plain-English message when it is wrong:
"HH:MM" times, dates, retry delays, E.164 numbers, the languages the bot speaks and voice names.

Pure functions and pydantic (v1) field types; campaigns.outreach.campaign_spec builds the models
from them. Times are "HH:MM" text: a YAML 1.1 number such as 960 (an unquoted 16:00) gets a
message to quote it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

import phonenumbers

from campaigns.outreach.schedule import parse_duration
from campaigns.records.vocabulary import LANGUAGES, SPOKEN, language_of

NEXT_ROUND = "next_round"
_VOICE = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,63}")
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def format_time(value: time) -> str:
    """"HH:MM", as a campaign file writes a time."""
    return value.strftime("%H:%M")


class LocalTime(time):
    """A wall-clock time written "HH:MM"."""

    @classmethod
    def __get_validators__(cls):
        yield _parse_time


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 60 <= value < 24 * 60:
            written = f"{value // 60}:{value % 60:02d}"
            raise ValueError(f'{value} is not a time of day (HH:MM): YAML read an unquoted {written} '
                             f'as the number {value}; quote it, like "{value // 60:02d}:{value % 60:02d}"')
        raise ValueError(f'{value} is not a time of day (HH:MM); write it as quoted text, like "09:00"')
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{value!r} is not a time of day (HH:MM)")
    return time(int(match[1]), int(match[2]))


class CalendarDate(date):
    """A date: a YAML date or "YYYY-MM-DD" text."""

    @classmethod
    def __get_validators__(cls):
        yield _parse_date


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{value} is a date and time; give only the date (YYYY-MM-DD)")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _no_date(value)
    except ValueError:
        return _no_date(value)


def _no_date(value: Any) -> date:
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


class RetryDelay(timedelta):
    """How long to wait before trying again: "90s", "10m", "2h", or next_round (None)."""

    @classmethod
    def __get_validators__(cls):
        yield _parse_retry_delay


def _parse_retry_delay(value: Any) -> Optional[timedelta]:
    if value == NEXT_ROUND:
        return None
    try:
        return parse_duration(value) if isinstance(value, str) else _no_duration(value)
    except ValueError:
        return _no_duration(value)


def _no_duration(value: Any) -> timedelta:
    raise ValueError(f"{value!r} is not a duration like 90s, 10m, 2h or {NEXT_ROUND}")


def valid_phone(value: Optional[str]) -> Optional[str]:
    """A phone number in E.164 form, or None."""
    if value is None:
        return None
    try:
        parsed = phonenumbers.parse(value, None)
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid or phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != value:
        hint = "" if value.startswith("+") else " (it starts with + and the country code; quote it in YAML)"
        raise ValueError(f"{value!r} is not a phone number in E.164 form like +14155550100{hint}")
    return value


def spoken_language(value: Any) -> str:
    """A language code the bot speaks, written exactly: "zh-CN" gets a message naming "zh"."""
    if isinstance(value, str) and value in LANGUAGES:
        return value
    meant = language_of(value) if isinstance(value, str) else None
    if meant:
        raise ValueError(f"{value!r} is not one of the bot's language codes ({SPOKEN}); write {meant}")
    raise ValueError(f"{value!r} is not a language the bot speaks ({SPOKEN})")


def voice_name(value: Any) -> str:
    """A Twilio <Say> voice name such as Polly.Joanna."""
    if not (isinstance(value, str) and _VOICE.fullmatch(value)):
        raise ValueError(f"{value!r} is not a voice name like Polly.Joanna or Google.en-US-Standard-C")
    return value


def number(value: Any) -> Any:
    """A YAML number as written: never text or true."""
    # pydantic would take "10" or true as numbers; a campaign file should say what it means.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{value!r} is not a number")
    return value
