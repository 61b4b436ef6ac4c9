"""Tests for bot.understanding.en.yesno.parse_yes_no."""

from __future__ import annotations

import time

import pytest

from bot.understanding.en.yesno import parse_yes_no

# (id, answer, expected)
ANSWERS = [
    # yes
    ("yes", "yes", True),
    ("yeah", "yeah", True),
    ("yep", "yep", True),
    ("sure", "sure", True),
    ("ok", "ok", True),
    ("okay", "okay", True),
    ("of-course", "of course", True),
    ("correct", "correct", True),
    ("thats-right", "that's right", True),
    ("yes-please", "yes please", True),
    ("go-ahead", "go ahead", True),
    ("keypad-1", "1", True),
    ("keypad-1-with-hash", "1#", True),
    ("y", "y", True),
    ("uh-huh", "uh huh", True),
    ("yes-good-time", "yes it's a good time", True),
    ("yes-shouted", "YES!!!", True),
    ("yes-stretched", "yesss", True),
    ("yes-curly-apostrophe", "that\u2019s right", True),
    ("no-problem-is-agreement", "no problem", True),
    ("no-worries-is-agreement", "no worries", True),
    ("why-not-is-agreement", "why not", True),
    ("absolutely", "Absolutely.", True),
    ("i-am", "I am", True),
    # no
    ("no", "no", False),
    ("nope", "nope", False),
    ("nah", "nah", False),
    ("not-now", "not now", False),
    ("no-thanks", "no thanks", False),
    ("keypad-2", "2", False),
    ("n", "n", False),
    ("not-really", "not really", False),
    ("no-one", "no one", False),
    ("nobody", "nobody", False),
    ("none", "none", False),
    ("no-shouted", "NO!", False),
    ("no-stretched", "noooo", False),
    ("of-course-not", "of course not", False),
    ("not-a-good-time", "not a good time", False),
    ("i-dont", "I don't", False),
    ("im-not", "I'm not", False),
    ("not-ok", "not ok", False),
    # neither, both, or unclear
    ("empty", "", None),
    ("whitespace", "  \t ", None),
    ("maybe", "maybe", None),
    ("dont-know", "I don't know", None),
    ("banana", "banana", None),
    ("yes-and-no", "yes and no", None),
    ("hmm", "hmm", None),
    ("what", "what?", None),
    ("emoji", "\U0001F914", None),
    ("keypad-3", "3", None),
    ("keypad-12", "12", None),
    ("i-know-is-not-no", "I know", None),
    ("not-sure", "not sure", None),
    ("no-idea", "no idea", None),
    ("yes-maybe", "yes maybe", None),
    ("sql", "'; DROP TABLE screenings; --", None),
    ("non-english", "\u662f\u7684", None),
    ("knock-is-not-no", "knock knock", None),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in ANSWERS], ids=[case[0] for case in ANSWERS])
def test_parse_yes_no_answer_gives_expected_polarity(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(
    "text",
    ["\ud800", "\u0000", "\u202eyes", "y\u0308es", "'" * 100, "yes " * 1250, "no, " * 1250],
    ids=["lone-surrogate", "nul", "bidi", "combining", "apostrophes", "long-yes", "long-no"],
)
def test_parse_yes_no_odd_strings_do_not_raise(text: str) -> None:
    assert parse_yes_no(text) in (True, False, None)


@pytest.mark.parametrize(
    "text",
    ["yes " * 1250, "maybe not " * 500, "a" * 5000, "\U0001F914" * 5000],
    ids=["repeated-yes", "repeated-unsure", "one-long-word", "emoji"],
)
def test_parse_yes_no_long_input_returns_within_50ms(text: str) -> None:
    parse_yes_no(text)  # warm-up so only the steady-state cost is measured
    started = time.perf_counter()
    parse_yes_no(text)
    assert time.perf_counter() - started < 0.05
