"""A household's people in words: their names from the household list, and each one's latest
reading as a case shows it, e.g. "Lena (contact), 38.3 °C, difficulty breathing; Jun, 37.9 °C". Pure.

A case keeps its people as JSON (escalations.people): one entry per person index, so a later
screening of the household replaces that person's reading and adds anyone new.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable, Optional

from campaigns.records.models import Screening

DETAIL_MAX = 500  # characters of a case's detail: what the queue and the supervisors' texts show
NOT_JUDGED = "not judged: "  # how assessment starts the reason of a person it could not judge
# Codes whose words are not simply the code with spaces.
_WORDS = {"nausea_vomiting": "nausea or vomiting"}


def roster(*, contact_name: Optional[str], member_names: Optional[str],
           members: Optional[int] = 1) -> list[str]:
    """Names by person index, the contact first. The list is ';'-separated with the contact first;
    a contact it does not name is put before it when the list is short of the household's size."""
    names = [name.strip() for name in (member_names or "").split(";") if name.strip()]
    contact = (contact_name or "").strip()
    if not contact:
        return names
    if contact in names:
        names.remove(contact)
        return [contact, *names]
    # The list names everyone, so its first name is the contact's (spelt another way).
    return [contact, *(names[1:] if len(names) >= max(members or 1, 1) else names)]


def name_of(names: list[str], index: int) -> Optional[str]:
    return names[index] if 0 <= index < len(names) else None


def label(index: int, name: Optional[str]) -> str:
    """How a person is called in a case: 'Lena (contact)', 'contact', 'Jun' or 'member 2'."""
    if index == 0:
        return f"{name} (contact)" if name else "contact"
    return name or f"member {index + 1}"


def reading(row: Screening, *, name: Optional[str] = None) -> dict:
    """One person's entry in a case, from their screening row."""
    note = None
    if not row.abnormal and row.reason:  # a person no judgement could be made of: say what is missing
        note = row.reason[len(NOT_JUDGED):] if row.reason.startswith(NOT_JUDGED) else row.reason
    return {"index": row.person_index, "name": row.person_name or name,
            "temperature_c": row.temperature_c, "feels_feverish": row.feels_feverish,
            "symptoms": _split(row.symptoms), "red_flags": _split(row.red_flags), "note": note,
            "screening_id": row.id, "at": _stamp(row.finished_at)}


def merged(old: Iterable[dict], new: Iterable[dict]) -> list[dict]:
    """Each person once, with their latest reading, in person order."""
    people: dict[int, dict] = {}
    for entry in [*old, *new]:
        kept = people.get(entry["index"])
        if kept is None or (entry.get("at") or "") >= (kept.get("at") or ""):
            people[entry["index"]] = entry
    return [people[index] for index in sorted(people)]


def describe(people: list[dict]) -> str:
    """The people in words, as many as fit in DETAIL_MAX characters, then how many more."""
    words = [person_words(entry) for entry in people]
    for shown in range(len(words), 0, -1):
        rest = len(words) - shown
        text = "; ".join(words[:shown]) + (f"; and {rest} more" if rest else "")
        if len(text) <= DETAIL_MAX:
            return text
    return words[0][:DETAIL_MAX] if words else ""


def person_words(entry: dict) -> str:
    parts = [label(entry["index"], entry.get("name"))]
    if entry.get("temperature_c") is not None:
        parts.append(f"{entry['temperature_c']:.1f} °C")
    if entry.get("feels_feverish"):
        parts.append("feels feverish")
    parts.extend(code_words(code) for code in [*entry.get("symptoms", ()), *entry.get("red_flags", ())])
    if entry.get("note"):
        parts.append(entry["note"])
    return ", ".join(parts)


def code_words(code: str) -> str:
    return _WORDS.get(code, code.replace("_", " "))


def joined_detail(old: str, new: str) -> str:
    """A case's detail with a new request's words added; the oldest give way when it is full."""
    if not old or new in old.split("; "):
        return (old or new)[:DETAIL_MAX]
    pieces = [*old.split("; "), new]
    while len(pieces) > 1 and len("; ".join(pieces)) > DETAIL_MAX:
        pieces.pop(0)
    return "; ".join(pieces)[:DETAIL_MAX]


def load(text: Optional[str]) -> list[dict]:
    return json.loads(text) if text else []


def dump(people: list[dict]) -> Optional[str]:
    return json.dumps(people, ensure_ascii=False, separators=(",", ":")) if people else None


def latest(*times: Optional[datetime]) -> Optional[datetime]:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _stamp(at: Optional[datetime]) -> Optional[str]:
    # One fixed UTC form, so later readings sort after earlier ones as text.
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if at else None


def _split(codes: Optional[str]) -> list[str]:
    return [code for code in (codes or "").split(";") if code]
