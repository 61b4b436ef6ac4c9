"""Turn a finished (or interrupted) screening state into one result per person. Pure."""
from __future__ import annotations

from typing import Optional

from dataclasses import dataclass
from enum import Enum

from campaigns.records.models import Outcome


class Ending(str, Enum):
    finished = "finished"  # the form ran to its end
    opted_out = "opted_out"  # the resident asked never to be contacted again
    wrong_number = "wrong_number"  # the number is not this household's
    abandoned = "abandoned"  # the conversation stopped before the end


@dataclass(frozen=True)
class PersonResult:
    person_index: int  # 0 = the household contact
    outcome: Outcome
    temperature_c: float | None = None
    temperature_said: str | None = None
    feels_feverish: bool | None = None
    symptoms: tuple[str, ...] | None = None
    red_flags: tuple[str, ...] | None = None
    abnormal: bool = False
    urgent: bool = False
    reason: str | None = None
    unclear: bool = False  # an answer stayed unclear: a person should check
    reported_by_contact: bool = False


def assess(person: dict, *, fever_threshold_c: float, symptoms: Optional[frozenset[str]] = None,
           red_flags: Optional[frozenset[str]] = None) -> tuple[bool, bool, str | None]:
    """(abnormal, urgent, reason) for one person's answers.

    Abnormal: temperature at or above the threshold, feeling feverish, or a symptom of the
    campaign's set (None: every symptom). Urgent: a red flag of the campaign's set (None:
    every red flag); a red flag outside the set still makes the person abnormal.
    """
    reasons = []
    temp = person.get("temperature_c")
    if temp is not None and temp >= fever_threshold_c:
        reasons.append(f"temperature {temp:.1f} C >= {fever_threshold_c:.1f} C")
    if person.get("feels_feverish"):
        reasons.append("feels feverish")
    counted = [code for code in person.get("symptoms") or () if symptoms is None or code in symptoms]
    if counted:
        reasons.append("symptoms: " + ", ".join(counted))
    if person.get("red_flags"):
        reasons.append("red flags: " + ", ".join(person["red_flags"]))
    urgent = any(red_flags is None or code in red_flags for code in person.get("red_flags") or ())
    return bool(reasons), urgent, "; ".join(reasons) or None


def unclear_parts(person: dict) -> list[str]:
    """The answers that were asked but not understood, or never given."""
    parts = []
    if person.get("temperature_c") is None and not person.get("not_measured"):
        parts.append("temperature unclear" if person.get("temperature_said") else "temperature not given")
    if person.get("not_measured") and person.get("feels_feverish") is None:
        parts.append("fever feeling not given")
    if person.get("symptoms") is None:
        parts.append("symptoms not given")
    return parts


def person_result(person: dict, index: int, outcome: str, *, fever_threshold_c: float,
                  symptoms: Optional[frozenset[str]] = None,
                  red_flags: Optional[frozenset[str]] = None) -> PersonResult:
    """One person's row: what they said, and the judgement made of it."""
    abnormal, urgent, reason = assess(person, fever_threshold_c=fever_threshold_c, symptoms=symptoms,
                                      red_flags=red_flags)
    unclear = unclear_parts(person)
    if not abnormal and unclear:
        reason = "not judged: " + ", ".join(unclear)
    return PersonResult(
        person_index=index,
        outcome=outcome,
        temperature_c=person.get("temperature_c"),
        temperature_said=person.get("temperature_said"),
        feels_feverish=person.get("feels_feverish"),
        symptoms=_codes(person.get("symptoms")),
        red_flags=_codes(person.get("red_flags")),
        abnormal=abnormal,
        urgent=urgent,
        reason=reason,
        unclear=bool(unclear) and not abnormal,
        reported_by_contact=index > 0,
    )


def _codes(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def summarize(state: dict, *, ending: Ending, members: int, fever_threshold_c: float,
              symptoms: Optional[frozenset[str]] = None,
              red_flags: Optional[frozenset[str]] = None) -> list[PersonResult]:
    """Every row this screening produces, contact first.

    Household members the contact said were well get a row each (reported by the contact);
    when that question went unanswered nobody else gets a row, because nobody said so.
    """
    if ending is Ending.wrong_number:
        return [PersonResult(0, Outcome.wrong_number, reason="the number is not this household's")]
    if state["refused"]:
        return [PersonResult(0, Outcome.refused, reason="declined the screening")]
    if state["callback"] is not None:
        return [PersonResult(0, Outcome.callback_requested, reason="asked to be contacted later")]
    people = state["people"]
    if not people:
        outcome = Outcome.opted_out if ending is Ending.opted_out else Outcome.partial
        return [PersonResult(0, outcome, reason="no answers given", unclear=ending is not Ending.opted_out)]
    contact_outcome = {Ending.opted_out: Outcome.opted_out, Ending.finished: Outcome.completed}.get(ending, Outcome.partial)
    other_outcome = Outcome.completed if ending is Ending.finished else Outcome.partial
    rules = {"fever_threshold_c": fever_threshold_c, "symptoms": symptoms, "red_flags": red_flags}
    rows = [person_result(people[0], 0, contact_outcome, **rules)]
    for index, person in enumerate(people[1:], start=1):
        rows.append(person_result(person, index, other_outcome, **rules))
    if ending is Ending.finished and _rest_reported_well(state):
        for index in range(len(people), max(members, len(people))):
            rows.append(PersonResult(index, Outcome.completed, reason="reported well by household contact",
                                     reported_by_contact=True))
    return rows


def _rest_reported_well(state: dict) -> bool:
    """The contact told us about everyone else: nobody unwell, or every unwell one screened."""
    if state["others_unwell"] is False:
        return True
    count = state["others_count"]
    return bool(state["others_unwell"]) and count is not None and len(state["people"]) - 1 >= count
