"""English numbers for the temperature and count readers: digits, words, digit by digit.

Answers may come from speech-to-text, so numbers arrive as digits ("37.5"),
words ("thirty seven point five"), digit by digit ("three seven five") or a
mix ("37 point 5"). Everything here is pure and never raises on a str.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from bot.understanding.core.numbers import SpokenNumber, token_at

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_ZERO_SOUNDS = {"oh", "o"}  # "one oh one" -> 101
_POINT_WORDS = {"point", "dot", "decimal"}
_FRACTION_WORDS = {"half": Decimal("0.5"), "quarter": Decimal("0.25")}
_FRACTION_TOKENS = {"1/2": Decimal("0.5"), "1/4": Decimal("0.25"), "3/4": Decimal("0.75")}
# A sign right before a number: no body temperature or count is negative, so a
# signed number is never silently read without its sign.
SIGNS = {"-", "+", "minus", "plus"}

# Order matters: times/dates ("9:30", "12/05") are kept whole so they are never
# read as numbers; then numerals with a "." or "," decimal; then words; then
# clause punctuation, kept as tokens so a number never spans "one, two".
# A "-" or "+" right before a digit, and not after a word or number, is a
# sign ("-37.5"). Any other dash becomes the DASH token, so "36-37" and "1-2"
# stay two numbers, never 3637 or 12, unless it joins two letters
# ("thirty-seven", "no-one"), where it drops out.
DASH = "\u2013"
_TOKEN = re.compile(
    r"[0-9]+(?:[/:][0-9]+)+|[0-9]+(?:[.,][0-9]+)?|[^\W\d_]+|[,;:!?.]"
    r"|(?<![\w.,])[-+](?=[0-9])"
    r"|(?P<dash>(?<![^\W\d_])-|-(?![^\W\d_]))"
)
_NUMERAL = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_FRACTION_TOKEN = re.compile(r"[0-9]+/[0-9]+")
_CLEANUP = str.maketrans({
    "'": "", "\u2019": "",  # "it's" -> "its", "o'clock" -> "oclock"
    "\u00b0": " ", "\u00ba": " ",  # degree signs: "37.5°C" -> "37.5 c"
    "\u2103": " c ", "\u2109": " f ",  # single-character ℃ and ℉
    "\u2044": "/",  # fraction slash, as typed on a keyboard
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # dashes, minus sign
})
# NFKC turns "37½" into "371⁄2", welding the half onto the 37; so vulgar
# fractions become a separate "1/2" token first.
_VULGAR_FRACTION = re.compile(r"[\u00bc-\u00be\u2150-\u215f\u2189]")


def tokenize(text: str) -> list[str]:
    """Lower-case word, numeral, punctuation, sign and DASH tokens; other symbols drop out."""
    # Degree signs first: NFKC would turn "º" into the letter "o".
    cleaned = _VULGAR_FRACTION.sub(_spell_fraction, text.lower().translate(_CLEANUP))
    folded = unicodedata.normalize("NFKC", cleaned)
    return [DASH if found.lastgroup == "dash" else found.group() for found in _TOKEN.finditer(folded)]


def _spell_fraction(match: re.Match[str]) -> str:
    return " " + unicodedata.normalize("NFKC", match.group()).replace("\u2044", "/") + " "


def find_numbers(tokens: list[str]) -> list[SpokenNumber]:
    """Every number in the tokens, left to right, without overlaps."""
    numbers: list[SpokenNumber] = []
    index = 0
    while index < len(tokens):
        found = _read_number(tokens, index)
        if found is None:
            index += 1
        else:
            numbers.append(found)
            index = found.end
    return numbers


def words_to_number(text: str) -> Decimal | None:
    """The value when the whole text is one number ("thirty seven point two"), else None."""
    tokens = tokenize(text)
    numbers = find_numbers(tokens)
    if len(numbers) == 1 and numbers[0].start == 0 and numbers[0].end == len(tokens):
        return numbers[0].value
    return None


def _read_number(tokens: list[str], index: int) -> SpokenNumber | None:
    whole = _read_whole(tokens, index)
    if whole is None:
        return None
    value, end = whole
    if value == value.to_integral_value():
        # Only a whole number takes a fraction: "37.5 and a half" is left
        # unread, and has_loose_fraction() reports it.
        fraction = _read_point_fraction(tokens, end) or _read_and_a_fraction(tokens, end)
        if fraction is not None:
            value, end = value + fraction[0], fraction[1]
    return SpokenNumber(value, index, end)


def _read_whole(tokens: list[str], index: int) -> tuple[Decimal, int] | None:
    token = tokens[index]
    if _is_digit(token) and _continues_digits(tokens, index + 1):
        return _read_digit_by_digit(tokens, index)
    if _NUMERAL.fullmatch(token):
        return Decimal(token.replace(",", ".")), index + 1  # "37,8" is a decimal comma
    return _read_cardinal(tokens, index)


def _is_digit(token: str) -> bool:
    """A single spoken or written digit: "seven" or "7"."""
    return token in UNITS or (len(token) == 1 and "0" <= token <= "9")


def _digit_char(token: str) -> str:
    return str(UNITS[token]) if token in UNITS else token


def _continues_digits(tokens: list[str], index: int) -> bool:
    token = token_at(tokens, index)
    if token in _ZERO_SOUNDS:  # "oh" is a zero only between digits
        return _is_digit(token_at(tokens, index + 1))
    return _is_digit(token)


def _read_digit_by_digit(tokens: list[str], index: int) -> tuple[Decimal, int]:
    """Read "three seven five" as 375 and "one oh one" as 101."""
    digits = _digit_char(tokens[index])
    end = index + 1
    while _continues_digits(tokens, end):
        token = tokens[end]
        digits += "0" if token in _ZERO_SOUNDS else _digit_char(token)
        end += 1
    return Decimal(digits), end


def _read_cardinal(tokens: list[str], index: int) -> tuple[Decimal, int] | None:
    """Read "thirty seven", "a hundred and one", "one hundred", "twelve"."""
    end = index
    if tokens[end] == "a" and token_at(tokens, end + 1) == "hundred":
        end += 1
    head = _read_below_hundred(tokens, end)
    if head is not None:
        end = head[1]
    if token_at(tokens, end) != "hundred":
        return (Decimal(head[0]), end) if head is not None else None
    total = 100 * (1 if head is None else head[0])
    end += 1
    # "and" belongs to the hundred only when a number follows ("a hundred and one"),
    # not in "a hundred and a half".
    if token_at(tokens, end) == "and" and _read_below_hundred(tokens, end + 1):
        end += 1
    tail = _read_below_hundred(tokens, end)
    if tail is not None:
        total, end = total + tail[0], tail[1]
    return Decimal(total), end


def _read_below_hundred(tokens: list[str], index: int) -> tuple[int, int] | None:
    token = token_at(tokens, index)
    if token in TENS:
        unit = UNITS.get(token_at(tokens, index + 1), 0)
        return (TENS[token] + unit, index + 2) if unit else (TENS[token], index + 1)
    if token in TEENS:
        return TEENS[token], index + 1
    if token in UNITS:
        return UNITS[token], index + 1
    return None


def _read_point_fraction(tokens: list[str], index: int) -> tuple[Decimal, int] | None:
    """Read "point eight" / "dot oh five" / "point 5" as a fraction."""
    if token_at(tokens, index) not in _POINT_WORDS:
        return None
    digits, end = "", index + 1
    while True:
        token = token_at(tokens, end)
        if token in UNITS or token in _ZERO_SOUNDS:
            digits += str(UNITS.get(token, 0))
        elif token.isascii() and token.isdigit():
            digits += token
        else:
            break
        end += 1
    return (Decimal("0." + digits), end) if digits else None


def _read_and_a_fraction(tokens: list[str], index: int) -> tuple[Decimal, int] | None:
    """Read "and a half", "and three quarters", "1/2" or "and 1/2" (the "a" is optional)."""
    end = index
    if token_at(tokens, end) == "and":
        end += 2 if token_at(tokens, end + 1) == "a" else 1
        if token_at(tokens, end) == "three" and token_at(tokens, end + 1) == "quarters":
            return Decimal("0.75"), end + 2
        if token_at(tokens, end) in _FRACTION_WORDS:
            return _FRACTION_WORDS[tokens[end]], end + 1
    part = _FRACTION_TOKENS.get(token_at(tokens, end))
    return (part, end + 1) if part is not None else None


def is_signed(tokens: list[str], number: SpokenNumber) -> bool:
    """True when a sign ("-", "+", "minus", "plus") comes right before the number."""
    return token_at(tokens, number.start - 1) in SIGNS


def has_loose_fraction(tokens: list[str], number: SpokenNumber) -> bool:
    """True when a point or fraction follows the number without being part of it.

    "thirty seven point" (the digits were lost), "37.5 and a half", "37 1/3":
    the number as read is not what was said.
    """
    following = token_at(tokens, number.end)
    if following in _POINT_WORDS or _FRACTION_TOKEN.fullmatch(following):
        return True
    return _read_and_a_fraction(tokens, number.end) is not None
