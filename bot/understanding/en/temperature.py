"""English answers to "What is your body temperature today?", and "I haven't measured".

Answers may be typed or come from speech-to-text, so they are messy:
"37,8", "thirty seven and a half", "three seven five", "99.5", "101 F",
"37.8 yesterday but today it's 37.1". Everything here is pure and never
raises on a str.

One reading, or none: a guessed value is worse than asking again.
  1. A number with a sign ("-37.5", "minus 37") or with a point or fraction it
     could not take ("thirty seven point", "37.5 and a half") makes the whole
     answer not understood.
  2. Numbers followed by a time/date word ("9 o'clock", "37 years") are ignored.
Rules 3 to 6 and the units of bare numbers are the same in every language (core.temperature):
two different readings joined by "or", "to", "and", a dash, slash, punctuation or a correction
("no wait", "sorry") are not understood, nor are malformed decimals, which split into two
numbers ("37..5", "37 .5", "37. 5", "37, 8" may each hide a 37.5 or 37.8); a reading dated
earlier ("yesterday", "this morning", "before", "ago") gives way to another; what is left must
be one value. "C"/"celsius"/"centigrade" or "F"/"fahrenheit" said after a number is its unit.
"""

from __future__ import annotations

import re

from bot.understanding.core.numbers import token_at
from bot.understanding.core.temperature import (
    PLAUSIBLE_MAX_C,
    PLAUSIBLE_MIN_C,
    Said,
    Temperature,
    Words,
    one_reading,
)
from bot.understanding.en.numbers import DASH, SpokenNumber, find_numbers, has_loose_fraction, is_signed, tokenize

__all__ = ["PLAUSIBLE_MAX_C", "PLAUSIBLE_MIN_C", "Temperature", "parse_temperature", "says_not_measured"]

_DEGREE_WORDS = {"degree", "degrees", "deg", "degs"}
_UNIT_WORDS = {
    "c": "C", "celsius": "C", "celcius": "C", "centigrade": "C",
    "f": "F", "fahrenheit": "F", "farenheit": "F", "fahrenheight": "F",
}
# Words after a number that show it is a time, date, age or amount instead.
_NOT_TEMPERATURE_AFTER = {
    "oclock", "am", "pm", "th", "st", "nd", "rd", "percent", "times",
    "minute", "minutes", "hour", "hours", "day", "days",
    "week", "weeks", "month", "months", "year", "years",
}
_CLAUSE_BREAKS = {",", ";", ":", "!", "?", ".", DASH, "but"}
_READING_BREAKS = _CLAUSE_BREAKS | {"and", "then"}
# Rule 3: what may stand between two numbers offered as one answer. Rule 5: the time a reading
# belongs to, from the word nearest it in its clause; now-words count only as the nearer word:
# "yesterday 37.8 today 37.1".
_WORDS = Words(
    joiners=frozenset(
        {"or", "to", "and", "till", "until", "through", "thru", "nor", "either"}
        | {"no", "wait", "sorry", "actually", "i", "mean", "rather", "correction"}
        | {"um", "uh", "er", "erm", "hmm", "maybe", "perhaps", "possibly", "probably"}
        | _CLAUSE_BREAKS | _DEGREE_WORDS | set(_UNIT_WORDS)
    ),
    now=frozenset({"today", "now", "currently"}),
    earlier=frozenset({"yesterday", "earlier", "morning", "before", "ago", "last", "previously"}),
    breaks=frozenset(_READING_BREAKS),
    reach=8,
)


def parse_temperature(text: str) -> Temperature | None:
    """None when no temperature can be read from the text.

    See the module docstring for how units are inferred and how one number
    is chosen when the answer mentions several.
    """
    tokens = tokenize(text)
    numbers = find_numbers(tokens)
    if any(is_signed(tokens, n) or has_loose_fraction(tokens, n) for n in numbers):
        return None  # rule 1
    said = [reading for number in numbers if (reading := _said(number, tokens)) is not None]
    return one_reading(text, said, tokens, _WORDS)


def _said(number: SpokenNumber, tokens: list[str]) -> Said | None:
    stated = _stated_unit(tokens, number.end)
    if stated is None and _is_time_or_amount(tokens, number.end):
        return None  # rule 2
    return Said(number.value, number.start, number.end, stated)


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
