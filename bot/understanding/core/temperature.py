"""One temperature reading from the numbers an answer holds, in every language.

A language's reader finds the numbers said as readings (with the unit, when one was said) and
drops the ones that are signed, malformed, or a time, date or amount (its rules 1 and 2). What
is left comes here, with the answer's tokens and the language's words for joining readings and
dating them:

  3. Two different readings with nothing between them but joining words ("or", "到"), a dash,
     punctuation, a unit or a correction ("no wait", "不对") are a range, an alternative or a
     correction: not understood. Every neighbouring pair counts, even when one number is not
     plausible: "37..5" must not become 37 just because 5 is no temperature.
  4. Prefer "temperature-looking" readings: an explicit unit, or a value that lands in the
     plausible range once interpreted. If there are none, use all.
  5. A reading the resident dates earlier ("yesterday", "昨天") is dropped when another reading
     is left. The time word nearest the reading in its clause decides.
  6. What is left must be one value, perhaps said twice ("37.5, 37.5"); different values are
     not understood. One reading, or none: a guessed value is worse than asking again.

Interpreting a bare number (no unit said):
  * a 3-digit integer 340..430 is a keypad/digit-by-digit reading: 375 -> 37.5 C;
  * 93..110 is Fahrenheit;
  * anything else is Celsius (possibly implausible: the caller re-asks).
A stated Celsius or Fahrenheit always wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.understanding.core.numbers import token_at

PLAUSIBLE_MIN_C = 34.0
PLAUSIBLE_MAX_C = 43.0

_FAHRENHEIT_RANGE = (Decimal(93), Decimal(110))
_KEYPAD_RANGE = (Decimal(340), Decimal(430))
MAX_READING = Decimal(1000)  # beyond this it is not a temperature in any unit
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Temperature:
    """A body temperature read from the resident's answer."""

    celsius: float  # converted if needed, rounded to 0.1 half up
    said: str  # the raw text exactly as given
    unit: str  # "C" or "F": as stated, or inferred from the range

    @property
    def plausible(self) -> bool:
        """True when the value is a believable human body temperature."""
        return PLAUSIBLE_MIN_C <= self.celsius <= PLAUSIBLE_MAX_C


@dataclass(frozen=True)
class Said:
    """A number offered as a reading: its value, token span [start, end) and unit if stated."""

    value: Decimal
    start: int
    end: int
    unit: str | None  # "C", "F", or None when no unit was said


@dataclass(frozen=True)
class Words:
    """A language's tokens for rules 3 and 5."""

    joiners: frozenset[str]  # may stand between two readings offered as one answer
    now: frozenset[str]  # date a reading to now, only as the nearest time word
    earlier: frozenset[str]  # date a reading earlier
    breaks: frozenset[str]  # end the clause a time word belongs to
    reach: int  # tokens searched for a time word; keeps long answers cheap


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    celsius: Decimal  # already rounded to 0.1
    unit: str
    stated_unit: bool

    @property
    def looks_like_temperature(self) -> bool:
        return self.stated_unit or PLAUSIBLE_MIN_C <= self.celsius <= PLAUSIBLE_MAX_C


def one_reading(text: str, said: list[Said], tokens: list[str], words: Words) -> Temperature | None:
    """The one temperature meant among the readings, or None (rules 3 to 6)."""
    candidates = [_interpret(reading) for reading in said if abs(reading.value) < MAX_READING]
    chosen = _choose(candidates, tokens, words)
    if chosen is None:
        return None
    return Temperature(celsius=float(chosen.celsius), said=text, unit=chosen.unit)


def _interpret(reading: Said) -> _Candidate:
    """The Celsius value and unit of a reading, given the unit said (if any)."""
    value, stated = reading.value, reading.unit
    is_integer = value == value.to_integral_value()
    if stated != "F" and is_integer and _in_range(value, _KEYPAD_RANGE):
        celsius, unit = value / 10, "C"  # "375" / "three seven five": the point was not said
    else:
        unit = stated or ("F" if _in_range(value, _FAHRENHEIT_RANGE) else "C")
        celsius = (value - 32) * 5 / 9 if unit == "F" else value
    rounded = celsius.quantize(_TENTH, rounding=ROUND_HALF_UP)
    return _Candidate(reading.start, reading.end, rounded, unit, stated is not None)


def _in_range(value: Decimal, bounds: tuple[Decimal, Decimal]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _choose(candidates: list[_Candidate], tokens: list[str], words: Words) -> _Candidate | None:
    pool = [c for c in candidates if c.looks_like_temperature] or candidates
    if not pool or _offers_a_choice(candidates, tokens, words):
        return None
    later = [c for c in pool if _time_of(c, tokens, words) not in words.earlier] or pool
    if len({c.celsius for c in later}) != 1:
        return None
    return later[-1]


def _offers_a_choice(candidates: list[_Candidate], tokens: list[str], words: Words) -> bool:
    """True for "36-37", "37 or 38", "37..5", "37.5, no wait 38" (rule 3)."""
    for first, second in zip(candidates, candidates[1:]):
        if first.celsius == second.celsius:
            continue  # the same reading said twice
        if not (first.looks_like_temperature or second.looks_like_temperature):
            continue  # "at 8 or 9" is about something else
        if all(token in words.joiners for token in tokens[first.end:second.start]):
            return True
    return False


def _time_of(candidate: _Candidate, tokens: list[str], words: Words) -> str | None:
    """The time word nearest the reading in its clause (rule 5); before wins a tie.

    "yesterday 37.8 today 37.1": 37.8 has "yesterday" and "today" one token
    away, and a time word usually leads its reading.
    """
    found = [
        word
        for word in (
            _nearest_time_word(tokens, candidate.start - 1, -1, words),
            _nearest_time_word(tokens, candidate.end, 1, words),
        )
        if word is not None
    ]
    if not found:
        return None
    return min(found, key=lambda word: word[0])[1]  # min keeps the first on a tie: "before"


def _nearest_time_word(tokens: list[str], index: int, step: int, words: Words) -> tuple[int, str] | None:
    """(distance, word) of the first time word walking from index, within the clause."""
    for distance in range(1, words.reach + 1):
        token = token_at(tokens, index)
        if token == "" or token in words.breaks:
            return None
        if token in words.now or token in words.earlier:
            return distance, token
        index += step
    return None
