"""Tests for bot.understanding.en.numbers and en.counts."""

from decimal import Decimal

import pytest

from bot.understanding.en.counts import parse_count
from bot.understanding.en.numbers import (
    DASH,
    find_numbers,
    has_loose_fraction,
    is_signed,
    tokenize,
    words_to_number,
)

COUNT_ROWS = [
    ("2", 2),
    ("two", 2),
    ("Two.", 2),
    ("just one", 1),
    ("one person", 1),
    ("three of them", 3),
    ("both", 2),
    ("both of them", 2),
    ("both, the two kids", 2),
    ("all three", 3),
    ("my two kids", 2),
    ("ten", 10),
    ("twelve", 12),
    ("twenty one", 21),
    ("a hundred", 100),
    ("nobody", 0),
    ("none", 0),
    ("zero", 0),
    ("no one", 0),
    ("no-one", 0),
    ("none of the three", 0),
    ("no, just one", 1),
    ("a few", None),
    ("", None),
    ("I don't know", None),
    ("two or three", None),
    ("1-2", None),
    ("3 - 4", None),
    ("2 adults and 1 child", None),
    ("2.5", None),
    ("at 9:30", None),
    ("9" * 5000, None),
    ("-2", None),
    ("minus two", None),
    ("2\u00bd", None),
    ("\u00bd", None),
]

NUMBER_ROWS = [
    ("thirty seven", Decimal("37")),
    ("thirty-seven point two", Decimal("37.2")),
    ("thirty seven and a half", Decimal("37.5")),
    ("thirty seven and a quarter", Decimal("37.25")),
    ("a hundred and one", Decimal("101")),
    ("one hundred point four", Decimal("100.4")),
    ("hundred", Decimal("100")),
    ("ninety nine", Decimal("99")),
    ("three seven five", Decimal("375")),
    ("one oh one", Decimal("101")),
    ("nine eight point six", Decimal("98.6")),
    ("five point five", Decimal("5.5")),
    ("twelve", Decimal("12")),
    ("zero", Decimal("0")),
    ("37,8", Decimal("37.8")),
    ("37 point 5", Decimal("37.5")),
    ("37 and a half", Decimal("37.5")),
    ("thirty seven and three quarters", Decimal("37.75")),
    ("37\u00bd", Decimal("37.5")),
    ("37 and \u00bc", Decimal("37.25")),
    ("37 1/2", Decimal("37.5")),
    ("37.5 and a half", None),
    ("thirty seven point", None),
    ("thirty seven degrees", None),
    ("hello", None),
    ("", None),
    ("a", None),
]

TOKEN_ROWS = [
    ("It's 37.5°C", ["its", "37.5", "c"]),
    ("thirty-seven", ["thirty", "seven"]),
    ("37,8", ["37,8"]),
    ("37, 8", ["37", ",", "8"]),
    ("at 9:30 on 12/05", ["at", "9:30", "on", "12/05"]),
    ("100.4\u2109", ["100.4", "f"]),
    ("haven\u2019t", ["havent"]),
    ("\uff13\uff17.\uff15", ["37.5"]),
    ("-37.5", ["-", "37.5"]),
    ("+37", ["+", "37"]),
    ("\u221237", ["-", "37"]),
    ("(-37)", ["-", "37"]),
    ("36-37", ["36", DASH, "37"]),
    ("36 - 37", ["36", DASH, "37"]),
    ("36\u201337", ["36", DASH, "37"]),
    ("1-2", ["1", DASH, "2"]),
    ("37.5 -- 38", ["37.5", DASH, DASH, "38"]),
    ("no-one", ["no", "one"]),
    ("37\u00bd", ["37", "1/2"]),
    ("\u00bd", ["1/2"]),
    ("37\u2153", ["37", "1/3"]),
]

# (text, whether its first number is signed, whether a fraction is left over)
SHAPE_ROWS = [
    ("37.5", False, False),
    ("-37.5", True, False),
    ("minus 37", True, False),
    ("plus 37", True, False),
    ("36-37", False, False),
    ("thirty seven point", False, True),
    ("37 dot", False, True),
    ("37.5 and a half", False, True),
    ("37.5 1/2", False, True),
    ("37 1/3", False, True),
    ("37 and a half", False, False),
    ("37 and then", False, False),
]


@pytest.mark.parametrize(
    ("text", "count"), COUNT_ROWS, ids=[row[0][:20] or "empty" for row in COUNT_ROWS]
)
def test_parse_count_understands_phrasing(text: str, count: int | None) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "value"), NUMBER_ROWS, ids=[row[0] or "empty" for row in NUMBER_ROWS]
)
def test_words_to_number_reads_whole_text(text: str, value: Decimal | None) -> None:
    assert words_to_number(text) == value


@pytest.mark.parametrize(("text", "tokens"), TOKEN_ROWS, ids=[row[0] for row in TOKEN_ROWS])
def test_tokenize_splits_words_numerals_and_punctuation(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    ("text", "signed", "loose"), SHAPE_ROWS, ids=[row[0] for row in SHAPE_ROWS]
)
def test_number_shape_reports_signs_and_loose_fractions(
    text: str, signed: bool, loose: bool
) -> None:
    tokens = tokenize(text)
    number = find_numbers(tokens)[0]

    assert (is_signed(tokens, number), has_loose_fraction(tokens, number)) == (signed, loose)


def test_find_numbers_reports_values_and_spans() -> None:
    tokens = tokenize("37.8 yesterday, today thirty seven point one")

    found = [(n.value, n.start, n.end) for n in find_numbers(tokens)]

    assert found == [(Decimal("37.8"), 0, 1), (Decimal("37.1"), 4, 8)]


def test_find_numbers_does_not_join_across_punctuation() -> None:
    found = [n.value for n in find_numbers(tokenize("one, two, three"))]

    assert found == [Decimal(1), Decimal(2), Decimal(3)]


@pytest.mark.parametrize(
    "text",
    ["one " * 5000, "1" * 5000, "point " + "one " * 3000, "and a " * 3000, "a hundred " * 2000],
    ids=["many-ones", "long-numeral", "long-fraction", "and-a-soup", "hundreds"],
)
def test_parse_count_never_raises_on_long_input(text: str) -> None:
    result = parse_count(text)

    assert result is None or 0 <= result <= 1_000_000
