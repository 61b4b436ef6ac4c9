"""GSM 03.38 alphabet and SMS segment counting."""
from __future__ import annotations

import pytest

from bot.channels.gsm7 import BASIC, EXTENSION, fits_one_segment, is_gsm7, segments, septets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, is now a good time? Reply YES or NO", True),
        ("", True),
        ("Price: 5€", True),  # extension table
        ("{ } [ ] ~ \\ | ^", True),
        ("@£$¥ _ ¤ § ¡¿ ΔΦΓΛΩΠΨΣΘΞ", True),
        ("é è ü É Ü ñ à ø Å ß", True),  # basic set
        ("line one\nline two\r", True),
        ("That’s all right", False),  # curly apostrophe U+2019
        ("“quoted”", False),
        ("ê", False),
        ("ç", False),  # only capital Ç is in the basic set
        ("fever 🤒", False),
        ("\x1b", False),  # the escape code itself is not a character
        ("\t", False),
    ],
    ids=["ascii", "empty", "euro", "brackets", "symbols-greek", "accents-basic", "newlines",
         "curly-apostrophe", "curly-quotes", "e-circumflex", "c-cedilla-small", "emoji", "escape", "tab"],
)
def test_is_gsm7_by_character(text, expected):
    assert is_gsm7(text) is expected


def test_gsm7_tables_have_the_standard_sizes():
    assert (len(BASIC), len(EXTENSION)) == (127, 10)  # 128 codes minus the escape; 10 extension chars
    assert not BASIC & EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abc", 3),
        ("€", 2),
        ("{x}", 5),
        ("a\\b", 4),
        ("[~]|^", 10),
        ("é", 1),
        ("", 0),
    ],
    ids=["ascii", "euro", "braces", "backslash", "all-extension", "accent-basic", "empty"],
)
def test_septets_counts_extension_characters_twice(text, expected):
    assert septets(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        ("a" * 158 + "€", 1),  # 160 septets
        ("a" * 306, 2),  # 2 x 153
        ("a" * 307, 3),
        ("{" * 153, 2),  # 306 septets
        ("é" * 160, 1),  # accents of the basic set stay GSM-7
        ("’" * 70, 1),  # UCS-2
        ("’" * 71, 2),
        ("a" * 133 + "’", 2),  # one curly apostrophe turns 134 characters into UCS-2
        ("’" * 134, 2),  # 2 x 67
        ("’" * 135, 3),
        ("🤒" * 35, 1),  # each emoji is 2 UTF-16 code units: 70
        ("🤒" * 36, 2),  # 72 units
        ("a" * 69 + "🤒", 2),  # 71 units
    ],
    ids=["empty", "gsm-160", "gsm-161", "gsm-euro-161", "gsm-euro-160", "gsm-306", "gsm-307",
         "gsm-extension-306", "gsm-accents-160", "ucs2-70", "ucs2-71", "ucs2-one-apostrophe",
         "ucs2-134", "ucs2-135", "emoji-70-units", "emoji-72-units", "emoji-71-units"],
)
def test_segments_by_length_and_alphabet(text, expected):
    assert segments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a" * 160, True), ("a" * 161, False), ("a" * 70 + "’", False), ("That’s all", True)],
    ids=["gsm-160", "gsm-161", "ucs2-71", "ucs2-short"],
)
def test_fits_one_segment_at_the_limits(text, expected):
    assert fits_one_segment(text) is expected
