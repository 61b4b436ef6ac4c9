"""Property tests: the English readers never return a value the resident did not say."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.understanding.en.counts import parse_count
from bot.understanding.en.numbers import tokenize
from bot.understanding.en.symptoms import parse_symptoms
from bot.understanding.en.temperature import parse_temperature
from bot.understanding.en.yesno import parse_yes_no
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

# No example database: nothing is written into the working tree, and each run
# explores afresh.
FAST = settings(max_examples=60, deadline=None, database=None)

# Spelled out here, not imported: a word the reader wrongly took for a number
# must not be excused by the very table that made the mistake.
UNIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TENS_NAMES = {3: "thirty", 4: "forty"}
NUMBER_WORDS = {
    *UNIT_NAMES, "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
    "seventy", "eighty", "ninety", "hundred",
}

# Characters that can never spell an English word or an ASCII digit, even after
# the readers fold accents and compatibility forms: other scripts (Cyrillic "о"
# looks like "o"), Arabic-Indic digits, emoji, marks, invisible and control
# characters, and ASCII punctuation.
FOREIGN = st.sampled_from(
    "我不知道发烧今天 أنا بخير ٣٧ привет да нет ναι όχι כן לא हाँ नहीं 🤒🔥👍😷"
    "\u0301\u0308\u200b\u200d\u200f\ufeff\u00a0\x00\x07\t\n"
    " .,;:!?\"()[]{}%#*@&/+-_"
)
FOREIGN_TEXT = st.text(FOREIGN, max_size=8)

# Words that sit near numbers in real answers but are not numbers themselves.
NEAR_NUMBER_WORDS = [
    "point", "dot", "decimal", "and", "a", "half", "quarter", "quarters", "oh", "o",
    "degrees", "celsius", "fahrenheit", "f", "c", "minus", "plus", "or", "to", "today",
    "yesterday", "now", "it's", "about", "I", "measured", "o'clock", "years", "°", "℃",
    "-", "+", ",", ".", "/", "thermometer", "hot", "fever", "no", "wait",
]


def _mentions_a_number(text: str) -> bool:
    """Digits in any script, or a number word as the readers split words."""
    folded = unicodedata.normalize("NFKC", text)
    if any(ch.isnumeric() for ch in text + folded):
        return True
    return bool(NUMBER_WORDS.intersection(tokenize(text)))


def _phrase(vocabulary: list[str], separators: str = " ") -> st.SearchStrategy[str]:
    """A few vocabulary words, with a run of FOREIGN characters somewhere among them."""
    return st.builds(
        lambda words, foreign, at, separator: separator.join(words[:at] + [foreign] + words[at:]),
        st.lists(st.sampled_from(vocabulary), min_size=1, max_size=6),
        FOREIGN_TEXT,
        st.integers(0, 6),
        st.sampled_from(list(separators)),
    )


def _pairs(vocabulary: list[str]) -> list[str]:
    """Every two-word answer: a cheap, exhaustive companion to the random phrases."""
    return [f"{first} {second}" for first in vocabulary for second in vocabulary]


def _tenth(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _spoken(tenths: int) -> str:
    """350..420 tenths as a resident says them: 375 -> "thirty seven point five"."""
    tens, unit = divmod(tenths // 10, 10)
    words = [TENS_NAMES[tens]] + ([UNIT_NAMES[unit]] if unit else [])
    return " ".join([*words, "point", UNIT_NAMES[tenths % 10]])


def _said(tenths: int, style: str) -> str:
    if style == "words":
        return _spoken(tenths)
    printed = f"{tenths / 10:.1f}"
    return printed.replace(".", ",") if style == "comma" else printed


BODY_TENTHS = st.integers(350, 420)  # 35.0 .. 42.0 C
STYLES = st.sampled_from(["digits", "comma", "words"])
PREFIXES = st.sampled_from(["", "it's ", "my temperature is ", "about ", "I measured ", "today "])
SUFFIXES = st.sampled_from(["", " today", ".", "!", " I think", " this morning", " degrees"])


# --- temperature --------------------------------------------------------------

@FAST
@given(_phrase(NEAR_NUMBER_WORDS, separators=" -,"))
def test_temperature_needs_a_number_in_the_text(text: str) -> None:
    assume(not _mentions_a_number(text))

    assert parse_temperature(text) is None


# Filler that can stand between numbers without joining or extending them.
SPACER_WORDS = ["it", "was", "my", "son", "is", "at", "yesterday", "today", "now", "c", "f",
                "degrees", "measured", "thermometer", "hot", "then", ",", "?", "but"]


@FAST
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(SPACER_WORDS), min_size=1, max_size=3),
            st.one_of(
                st.integers(0, 1200).map(str),
                st.integers(0, 9999).map(lambda n: f"{n / 10:.1f}"),
                st.integers(0, 99999).map(lambda n: f"{n / 100:.2f}".replace(".", ",")),
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_temperature_comes_from_a_number_said(parts: list[tuple[list[str], str]]) -> None:
    text = " ".join(" ".join(words) + " " + numeral for words, numeral in parts)
    allowed = set()
    for _, numeral in parts:
        value = Decimal(numeral.replace(",", "."))
        allowed |= {_tenth(value), _tenth(value / 10), _tenth((value - 32) * 5 / 9)}

    reading = parse_temperature(text)

    assert reading is None or reading.celsius in allowed


@FAST
@given(BODY_TENTHS, STYLES, PREFIXES, SUFFIXES)
def test_temperature_reads_any_body_temperature(
    tenths: int, style: str, prefix: str, suffix: str
) -> None:
    reading = parse_temperature(prefix + _said(tenths, style) + suffix)

    assert reading is not None
    assert (reading.celsius, reading.unit) == (tenths / 10, "C")


@FAST
@given(BODY_TENTHS, STYLES)
def test_temperature_said_twice_is_one_reading(tenths: int, style: str) -> None:
    reading = parse_temperature(f"{_said(tenths, style)}, {_said(tenths, style)}")

    assert reading is not None and reading.celsius == tenths / 10


@FAST
@given(
    BODY_TENTHS,
    BODY_TENTHS,
    STYLES,
    st.sampled_from([" or ", "-", " - ", " to ", "/", ", no wait ", " or maybe ", ", "]),
    PREFIXES,
)
def test_temperature_two_readings_are_asked_again(
    first: int, second: int, style: str, joiner: str, prefix: str
) -> None:
    assume(first != second)
    text = prefix + _said(first, style) + joiner + _said(second, style)

    assert parse_temperature(text) is None, text


@FAST
@given(BODY_TENTHS, STYLES, st.sampled_from(["-", "+", "\u2212", "minus ", "plus "]))
def test_temperature_with_a_sign_is_asked_again(tenths: int, style: str, sign: str) -> None:
    assume(not (style == "words" and sign in "-+\u2212"))  # a sign glyph before a word is a dash

    assert parse_temperature(sign + _said(tenths, style)) is None


# --- counts -------------------------------------------------------------------

ZERO_AND_BOTH = {"none", "nobody", "noone", "nil", "both", "zero", "body"}
COUNT_WORDS = NEAR_NUMBER_WORDS + ["people", "of", "them", "all", "just", "no", "nothing", "few"]


@FAST
@given(_phrase(COUNT_WORDS))
def test_count_needs_a_number_in_the_text(text: str) -> None:
    assume(not _mentions_a_number(text))
    assume(not ZERO_AND_BOTH.intersection(tokenize(text)))

    assert parse_count(text) is None


def test_count_and_temperature_need_a_number_in_any_two_words() -> None:
    for text in _pairs(COUNT_WORDS):
        if not _mentions_a_number(text):
            assert parse_temperature(text) is None, text
            if not ZERO_AND_BOTH.intersection(tokenize(text)):
                assert parse_count(text) is None, text


@FAST
@given(st.integers(0, 1_000_000), st.sampled_from(["{}", "{} people", "just {}", "{} of them"]))
def test_count_reads_any_count(count: int, template: str) -> None:
    assert parse_count(template.format(count)) == count


@FAST
@given(st.integers(1, 50), st.integers(1, 50), st.sampled_from([" or ", "-", " to ", ", no "]))
def test_count_two_different_counts_are_asked_again(first: int, second: int, joiner: str) -> None:
    assume(first != second)

    assert parse_count(f"{first}{joiner}{second}") is None


# --- yes / no -----------------------------------------------------------------

NEUTRAL_WORDS = ["temperature", "cough", "house", "the", "my", "today", "fever", "thermometer",
                 "hello", "phone", "weather", "hot", "cold", "child", "mother", "36.6", "38",
                 "what", "question", "tomorrow", ",", ".", "?", "-"]


@FAST
@given(_phrase(NEUTRAL_WORDS))
def test_yes_no_needs_a_yes_or_no_word(text: str) -> None:
    assert parse_yes_no(text) is None, text


def test_yes_no_needs_a_yes_or_no_word_in_any_two_words() -> None:
    for text in _pairs(NEUTRAL_WORDS):
        assert parse_yes_no(text) is None, text


@FAST
@given(
    _phrase(NEUTRAL_WORDS),
    st.sampled_from([("yes", True), ("yeah", True), ("sure", True), ("no", False), ("nope", False)]),
)
def test_yes_no_reads_the_word_said(filler: str, word: tuple[str, bool]) -> None:
    assert parse_yes_no(f"{filler}, {word[0]}") is word[1]


# --- symptoms -----------------------------------------------------------------

# One everyday phrase for each code; the table must cover every code.
SAYS = {
    "fever": "a fever", "chills": "chills", "cough": "a cough",
    "shortness_of_breath": "short of breath", "fatigue": "tired", "muscle_aches": "body aches",
    "headache": "a headache", "loss_of_taste_or_smell": "lost my sense of smell",
    "sore_throat": "a sore throat", "runny_nose": "a runny nose", "nausea_vomiting": "nausea",
    "diarrhea": "diarrhea", "difficulty_breathing": "difficulty breathing",
    "chest_pain": "chest pain", "confusion": "confused", "bluish_lips": "blue lips",
}
PLAIN_WORDS = ["i", "my", "the", "today", "have", "had", "some", "since", "yesterday", "house",
               "phone", "hello", "and", "but", "or", "with", "is", "it", "was", "no", "not", "yes",
               "maybe", "fine", "thanks", "good", "family", "kids", "work", "36.6", ",", ".", "?"]


def test_symptom_phrase_table_covers_every_code() -> None:
    assert set(SAYS) == set(SYMPTOM_CODES) | set(RED_FLAG_CODES)


@FAST
@given(_phrase(PLAIN_WORDS))
def test_symptoms_need_a_symptom_word(text: str) -> None:
    report = parse_symptoms(text)

    assert report is None or report.none_reported, text


def test_symptoms_need_a_symptom_word_in_any_two_words() -> None:
    for text in _pairs(PLAIN_WORDS):
        report = parse_symptoms(text)
        assert report is None or report.none_reported, text


@FAST
@given(
    st.lists(st.sampled_from(sorted(SAYS)), min_size=1, max_size=5, unique=True),
    st.lists(st.sampled_from(["", "I have ", "also ", "and ", "today ", "my son has "]),
             min_size=5, max_size=5),
)
def test_symptoms_are_the_ones_named(codes: list[str], lead_ins: list[str]) -> None:
    text = ", ".join(lead + SAYS[code] for lead, code in zip(lead_ins, codes))

    report = parse_symptoms(text)

    assert report is not None, text
    assert set(report.symptoms) | set(report.red_flags) == set(codes), text
