"""The symptom report every language gives, in the codes of campaigns/records/vocabulary.py.

How a reader decides, once it has found and negated its language's phrases:
any phrase that is not negated gives a report of what was named. Otherwise an uncertain answer
("not sure", "不知道") is not understood (None); negated phrases only, or an explicit negative
("no", "none", "都没有"), give an empty report; anything else is not understood.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

IGNORE = "_ignore"  # phrases that consume text but name no symptom ("stomach ache", "不停")


@dataclass(frozen=True)
class SymptomReport:
    """Symptoms and red flags named in an answer, as canonical codes in canonical order."""

    symptoms: tuple[str, ...]
    red_flags: tuple[str, ...]

    @property
    def none_reported(self) -> bool:
        """True when nothing was reported, i.e. the answer was an explicit "no symptoms"."""
        return not self.symptoms and not self.red_flags


def report_of(codes: Iterable[str]) -> SymptomReport:
    """A report of the codes, each once, in the order of the vocabulary."""
    named = set(codes)
    return SymptomReport(
        symptoms=tuple(code for code in SYMPTOM_CODES if code in named),
        red_flags=tuple(code for code in RED_FLAG_CODES if code in named),
    )


def decide(named: set[str], *, matched: bool, uncertain: bool, negative: bool) -> SymptomReport | None:
    """The report for what was named and not negated (see the module docstring).

    `matched`: some phrase was found, negated or not; `uncertain`: the answer hedges;
    `negative`: the answer says there is nothing.
    """
    named = named - {IGNORE}
    if named:
        return report_of(named)
    if uncertain:
        return None
    if matched or negative:
        return SymptomReport(symptoms=(), red_flags=())
    return None
