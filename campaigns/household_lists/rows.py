"""Household-list rows, checked and normalised: pure, no file and no database.

parse_row judges one row alone; FileDuplicates applies the rules that need the rows
before it (a household_id repeated, a phone already taken), given what the database
holds. Reading files is campaigns.household_lists.file; writing the database, campaigns.household_lists.importer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from campaigns.phones import normalize_phone
from campaigns.records.vocabulary import SPOKEN, language_of

REQUIRED_COLUMNS: tuple[str, ...] = ("household_id", "phone")
KNOWN_COLUMNS: tuple[str, ...] = (
    "household_id", "phone", "contact_name", "members", "member_names", "language", "timezone", "community",
    "address", "notes",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("address", "notes")  # a re-import without them leaves them as they were
MAX_ID_LENGTH = 64  # the households.id column
# Any other household field: far above a real name or community, far below what would cost memory
# or fill a screen when a bad export or a runaway quote puts megabytes in one cell.
MAX_FIELD_CHARS = 1000
MAX_MEMBERS = 50
# Defaults a row may take, which the import counts and reports (ImportReport.defaulted).
TIMEZONE_DEFAULTED = "timezone"  # no timezone: the import's default zone
REGION_DEFAULTED = "region"  # a phone number without +country code: read in the import's region
# "3" and "3.0" (what a spreadsheet sometimes writes for a count) are whole numbers; "3.5" is not.
_WHOLE_NUMBER = re.compile(r"\d+(?:\.0*)?")


@dataclass(frozen=True)
class HouseholdRow:
    id: str
    phone: str  # E.164
    contact_name: Optional[str]
    members: int
    member_names: Optional[str]  # ';'-joined, no empty names
    language: str  # a language the bot speaks ("zh"); "" when the list gives none: the campaign's
    timezone: str  # a known IANA name
    community: Optional[str]
    address: Optional[str] = None  # for field visits
    notes: Optional[str] = None
    defaulted: tuple[str, ...] = ()  # TIMEZONE_DEFAULTED, REGION_DEFAULTED: what was not in the row


@dataclass(frozen=True)
class Unreadable:
    """A record the file reader had to give up on (too long to take in), in place of its cells."""

    reason: str


@dataclass(frozen=True)
class Reject:
    line: int  # the physical line (CSV) or row (XLSX) in the file; the header is line 1
    household_id: str  # as written in the file, possibly empty
    reason: str
    raw: dict  # the row as read, lower-cased keys


def parse_row(raw: dict[str, str], *, line: int, region: str, default_timezone: str) -> Union[HouseholdRow, Reject]:
    """The household one row describes, or a Reject giving every problem found in it.

    `raw` maps lower-cased column names to stripped strings (missing keys read as empty).
    National phone numbers are read in `region`; an empty timezone means `default_timezone` (both
    noted in `defaulted`); a language is read leniently ("ZH", "zh-CN", "cmn" are zh) and an empty one
    stays empty (the campaign's language); an empty members count is the number of member_names (at least 1).
    A field over MAX_FIELD_CHARS is reported without the row's other checks, which would echo it.
    """
    problems: list[str] = []
    household_id = _cell(raw, "household_id")
    if not household_id:
        problems.append("missing household_id")
    elif len(household_id) > MAX_ID_LENGTH:
        problems.append(f"household_id longer than {MAX_ID_LENGTH} characters")
    too_long = [f"{key} longer than {MAX_FIELD_CHARS:,} characters"
                for key in KNOWN_COLUMNS[1:] if len(raw.get(key) or "") > MAX_FIELD_CHARS]
    if too_long:
        return Reject(line=line, household_id=household_id, reason="; ".join(problems + too_long), raw=raw)
    phone = _phone(_cell(raw, "phone"), region, problems)
    names = [name.strip() for name in _cell(raw, "member_names").split(";") if name.strip()]
    members = _members(_cell(raw, "members"), names, problems)
    language = _language(_cell(raw, "language"), problems)
    zone = _zone(_cell(raw, "timezone") or default_timezone, problems)
    if problems:
        return Reject(line=line, household_id=household_id, reason="; ".join(problems), raw=raw)
    return HouseholdRow(
        id=household_id,
        phone=phone,
        contact_name=_cell(raw, "contact_name") or None,
        members=members,
        member_names=";".join(names) or None,
        language=language,
        timezone=zone,
        community=_cell(raw, "community") or None,
        address=_cell(raw, "address") or None,
        notes=_cell(raw, "notes") or None,
        defaulted=_defaulted(raw),
    )


def _defaulted(raw: dict[str, str]) -> tuple[str, ...]:
    national = not _cell(raw, "phone").startswith("+")
    return (TIMEZONE_DEFAULTED,) * (not _cell(raw, "timezone")) + (REGION_DEFAULTED,) * national


def _cell(raw: dict[str, str], key: str) -> str:
    return (raw.get(key) or "").strip()


def _phone(text: str, region: str, problems: list[str]) -> str:
    if not text:
        problems.append("missing phone")
        return ""
    phone = normalize_phone(text, region=region)
    if phone is None:
        problems.append(f"invalid phone number {text!r} (region {region})")
        return ""
    return phone


def _members(text: str, names: list[str], problems: list[str]) -> int:
    if not text:
        count = max(len(names), 1)
    elif not _WHOLE_NUMBER.fullmatch(text):
        problems.append(f"members {text!r} is not a whole number")
        return 0
    else:
        count = int(text.partition(".")[0])  # not via float: 400 digits would be infinity, and a crash
    if not 1 <= count <= MAX_MEMBERS:
        problems.append(f"members {count} is not between 1 and {MAX_MEMBERS}")
    elif len(names) > count:
        problems.append(f"member_names lists {len(names)} names but members is {count}")
    return count


def _language(text: str, problems: list[str]) -> str:
    if not text:
        return ""
    language = language_of(text)
    if language is None:
        problems.append(f"unsupported language {text!r} (the bot speaks {SPOKEN})")
        return ""
    return language


def _zone(name: str, problems: list[str]) -> str:
    known = canonical_timezone(name)
    if known is None:
        problems.append(f"unknown timezone {name!r}")
        return ""
    return known


@lru_cache(maxsize=1024)
def canonical_timezone(name: str) -> Optional[str]:
    """The IANA spelling of a time zone name ('asia/shanghai' -> 'Asia/Shanghai'), or None if unknown."""
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return _lower_zone_names().get(name.lower())


@lru_cache(maxsize=1)
def _lower_zone_names() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def row_dict(keys: list[str], values) -> dict[str, str]:
    """The row as a dict: lower-cased column names (empty names skipped) to stripped strings.

    A short row reads as empty cells; cells beyond the header are dropped.
    """
    width = len(values)
    return {key: (values[i].strip() if i < width else "") for i, key in enumerate(keys) if key}


def parse_chunk(records: list, *, keys: list[str], region: str, default_timezone: str) -> list:
    """parse_row over (line, values) records, an Unreadable record a Reject; run in a worker process on long files."""
    return [
        Reject(line=line, household_id="", reason=values.reason, raw={}) if isinstance(values, Unreadable)
        else parse_row(row_dict(keys, values), line=line, region=region, default_timezone=default_timezone)
        for line, values in records
    ]


class FileDuplicates:
    """The rules that need the rest of the file: a household_id or a phone used twice.

    Remembers every household_id seen and every phone accepted (as an int: half the memory
    of the string). Chunks must be checked in file order and written before the next chunk's
    `owners` are looked up.
    """

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.phones: set[int] = set()

    def check(self, items: list, owners: dict) -> list[Optional[str]]:
        """Why each HouseholdRow of a chunk cannot be imported, or None; None for Rejects too.

        `owners` maps phones to the household holding them in the database now, as far as
        this chunk's phones go. A phone held by a household that this chunk moves to
        another number earlier on is free.
        """
        moved: dict[str, str] = {}  # household_id -> phone, accepted in this chunk
        reasons: list[Optional[str]] = []
        for item in items:
            if isinstance(item, Reject):
                if 0 < len(item.household_id) <= MAX_ID_LENGTH:
                    self.ids.add(item.household_id)
                reasons.append(None)
                continue
            reason = self._conflict(item, owners.get(item.phone), moved)
            self.ids.add(item.id)
            if reason is None:
                self.phones.add(int(item.phone[1:]))
                moved[item.id] = item.phone
            reasons.append(reason)
        return reasons

    def _conflict(self, row: HouseholdRow, owner: Optional[str], moved: dict[str, str]) -> Optional[str]:
        if row.id in self.ids:
            return f"household_id {row.id} repeated in this file"
        if int(row.phone[1:]) in self.phones:
            holder = next((key for key, phone in moved.items() if phone == row.phone), owner)
            return f"phone already used by household {holder or '(unknown)'} earlier in this file"
        if owner is not None and owner != row.id and owner not in moved:
            return f"phone already used by household {owner} in the database"
        return None
