"""Phrase matching shared by the readers: alternatives found longest first, and negation in a clause.

Readers of every language first fold an answer into a normal form in which "|" marks a clause
boundary, then look up phrase tables here. Where two phrases overlap, the longer one wins, so a
phrase that carries its own negative ("can't smell", "闻不到") is one phrase, never a negator
and a symptom.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

BOUNDARY = "|"


class Match(NamedTuple):
    """A phrase found in normalised text: its span and the code (or polarity) it carries.
    A tuple, not a dataclass: a long answer holds thousands, and tuples are built fast."""

    start: int
    end: int
    code: str


def compile_phrases(alternatives: Iterable[str], *, whole_words: bool = True) -> re.Pattern[str]:
    """One pattern for regex alternatives, longest first.

    `whole_words` is for scripts that put spaces between words; Chinese has no word
    boundaries to hold on to, so its phrases are matched anywhere.
    """
    ordered = "|".join(sorted(alternatives, key=len, reverse=True))
    return re.compile(rf"\b(?:{ordered})\b" if whole_words else f"(?:{ordered})")


def find_phrases(norm: str, patterns: Sequence[tuple[str, re.Pattern[str]]]) -> list[Match]:
    """All phrase matches, overlaps resolved longest-first (ties: earliest), in text order."""
    # Plain tuples sort natively: (minus length, start, table order) is longest first, then
    # earliest, then the pattern listed first.
    candidates = sorted(
        (found.start() - found.end(), found.start(), order, code)
        for order, (code, pattern) in enumerate(patterns)
        for found in pattern.finditer(norm)
        if found.end() > found.start()
    )
    occupied = bytearray(len(norm))
    chosen: list[Match] = []
    for negative_length, start, _, code in candidates:
        end = start - negative_length
        if occupied.find(1, start, end) == -1:
            occupied[start:end] = b"\x01" * (end - start)
            chosen.append(Match(start, end, code))
    return sorted(chosen)


def masked(norm: str, matches: Iterable[Match]) -> str:
    """The text with every matched phrase blanked out, so a negator inside a phrase is not one."""
    pieces, cursor = [], 0
    for match in sorted(matches):
        pieces += [norm[cursor:match.start], " " * (match.end - match.start)]
        cursor = match.end
    return "".join(pieces) + norm[cursor:]


def negated_before(norm: str, matches: list[Match], negator: re.Pattern[str]) -> list[bool]:
    """For each match, whether a negator precedes it in its clause, outside every matched phrase."""
    negators = [found.start() for found in negator.finditer(masked(norm, matches))]
    boundaries = [found.start() for found in re.finditer(re.escape(BOUNDARY), norm)]
    flags: list[bool] = []
    for match in matches:
        before = bisect.bisect_left(boundaries, match.start)
        clause_start = boundaries[before - 1] + 1 if before else 0
        last = bisect.bisect_left(negators, match.start) - 1
        flags.append(last >= 0 and negators[last] >= clause_start)
    return flags
