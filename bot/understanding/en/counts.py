"""English counts of people: "2", "two", "just one", "both", "nobody"."""

from __future__ import annotations

from decimal import Decimal

from bot.understanding.core.numbers import one_count
from bot.understanding.en.numbers import find_numbers, is_signed, tokenize

_ZERO_COUNT_WORDS = {"none", "nobody", "noone", "zero", "nil"}
_ZERO_COUNT_PHRASES = {("no", "one"), ("not", "one"), ("no", "body")}


def parse_count(text: str) -> int | None:
    """How many people; None when absent.

    "2", "two", "just one", "one person", "three of them", "both" (=2),
    "all three". "none"/"nobody"/"no one"/"zero" -> 0. Vague amounts
    ("a few"), fractions, signed numbers ("-2"), absurdly large numbers and
    conflicting numbers ("two or three") give None.
    """
    tokens = tokenize(text)
    if _says_zero(tokens):
        return 0
    numbers = find_numbers(tokens)
    if any(is_signed(tokens, number) for number in numbers):
        return None
    values = {number.value for number in numbers}
    if "both" in tokens:
        values.add(Decimal(2))
    return one_count(values)


def _says_zero(tokens: list[str]) -> bool:
    if _ZERO_COUNT_WORDS.intersection(tokens):
        return True
    return any(pair in _ZERO_COUNT_PHRASES for pair in zip(tokens, tokens[1:]))
