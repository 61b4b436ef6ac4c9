"""Campaign files: the YAML a health office writes to declare a campaign, read into a checked spec.

Every mistake in a file is reported at once, one line each, with its field path
("schedule.rounds[1]") and a plain-English reason. Times are "HH:MM" text. YAML 1.1 reads an
unquoted 16:00 as the base-60 number 960; load_campaign reads it as the time written, and a
mapping already parsed with yaml.safe_load that holds such a number gets a message to quote it.
"""
from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, List, Literal, Optional

import phonenumbers
import yaml
from pydantic import BaseModel, Extra, ValidationError, conint, confloat, root_validator, validator
from pydantic.error_wrappers import ErrorWrapper

from campaigns.schedule import Window, parse_duration
from campaigns.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

NEXT_ROUND = "next_round"
CHANNEL_TYPES = ("voice", "sms", "chat_link")
OUTCOMES = ("busy", "no_answer", "failed", "machine")
STORED = Path("<stored campaign>")  # the path named in errors from spec_from_json

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")
_EMERGENCY = re.compile(r"\+?\d{2,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CampaignFileError(Exception):
    """A campaign file that cannot be used; str() lists every problem, one line each."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        self.path = Path(path)
        self.problems = list(problems)
        lines = [f"{self.path}: {field}: {what}" if field else f"{self.path}: {what}" for field, what in self.problems]
        super().__init__("\n".join(lines))


def _format_time(value: time) -> str:
    return value.strftime("%H:%M")


def _fail(problems: list[tuple[tuple, str]]) -> None:
    """Raise errors at sub-paths of the field being validated; pydantic prefixes the field's path."""
    if problems:
        raise ValidationError([ErrorWrapper(ValueError(what), loc=loc) for loc, what in problems], _Model)


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


def _valid_phone(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    try:
        number = phonenumbers.parse(value, None)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid or phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != value:
        hint = "" if value.startswith("+") else " (it starts with + and the country code; quote it in YAML)"
        raise ValueError(f"{value!r} is not a phone number in E.164 form like +14155550100{hint}")
    return value


def _number(value: Any) -> Any:
    # pydantic would take "10" or true as numbers; a campaign file should say what it means.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{value!r} is not a number")
    return value


class _Model(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False
        json_encoders = {time: _format_time, timedelta: lambda d: f"{int(d.total_seconds())}s"}


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
        _fail([((i,), f"{_format_time(t)} is given twice") for i, t in enumerate(rounds) if t in rounds[:i]])
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
        return f"{_format_time(self.start)}-{_format_time(self.end)}"


class Pacing(_Model):
    calls_per_second: confloat(gt=0, le=1000) = 10.0
    max_concurrent_calls: conint(strict=True, ge=1, le=10000) = 50
    sms_per_second: confloat(gt=0, le=1000) = 10.0

    _numbers = validator("calls_per_second", "sms_per_second", pre=True, allow_reuse=True)(_number)


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

    _numbers = validator("fever_threshold_c", pre=True, allow_reuse=True)(_number)

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

    _phone = validator("phone", allow_reuse=True)(_valid_phone)

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
    language: str = "en"
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

    _caller_id = validator("caller_id", allow_reuse=True)(_valid_phone)

    @validator("name")
    def _id_like(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not a campaign name: use up to 64 lowercase letters, "
                             "digits, - or _, starting with a letter or digit")
        return value

    @validator("language")
    def _language_code(cls, value: str) -> str:
        if not _LANGUAGE.fullmatch(value):
            raise ValueError(f"{value!r} is not a language code like en or zh")
        return value

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
            _fail([(("schedule", "rounds", i), f"{_format_time(t)} is outside the calling window {window}")
                   for i, t in enumerate(schedule.rounds) if not inside.contains(t)])
        return values

    def window(self) -> Window:
        """The daily calling window in each household's local time."""
        return Window(self.calling_window.start, self.calling_window.end)

    def days(self) -> list[date]:
        """The campaign's local dates, first to last."""
        start = self.schedule.start
        count = self.schedule.days or (self.schedule.end - start).days + 1
        return [start + timedelta(days=i) for i in range(count)]

    def retry_delay(self, outcome: str) -> Optional[timedelta]:
        """How long to wait after an attempt ended with `outcome`; None means the next round."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown attempt outcome {outcome!r} (known: {', '.join(OUTCOMES)})")
        return getattr(self.retries, outcome)


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps unquoted times like 16:00 as text and refuses duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key_node.value!r}", key_node.start_mark)
            seen.add(getattr(key_node, "value", None) if isinstance(key_node, yaml.ScalarNode) else id(key_node))
        return super().construct_mapping(node, deep=deep)


_INT = "tag:yaml.org,2002:int"
# YAML 1.1's int pattern without its last, base-60 branch ([1-9][0-9_]*(:[0-5]?[0-9])+).
_INT_NO_SEXAGESIMAL = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, _INT_NO_SEXAGESIMAL if tag == _INT else pattern) for tag, pattern in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_campaign(path: Path) -> CampaignSpec:
    """Read and check a campaign file; raise CampaignFileError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CampaignFileError(path, [("", "no such file")]) from None
    except IsADirectoryError:
        raise CampaignFileError(path, [("", "is a folder, not a campaign file")]) from None
    except UnicodeDecodeError:
        raise CampaignFileError(path, [("", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise CampaignFileError(path, [("", f"cannot be read: {exc.strerror}")]) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CampaignFileError(path, [("", _yaml_problem(exc))]) from None
    return parse_campaign(data, path=path)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return f"is not valid YAML: {exc}"
    return f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"


def parse_campaign(data: dict, *, path: Path) -> CampaignSpec:
    """Check an already-parsed campaign file; `path` names it in errors and anchors households.file."""
    path = Path(path)
    if data is None:
        raise CampaignFileError(path, [("", "is empty; a campaign needs at least a name and a schedule")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        raise CampaignFileError(path, [("", f"must be a mapping of campaign fields (name:, schedule:, ...), "
                                            f"not {kind}")])
    data, problems = _resolve_household_file(data, base=path.parent)
    return _validate(data, path, problems)


def _validate(data: dict, path: Path, problems: list[tuple[str, str]]) -> CampaignSpec:
    try:
        spec = CampaignSpec.parse_obj(data)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()] + problems
    if problems:
        order = list(CampaignSpec.__fields__)
        problems.sort(key=lambda p: order.index(_top(p[0])) if _top(p[0]) in order else len(order))
        raise CampaignFileError(path, problems)
    return spec


def _top(field: str) -> str:
    return re.split(r"[.\[]", field, 1)[0]


def _resolve_household_file(data: dict, *, base: Path) -> tuple[dict, list[tuple[str, str]]]:
    households = data.get("households")
    if not (isinstance(households, dict) and isinstance(households.get("file"), str)):
        return data, []
    given = households["file"]
    resolved = (base / given).resolve()
    return {**data, "households": {**households, "file": str(resolved)}}, _household_file_problems(given, resolved)


def _household_file_problems(given: str, resolved: Path) -> list[tuple[str, str]]:
    def problem(what: str) -> list[tuple[str, str]]:
        return [("households.file", what)]

    if not resolved.is_file():
        what = "is a folder, not a CSV file" if resolved.is_dir() else "does not exist"
        return problem(f"{given} {what} (looked for {resolved})")
    try:
        with resolved.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return problem(f"{given} cannot be read as UTF-8 CSV: {exc}")
    if not header:
        return problem(f"{given} is empty; it needs a header row with a household_id column")
    if "household_id" not in [column.strip() for column in header]:
        return problem(f"{given} has no household_id column (columns: {', '.join(header)})")
    return []


_MESSAGES = {
    "value_error.missing": "is required",
    "type_error.none.not_allowed": "must not be empty",
    "type_error.integer": "must be a whole number",
    "type_error.float": "must be a number",
    "type_error.str": "must be text",
    "type_error.list": "must be a list",
    "type_error.dict": "must be a mapping of fields",
    "type_error.path": "must be a file path",
    "value_error.const": "must be one of {permitted}",
    "value_error.number.not_gt": "must be greater than {limit_value}",
    "value_error.number.not_ge": "must be at least {limit_value}",
    "value_error.number.not_lt": "must be less than {limit_value}",
    "value_error.number.not_le": "must be at most {limit_value}",
}


def _problem(error: dict) -> tuple[str, str]:
    loc = tuple(part for part in error["loc"] if part != "__root__")
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    kind = error["type"]
    if kind == "value_error.extra":
        known = _known_fields(loc[:-1])
        return field, "is not a known field" + (f" (known: {', '.join(known)})" if known else "")
    if kind in ("value_error", "type_error"):  # raised by our validators: already plain English
        return field, error["msg"]
    template = _MESSAGES.get(kind)
    if template is None:
        return field, error["msg"]
    ctx = {key: _plain(value) for key, value in error.get("ctx", {}).items()}
    return field, template.format(**ctx)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _known_fields(loc: tuple) -> list[str]:
    model: Any = CampaignSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.__fields__.get(part)
        model = field.type_ if field else None
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
    return [name for name in model.__fields__ if not (model is HouseholdSelection and name == "mode")]


def spec_to_json(spec: CampaignSpec) -> str:
    """The spec as JSON, for storing a started campaign; spec_from_json reads it back."""
    data = json.loads(spec.json())
    for outcome in OUTCOMES:
        if data["retries"][outcome] is None:
            data["retries"][outcome] = NEXT_ROUND
    return json.dumps(data, sort_keys=True)


def spec_from_json(text: str) -> CampaignSpec:
    """A spec stored by spec_to_json. The household file is not looked for again."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CampaignFileError(STORED, [("", f"is not valid JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise CampaignFileError(STORED, [("", "is not a stored campaign")])
    return _validate(data, STORED, [])
