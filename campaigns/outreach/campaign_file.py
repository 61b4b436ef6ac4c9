"""Campaign files: the YAML a health office writes to declare a campaign, read into a checked spec.

Every mistake in a file is reported at once, one line each, with its field path
("schedule.rounds[1]") and a plain-English reason. Times are "HH:MM" text. YAML 1.1 reads an
unquoted 16:00 as the base-60 number 960; load_campaign reads it as the time written, and a
mapping already parsed with yaml.safe_load that holds such a number gets a message to quote it.
The models themselves live in campaigns.outreach.campaign_spec (their values in campaign_values)
and are re-exported here.
"""
from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from campaigns.outreach.campaign_spec import (
    CHANNEL_TYPES, OUTCOMES, AnsweringMachine, CampaignSpec, ChannelStep, HouseholdSelection, Pacing, Retries,
    ScheduleSpec, ScreeningRules, Supervisor, WindowSpec,
)
from campaigns.outreach.campaign_values import NEXT_ROUND, CalendarDate, LocalTime, RetryDelay
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of

__all__ = [
    "CHANNEL_TYPES", "NEXT_ROUND", "OUTCOMES", "STORED", "AnsweringMachine", "CalendarDate", "CampaignFileError",
    "CampaignSpec", "ChannelStep", "HouseholdSelection", "LocalTime", "Pacing", "Retries", "RetryDelay",
    "ScheduleSpec", "ScreeningRules", "Supervisor", "WindowSpec", "load_campaign", "parse_campaign",
    "spec_from_json", "spec_to_json",
]

STORED = Path("<stored campaign>")  # the path named in errors from spec_from_json
log = logging.getLogger(__name__)


class CampaignFileError(Exception):
    """A campaign file that cannot be used; str() lists every problem, one line each."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        self.path = Path(path)
        self.problems = list(problems)
        lines = [f"{self.path}: {field}: {what}" if field else f"{self.path}: {what}" for field, what in self.problems]
        super().__init__("\n".join(lines))


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
    return _validate(_stored_language(data), STORED, [])


def _stored_language(data: dict) -> dict:
    """A campaign started before files had to name a language the bot speaks keeps running: its
    language is read as the bot reads it at run time ("en-US" is en; one it does not speak, en)."""
    given = data.get("language", DEFAULT_LANGUAGE)
    if not isinstance(given, str):
        return data
    language = language_of(given)
    if language is None:
        log.warning("stored campaign %s: language %r is not spoken; its calls are in %s",
                    data.get("name"), given, DEFAULT_LANGUAGE)
    return {**data, "language": language or DEFAULT_LANGUAGE}
