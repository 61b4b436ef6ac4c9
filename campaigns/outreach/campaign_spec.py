"""Campaign specs: the checked shape of a campaign file, as pydantic (v1) models.

Validators raise plain-English messages; campaigns.outreach.campaign_file turns them into field-path
errors. The values the models are made of (times, dates, delays, numbers, languages, voices) are
read by campaigns.outreach.campaign_values.
"""
from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional

from pydantic import BaseModel, Extra, ValidationError, conint, confloat, root_validator, validator
from pydantic.error_wrappers import ErrorWrapper

from campaigns.outreach.campaign_values import (
    NEXT_ROUND, CalendarDate, LocalTime, RetryDelay, format_time, number, spoken_language, valid_phone, voice_name,
)
from campaigns.outreach.schedule import Window, campaign_days
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

CHANNEL_TYPES = ("voice", "sms", "chat_link")
OUTCOMES = ("busy", "no_answer", "failed", "machine")

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_EMERGENCY = re.compile(r"\+?\d{2,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _fail(problems: list[tuple[tuple, str]]) -> None:
    """Raise errors at sub-paths of the field being validated; pydantic prefixes the field's path."""
    if problems:
        raise ValidationError([ErrorWrapper(ValueError(what), loc=loc) for loc, what in problems], _Model)


class _Model(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False
        json_encoders = {time: format_time, timedelta: lambda d: f"{int(d.total_seconds())}s"}


class ChannelStep(_Model):
    type: str
    attempts: Optional[conint(strict=True, ge=1, le=50)] = None  # None: no limit (last step only)

    @validator("type")
    def _known_type(cls, value: str) -> str:
        if value not in CHANNEL_TYPES:
            raise ValueError(f"unknown channel type {value!r} (known: {', '.join(CHANNEL_TYPES)})")
        return value


class HouseholdSelection(_Model):
    mode: Literal["all", "community", "file"]
    community: Optional[str] = None
    file: Optional[Path] = None  # absolute, resolved against the campaign file's folder

    @root_validator(skip_on_failure=True)
    def _one_target(cls, values: dict) -> dict:
        mode, community, file = values["mode"], values["community"], values["file"]
        if mode == "community" and not (community or "").strip():
            _fail([(("community",), "must name a community")])
        if (mode == "file") != (file is not None) or (mode != "community" and community is not None):
            raise ValueError("must be all, {community: NAME} or {file: PATH}")
        return values


class ScheduleSpec(_Model):
    start: CalendarDate
    days: Optional[conint(strict=True, ge=1, le=366)] = None
    end: Optional[CalendarDate] = None
    rounds: List[LocalTime]

    @validator("rounds")
    def _rounds(cls, rounds: list[time]) -> list[time]:
        if not 1 <= len(rounds) <= 24:
            raise ValueError(f"give 1 to 24 rounds, not {len(rounds)}")
        _fail([((i,), f"{format_time(t)} is given twice") for i, t in enumerate(rounds) if t in rounds[:i]])
        return rounds

    @root_validator(skip_on_failure=False)
    def _days_or_end(cls, values: dict) -> dict:
        if "days" not in values or "end" not in values:
            return values  # the broken field has its own message
        days, end, start = values["days"], values["end"], values.get("start")
        if days is not None and end is not None:
            raise ValueError("give either days or end, not both")
        if days is None and end is None:
            raise ValueError("give days (how many) or end (the last date)")
        if end is not None and start is not None and end < start:
            _fail([(("end",), f"{end} is before the start {start}")])
        return values


class WindowSpec(_Model):
    start: LocalTime
    end: LocalTime  # at or before start: the window crosses midnight

    @root_validator(skip_on_failure=True)
    def _not_empty(cls, values: dict) -> dict:
        if values["start"] == values["end"]:
            raise ValueError("start and end must differ")
        return values

    def __str__(self) -> str:
        return f"{format_time(self.start)}-{format_time(self.end)}"


class Pacing(_Model):
    calls_per_second: confloat(gt=0, le=1000) = 10.0
    max_concurrent_calls: conint(strict=True, ge=1, le=10000) = 50
    sms_per_second: confloat(gt=0, le=1000) = 10.0

    _numbers = validator("calls_per_second", "sms_per_second", pre=True, allow_reuse=True)(number)


class Retries(_Model):
    busy: Optional[RetryDelay] = timedelta(minutes=10)  # None: wait for the next round
    no_answer: Optional[RetryDelay] = timedelta(hours=2)
    failed: Optional[RetryDelay] = None
    machine: Optional[RetryDelay] = None
    max_attempts_per_day: conint(strict=True, ge=1, le=50) = 4

    @validator(*OUTCOMES, pre=True)
    def _given(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(f"give a duration like 90s, 10m, 2h or {NEXT_ROUND}")
        return value


class AnsweringMachine(_Model):
    leave_message: bool = False
    message: Optional[str] = None

    @validator("leave_message", pre=True)
    def _bool(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise TypeError(f"{value!r} is not true or false")
        return value

    @validator("message")
    def _short(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and len(value) > 300:
            raise ValueError(f"must be at most 300 characters, not {len(value)}")
        return value

    @root_validator(skip_on_failure=True)
    def _message_when_leaving(cls, values: dict) -> dict:
        if values["leave_message"] and not (values["message"] or "").strip():
            _fail([(("message",), "is required when leave_message is true")])
        return values


class ScreeningRules(_Model):
    fever_threshold_c: confloat(ge=35.0, le=40.0) = 37.3
    symptoms: List[str] = list(SYMPTOM_CODES)
    red_flags: List[str] = list(RED_FLAG_CODES)
    emergency_number: str = "120"

    _numbers = validator("fever_threshold_c", pre=True, allow_reuse=True)(number)

    @validator("symptoms", each_item=True)
    def _known_symptom(cls, value: str) -> str:
        if value not in SYMPTOM_CODES:
            raise ValueError(f"unknown symptom {value!r} (known: {', '.join(SYMPTOM_CODES)})")
        return value

    @validator("red_flags", each_item=True)
    def _known_red_flag(cls, value: str) -> str:
        if value not in RED_FLAG_CODES:
            raise ValueError(f"unknown red flag {value!r} (known: {', '.join(RED_FLAG_CODES)})")
        return value

    @validator("emergency_number", pre=True)
    def _dialable(cls, value: Any) -> str:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(text, str) and _EMERGENCY.fullmatch(text)):
            hint = ' (quote it in YAML, like "120")' if not isinstance(value, str) else ""
            raise ValueError(f"{value!r} is not a number to dial: 2 to 15 digits, may start with +{hint}")
        return text


class Supervisor(_Model):
    name: str
    phone: Optional[str] = None
    email: Optional[str] = None

    _phone = validator("phone", allow_reuse=True)(valid_phone)

    @validator("name")
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @validator("email")
    def _email(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @root_validator(skip_on_failure=False)
    def _reachable(cls, values: dict) -> dict:
        if "phone" in values and "email" in values and not (values["phone"] or values["email"]):
            raise ValueError("give a phone or an email to reach this supervisor")
        return values


class CampaignSpec(_Model):
    name: str
    description: Optional[str] = None
    language: str = "en"  # the conversation's language for households whose list gives none
    voice: Optional[str] = None  # the Twilio <Say> voice of `language` (Polly.Joanna); kept for older files
    voices: Dict[str, str] = {}  # a Twilio <Say> voice per language; a language not named uses its default
    caller_id: Optional[str] = None  # E.164; dry runs don't need one
    channels: List[ChannelStep] = [ChannelStep(type="voice")]
    households: HouseholdSelection = HouseholdSelection(mode="all")
    schedule: ScheduleSpec
    calling_window: WindowSpec = WindowSpec(start=time(8, 0), end=time(20, 0))
    pacing: Pacing = Pacing()
    retries: Retries = Retries()
    answering_machine: AnsweringMachine = AnsweringMachine()
    screening: ScreeningRules = ScreeningRules()
    notify: List[Supervisor] = []

    _caller_id = validator("caller_id", allow_reuse=True)(valid_phone)

    @validator("name")
    def _id_like(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a campaign name: use up to 64 lowercase letters, "
                             "digits, - or _, starting with a letter or digit")
        return value

    @validator("language", pre=True)
    def _language_code(cls, value: Any) -> str:
        return spoken_language(value)

    @validator("voice")
    def _voice_name(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else voice_name(value)

    @validator("voices", pre=True)
    def _voice_per_language(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("must be a mapping of language to voice, like {en: Polly.Joanna, zh: Polly.Zhiyu}")
        problems = []
        for language, voice in value.items():
            for check, given in ((spoken_language, language), (voice_name, voice)):
                try:
                    check(given)
                except ValueError as exc:
                    problems.append(((str(language),), str(exc)))
                    break
        _fail(problems)
        return value

    @root_validator(skip_on_failure=False)
    def _one_voice_per_language(cls, values: dict) -> dict:
        """`voice` is the voice of `language`: it is that entry of `voices`, and must not contradict it."""
        language, voice, voices = values.get("language"), values.get("voice"), values.get("voices")
        if language is None or voice is None or voices is None:
            return values
        named = voices.get(language)
        if named is not None and named != voice:
            _fail([(("voice",), f"{voice!r} is the {language} voice, but voices.{language} is {named!r}; "
                                f"name the {language} voice once")])
        return {**values, "voices": {**voices, language: voice}}

    @validator("channels")
    def _channel_order(cls, steps: list[ChannelStep]) -> list[ChannelStep]:
        if not steps:
            raise ValueError("give at least one channel")
        problems = [((i, "attempts"), "is required on every channel but the last")
                    for i, step in enumerate(steps[:-1]) if step.attempts is None]
        types = [step.type for step in steps]
        problems += [((i,), f"{t} is listed twice") for i, t in enumerate(types) if t in types[:i]]
        _fail(problems)
        return steps

    @validator("households", pre=True)
    def _selection(cls, value: Any) -> Any:
        if value == "all" or (isinstance(value, dict) and "mode" in value):
            return {"mode": "all"} if value == "all" else value  # the stored form passes as it is
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError("must be all, {community: NAME} or {file: PATH}")
        (key, target), = value.items()
        if key not in ("community", "file"):
            _fail([((key,), "is not a known field (known: community, file)")])
        return {"mode": key, key: target}

    @root_validator(skip_on_failure=False)
    def _rounds_in_window(cls, values: dict) -> dict:
        schedule, window = values.get("schedule"), values.get("calling_window")
        if schedule and window:
            inside = Window(window.start, window.end)
            _fail([(("schedule", "rounds", i), f"{format_time(t)} is outside the calling window {window}")
                   for i, t in enumerate(schedule.rounds) if not inside.contains(t)])
        return values

    def window(self) -> Window:
        """The daily calling window in each household's local time."""
        return Window(self.calling_window.start, self.calling_window.end)

    def days(self) -> list[date]:
        """The campaign's local dates, first to last."""
        return campaign_days(self.schedule.start, days=self.schedule.days, end=self.schedule.end)

    def retry_delay(self, outcome: str) -> Optional[timedelta]:
        """How long to wait after an attempt ended with `outcome`; None means the next round."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown attempt outcome {outcome!r} (known: {', '.join(OUTCOMES)})")
        return getattr(self.retries, outcome)
