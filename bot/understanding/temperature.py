"""Understand answers to "What is your body temperature today?".

Answers may be typed or come from speech-to-text, so they are messy:
"37,8", "thirty seven and a half", "three seven five", "99.5", "101 F",
"37.8 yesterday but today it's 37.1". Everything here is pure and never
raises on a str.

One reading, or none: a guessed value is worse than asking again.
  1. A number with a sign ("-37.5", "minus 37") or with a point or fraction it
     could not take ("thirty seven point", "37.5 and a half") makes the whole
     answer not understood.
  2. Numbers followed by a time/date word ("9 o'clock", "37 years") are ignored.
  3. Two different numbers with nothing between them but "or", "to", "and",
     a dash or slash, punctuation or a correction ("no wait", "sorry") are a
     range, an alternative or a correction: not understood. Malformed decimals
     fall here too, as they split into two numbers: "37..5", "37 .5", "37. 5"
     and "37, 8" may each hide a 37.5 or 37.8, so none is read as 37.
  4. Prefer "temperature-looking" numbers: an explicit unit, or a value that
     lands in the plausible range once interpreted. If there are none, use all.
  5. A reading the resident dates earlier ("yesterday", "this morning",
     "before", "ago") is dropped when another reading is left. The time word
     nearest the number in its clause decides, so in "yesterday 37.8 today
     37.1" only 37.8 is earlier.
  6. What is left must be one value, perhaps said twice ("37.5, 37.5");
     different values ("37.5, 38") are not understood.

Interpreting a bare number (no unit said):
  * a 3-digit integer 340..430 is a keypad/digit-by-digit reading: 375 -> 37.5 C;
  * 93..110 is Fahrenheit;
  * anything else is Celsius (possibly implausible: the caller re-asks).
An explicit C/celsius/centigrade or F/fahrenheit always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.understanding.numbers import (
    DASH,
    SpokenNumber,
    find_numbers,
    has_loose_fraction,
    is_signed,
    token_at,
    tokenize,
)

PLAUSIBLE_MIN_C = 34.0
PLAUSIBLE_MAX_C = 43.0

_FAHRENHEIT_RANGE = (Decimal(93), Decimal(110))
_KEYPAD_RANGE = (Decimal(340), Decimal(430))
_MAX_READING = Decimal(1000)  # beyond this it is not a temperature in any unit
_TENTH = Decimal("0.1")

_DEGREE_WORDS = {"degree", "degrees", "deg", "degs"}
_UNIT_WORDS = {
    "c": "C", "celsius": "C", "celcius": "C", "centigrade": "C",
    "f": "F", "fahrenheit": "F", "farenheit": "F", "fahrenheight": "F",
}
# Rule 5: the time a reading belongs to, from the word nearest it in its clause.
# Now-words count only as the nearer word: "yesterday 37.8 today 37.1".
_NOW_WORDS = {"today", "now", "currently"}
_EARLIER_WORDS = {"yesterday", "earlier", "morning", "before", "ago", "last", "previously"}
_TIME_WORD_REACH = 8  # tokens; keeps the search short on very long answers
# Words after a number that show it is a time, date, age or amount instead.
_NOT_TEMPERATURE_AFTER = {
    "oclock", "am", "pm", "th", "st", "nd", "rd", "percent", "times",
    "minute", "minutes", "hour", "hours", "day", "days",
    "week", "weeks", "month", "months", "year", "years",
}
_CLAUSE_BREAKS = {",", ";", ":", "!", "?", ".", DASH, "but"}
_READING_BREAKS = _CLAUSE_BREAKS | {"and", "then"}
# Rule 3: what may stand between two numbers offered as one answer.
_JOINERS = (
    {"or", "to", "and", "till", "until", "through", "thru", "nor", "either"}
    | {"no", "wait", "sorry", "actually", "i", "mean", "rather", "correction"}
    | {"um", "uh", "er", "erm", "hmm", "maybe", "perhaps", "possibly", "probably"}
    | _CLAUSE_BREAKS | _DEGREE_WORDS | set(_UNIT_WORDS)
)


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
class _Candidate:
    start: int
    end: int
    celsius: Decimal  # already rounded to 0.1
    unit: str
    stated_unit: bool

    @property
    def looks_like_temperature(self) -> bool:
        plausible = PLAUSIBLE_MIN_C <= self.celsius <= PLAUSIBLE_MAX_C
        return self.stated_unit or plausible


def parse_temperature(text: str) -> Temperature | None:
    """None when no temperature can be read from the text.

    See the module docstring for how units are inferred and how one number
    is chosen when the answer mentions several.
    """
    tokens = tokenize(text)
    numbers = find_numbers(tokens)
    if any(is_signed(tokens, n) or has_loose_fraction(tokens, n) for n in numbers):
        return None  # rule 1
    candidates = [
        candidate
        for number in numbers
        if (candidate := _to_candidate(number, tokens)) is not None
    ]
    chosen = _choose(candidates, tokens)
    if chosen is None:
        return None
    return Temperature(celsius=float(chosen.celsius), said=text, unit=chosen.unit)


def _to_candidate(number: SpokenNumber, tokens: list[str]) -> _Candidate | None:
    if number.value >= _MAX_READING:
        return None
    stated = _stated_unit(tokens, number.end)
    if stated is None and _is_time_or_amount(tokens, number.end):
        return None
    celsius, unit = _interpret(number.value, stated)
    rounded = celsius.quantize(_TENTH, rounding=ROUND_HALF_UP)
    return _Candidate(number.start, number.end, rounded, unit, stated is not None)


def _stated_unit(tokens: list[str], index: int) -> str | None:
    """The unit said right after a number: "C", "°F", "degrees celsius"."""
    if token_at(tokens, index) in _DEGREE_WORDS:
        index += 1
    return _UNIT_WORDS.get(token_at(tokens, index))


def _is_time_or_amount(tokens: list[str], index: int) -> bool:
    following = token_at(tokens, index)
    if following == "o" and token_at(tokens, index + 1) == "clock":  # "nine o clock"
        return True
    return following in _NOT_TEMPERATURE_AFTER


def _interpret(value: Decimal, stated: str | None) -> tuple[Decimal, str]:
    """Celsius value and unit for a number, given the unit said (if any)."""
    is_integer = value == value.to_integral_value()
    if stated != "F" and is_integer and _in_range(value, _KEYPAD_RANGE):
        return value / 10, "C"  # "375" / "three seven five": the point was not said
    unit = stated or ("F" if _in_range(value, _FAHRENHEIT_RANGE) else "C")
    if unit == "F":
        return (value - 32) * 5 / 9, "F"
    return value, "C"


def _in_range(value: Decimal, bounds: tuple[Decimal, Decimal]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _choose(candidates: list[_Candidate], tokens: list[str]) -> _Candidate | None:
    """The one reading meant, or None (rules 3 to 6 in the module docstring)."""
    pool = [c for c in candidates if c.looks_like_temperature] or candidates
    if not pool or _offers_a_choice(candidates, tokens):
        return None
    later = [c for c in pool if _time_of(c, tokens) not in _EARLIER_WORDS] or pool
    if len({c.celsius for c in later}) != 1:
        return None
    return later[-1]


def _offers_a_choice(candidates: list[_Candidate], tokens: list[str]) -> bool:
    """True for "36-37", "37 or 38", "37..5", "37.5, no wait 38" (rule 3).

    Every neighbouring pair counts, even when one number is not plausible:
    "37..5" must not become 37 just because 5 is no temperature.
    """
    for first, second in zip(candidates, candidates[1:]):
        if first.celsius == second.celsius:
            continue  # the same reading said twice
        if not (first.looks_like_temperature or second.looks_like_temperature):
            continue  # "at 8 or 9" is about something else
        if all(token in _JOINERS for token in tokens[first.end:second.start]):
            return True
    return False


def _time_of(candidate: _Candidate, tokens: list[str]) -> str | None:
    """The time word nearest the reading in its clause (rule 5); before wins a tie.

    "yesterday 37.8 today 37.1": 37.8 has "yesterday" and "today" one token
    away, and a time word usually leads its reading.
    """
    found = [
        word
        for word in (
            _nearest_time_word(tokens, candidate.start - 1, -1),
            _nearest_time_word(tokens, candidate.end, 1),
        )
        if word is not None
    ]
    if not found:
        return None
    return min(found, key=lambda word: word[0])[1]  # min keeps the first on a tie: "before"


def _nearest_time_word(tokens: list[str], index: int, step: int) -> tuple[int, str] | None:
    """(distance, word) of the first time word walking from index, within the clause."""
    for distance in range(1, _TIME_WORD_REACH + 1):
        token = token_at(tokens, index)
        if token == "" or token in _READING_BREAKS:
            return None
        if token in _NOW_WORDS or token in _EARLIER_WORDS:
            return distance, token
        index += step
    return None


# --- "I haven't measured" ---------------------------------------------------

_NEGATION = (
    r"(?:dont|do not|didnt|did not|havent|have not|hasnt|has not|cant|cannot|"
    r"can not|couldnt|could not|wont|not|never|unable to|forgot to|yet to|"
    r"no (?:way|time|chance|means))"
)
_MEASURE = r"(?:measur\w*|check\w*|take|taken|taking|took|test\w*|use|used|read|reading)"
# A clause that mentions a thermometer together with one of these lacks one
# ("I don't have a thermometer", "my thermometer is broken"). Two plain
# searches instead of "lack.*thermometer" keep long input linear.
_THERMOMETER = re.compile(r"\bthermometers?\b")
_LACK_OR_BROKEN = re.compile(
    r"\b(?:dont|do not|didnt|did not|havent|have not|hasnt|has not|cant|cannot|"
    r"can not|couldnt|could not|without|lost|need|broke|broken|missing|dead|"
    r"not working|doesnt work|does not work|stopped working)\b"
)
_NOT_MEASURED_PATTERNS = [
    # "haven't measured", "didn't check", "haven't had a chance to check"
    re.compile(rf"\b{_NEGATION}\s+(?:\w+\s+){{0,4}}?{_MEASURE}\b"),
    # bare "no" only right before "thermometer": "no the thermometer says 37" is a reading
    re.compile(r"\bno (?:working )?thermometers?\b"),
    # "not yet", "I don't have one", "I'll check", "let me check"
    re.compile(r"\bnot yet\b|\b(?:dont|do not|havent) (?:have|got|own) (?:one|any)\b"),
    re.compile(r"\b(?:ill|i will|will|gonna|going to|let me) (?:measure|check|take|test)\b"),
]


def says_not_measured(text: str) -> bool:
    """True when the resident says they have no reading.

    E.g. "I don't have a thermometer", "haven't measured", "didn't check",
    "no thermometer", "I can't measure it", "not taken it yet". Each clause
    (split at punctuation and "but") is checked on its own, so "I don't feel
    hot, I measured 37" is not read as "don't ... measured".
    """
    return any(_clause_says_not_measured(clause) for clause in _clauses(tokenize(text)))


def _clause_says_not_measured(clause: str) -> bool:
    if _THERMOMETER.search(clause) and _LACK_OR_BROKEN.search(clause):
        return True
    return any(pattern.search(clause) for pattern in _NOT_MEASURED_PATTERNS)


def _clauses(tokens: list[str]) -> list[str]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token in _CLAUSE_BREAKS:
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [" ".join(words) for words in clauses if words]
