"""Tests for bot.understanding.en.temperature."""

import random

import pytest

from bot.understanding.en.temperature import (
    PLAUSIBLE_MAX_C,
    PLAUSIBLE_MIN_C,
    Temperature,
    parse_temperature,
    says_not_measured,
)

# (what the resident said, expected celsius, expected unit)
PARSE_ROWS = [
    # digits
    ("37.8", 37.8, "C"),
    ("37,8", 37.8, "C"),
    ("it's 38", 38.0, "C"),
    ("38 degrees", 38.0, "C"),
    ("37.5C", 37.5, "C"),
    ("37.5 °C", 37.5, "C"),
    ("about 36.9", 36.9, "C"),
    ("my temperature is 37.2 celsius", 37.2, "C"),
    ("36.6 this morning", 36.6, "C"),
    ("37.5°", 37.5, "C"),
    ("37.5\u2103", 37.5, "C"),
    ("37.5\u00baC", 37.5, "C"),
    ("\uff13\uff17.\uff15", 37.5, "C"),
    ("It's 37.9!", 37.9, "C"),
    ("36.6.", 36.6, "C"),
    ("ITS 37.4 CELSIUS", 37.4, "C"),
    ("38 C", 38.0, "C"),
    ("38 centigrade", 38.0, "C"),
    ("37.5 degrees c", 37.5, "C"),
    ("37 point 5", 37.5, "C"),
    # rounding: half up to 0.1
    ("37.25", 37.3, "C"),
    ("37.24", 37.2, "C"),
    ("36,65", 36.7, "C"),
    # words
    ("thirty seven point eight", 37.8, "C"),
    ("thirty-eight", 38.0, "C"),
    ("thirty seven and a half", 37.5, "C"),
    ("thirty six point six", 36.6, "C"),
    ("thirty seven degrees", 37.0, "C"),
    ("thirty-seven point two degrees celsius", 37.2, "C"),
    ("Thirty Eight Point Three", 38.3, "C"),
    ("thirty seven dot four", 37.4, "C"),
    ("thirty seven decimal one", 37.1, "C"),
    ("thirty seven and a quarter", 37.3, "C"),
    ("37 and a half", 37.5, "C"),
    ("thirty seven point oh five", 37.1, "C"),
    ("thirty seven and three quarters", 37.8, "C"),
    # fraction signs and typed fractions: NFKC alone would weld "37½" into "371/2"
    ("37\u00bd", 37.5, "C"),
    ("37 \u00bd", 37.5, "C"),
    ("37\u00bd\u00b0C", 37.5, "C"),
    ("thirty seven and \u00bd", 37.5, "C"),
    ("37\u00be", 37.8, "C"),
    ("37 1/2", 37.5, "C"),
    ("37 and 1/2", 37.5, "C"),
    ("37 1\u20442", 37.5, "C"),
    # digit by digit / keypad
    ("three seven point five", 37.5, "C"),
    ("three eight", 38.0, "C"),
    ("three six point six", 36.6, "C"),
    ("three seven five", 37.5, "C"),
    ("three six six", 36.6, "C"),
    ("three eight point two degrees", 38.2, "C"),
    ("3 7 5", 37.5, "C"),
    ("375", 37.5, "C"),
    ("386", 38.6, "C"),
    ("340", 34.0, "C"),
    ("430", 43.0, "C"),
    # Fahrenheit, stated or inferred from 93..110
    ("99.5", 37.5, "F"),
    ("a hundred and one", 38.3, "F"),
    ("101 F", 38.3, "F"),
    ("ninety nine point five degrees fahrenheit", 37.5, "F"),
    ("one hundred point four", 38.0, "F"),
    ("98.6", 37.0, "F"),
    ("102 degrees", 38.9, "F"),
    ("100.4°F", 38.0, "F"),
    ("100.4\u2109", 38.0, "F"),
    ("101 fahrenheit", 38.3, "F"),
    ("ninety eight point six", 37.0, "F"),
    ("nine eight point six", 37.0, "F"),
    ("one oh one", 38.3, "F"),
    ("hundred and two", 38.9, "F"),
    ("one hundred and three degrees f", 39.4, "F"),
    ("93", 33.9, "F"),
    ("110", 43.3, "F"),
    ("37 F", 2.8, "F"),
    ("99 C", 99.0, "C"),
    ("120 F", 48.9, "F"),
    # numbers inside sentences
    ("I measured it, it was 37.4", 37.4, "C"),
    ("um, it's like thirty eight point one I think", 38.1, "C"),
    ("37.8 yesterday but today it's 37.1", 37.1, "C"),
    ("today it is 37.1, yesterday it was 37.8", 37.1, "C"),
    ("it was 38.2 this morning and now it is 37.6", 37.6, "C"),
    ("yesterday 36.9, then 37.7", 37.7, "C"),
    ("I took it at 8 and it was 37.5", 37.5, "C"),
    ("it was 37.5 at 9 o'clock", 37.5, "C"),
    ("my son is 5 and I'm 37.2", 37.2, "C"),
    ("the thermometer said 99.1 degrees", 37.3, "F"),
    ("I think around thirty seven", 37.0, "C"),
    ("it's 37.5 °C today", 37.5, "C"),
    ("yesterday 37.8 today 37.1", 37.1, "C"),
    ("today 37.1 yesterday 37.8", 37.1, "C"),
    ("an hour ago 38.1, now 37.4", 37.4, "C"),
    ("38.2 before the paracetamol and 37.3 after", 37.3, "C"),
    # one reading said twice, in the same or another unit, is still one reading
    ("37.5, 37.5", 37.5, "C"),
    ("37.5 or 37.5", 37.5, "C"),
    ("thirty seven point five, I said 37.5", 37.5, "C"),
    ("37 C, that's 98.6 F", 37.0, "F"),
    ("it's 37.5 - I think", 37.5, "C"),
    # implausible values still parse
    ("45", 45.0, "C"),
    ("30", 30.0, "C"),
    ("forty five", 45.0, "C"),
    ("0", 0.0, "C"),
    ("zero", 0.0, "C"),
    ("50 degrees", 50.0, "C"),
]

NOT_A_TEMPERATURE = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("I don't know", id="dont-know"),
    pytest.param("yes", id="yes"),
    pytest.param("no", id="no"),
    pytest.param("fine", id="fine"),
    pytest.param("I feel hot", id="feel-hot"),
    pytest.param("emoji \U0001f912", id="emoji-word"),
    pytest.param("\U0001f912", id="emoji-only"),
    pytest.param("a" * 5000, id="5000-a"),
    pytest.param("'; DROP TABLE screenings; --", id="sql"),
    pytest.param("我不知道", id="chinese"),
    pytest.param("a few", id="a-few"),
    pytest.param("at 9 o'clock", id="oclock-digits"),
    pytest.param("at nine o clock", id="oclock-words"),
    pytest.param("I'm 37 years old", id="age"),
    pytest.param("at 9:30", id="clock-time"),
    pytest.param("on 12/05", id="date"),
    pytest.param("9" * 40, id="huge-number"),
    pytest.param("\u00bd", id="fraction-alone"),
]

# A real resident's answer is never guessed: each of these is asked again.
# (what the resident said, why it cannot be read as one temperature)
NOT_ONE_READING = [
    # malformed decimals may hide a 37.5, so they are not read as 37
    ("37..5", "doubled point"),
    ("37 .5", "space before the point"),
    ("37. 5", "space after the point"),
    ("37,,5", "doubled comma"),
    ("37, 8", "decimal comma with a space"),
    ("37 5", "two numbers side by side"),
    ("thirty seven point", "point without digits"),
    ("37.5 and a half", "fraction on a decimal"),
    ("37 1/3", "a third"),
    ("37\u2153", "a third sign"),
    # signs: no body temperature is negative, and "+" is not a reading either
    ("-37.5", "minus sign"),
    ("+37.5", "plus sign"),
    ("\u221237.5", "unicode minus sign"),
    ("minus 37", "minus word"),
    ("it's -37", "minus sign in a sentence"),
    # ranges
    ("36-37", "dash range"),
    ("36.5-37.5", "dash range with decimals"),
    ("36 - 37", "spaced dash range"),
    ("36\u201337", "en dash range"),
    ("36 to 37", "to range"),
    ("between 36 and 37", "between range"),
    ("from thirty six to thirty seven", "spoken range"),
    ("36 and 37 today", "and range with a time word"),
    # alternatives
    ("37 or 38", "or"),
    ("37/38", "slash"),
    ("37.5/38", "slash with a decimal"),
    ("thirty seven or thirty eight", "spoken or"),
    ("37 or maybe 38", "or maybe"),
    ("37 or 38 today", "or with a time word"),
    ("37.5 or 3", "or with an implausible number"),
    ("37 C or 99 F", "or across units"),
    # two different readings, no way to tell which is meant
    ("37.5, no wait 38", "correction"),
    ("37.5, sorry, 38", "apology"),
    ("37.5. 38.", "two sentences"),
    ("today 37, 38", "second reading after a comma"),
    ("I measured 37.2 and then 37.9", "two readings, no time given"),
    ("yesterday 37, last night 38", "both readings earlier"),
]

IMPLAUSIBLE = ["45", "30", "forty five", "120 F", "0", "37 F", "33.9", "43.1", "110"]
PLAUSIBLE = ["37.5", "34", "43", "thirty four", "98.6", "109"]


@pytest.mark.parametrize(
    ("text", "celsius", "unit"), PARSE_ROWS, ids=[row[0] for row in PARSE_ROWS]
)
def test_parse_temperature_understands_phrasing(text: str, celsius: float, unit: str) -> None:
    result = parse_temperature(text)

    assert result is not None
    assert (result.celsius, result.unit) == (celsius, unit)


def test_parse_temperature_table_is_large_enough() -> None:
    assert len(PARSE_ROWS) >= 70


@pytest.mark.parametrize("text", NOT_A_TEMPERATURE)
def test_parse_temperature_returns_none_without_a_temperature(text: str) -> None:
    assert parse_temperature(text) is None


@pytest.mark.parametrize(
    ("text", "why"), NOT_ONE_READING, ids=[row[1] for row in NOT_ONE_READING]
)
def test_parse_temperature_asks_again_rather_than_guess(text: str, why: str) -> None:
    assert parse_temperature(text) is None


@pytest.mark.parametrize("text", ["37.8", "  it's Thirty-Eight!  ", "101 F"])
def test_parse_temperature_keeps_raw_text(text: str) -> None:
    result = parse_temperature(text)

    assert result is not None
    assert result.said == text


@pytest.mark.parametrize("text", IMPLAUSIBLE, ids=IMPLAUSIBLE)
def test_parse_temperature_flags_implausible_values(text: str) -> None:
    result = parse_temperature(text)

    assert result is not None
    assert result.plausible is False


@pytest.mark.parametrize("text", PLAUSIBLE, ids=PLAUSIBLE)
def test_parse_temperature_accepts_plausible_values(text: str) -> None:
    result = parse_temperature(text)

    assert result is not None
    assert result.plausible is True


@pytest.mark.parametrize(
    ("celsius", "plausible"),
    [
        (PLAUSIBLE_MIN_C, True),
        (PLAUSIBLE_MAX_C, True),
        (PLAUSIBLE_MIN_C - 0.1, False),
        (PLAUSIBLE_MAX_C + 0.1, False),
    ],
    ids=["min", "max", "below-min", "above-max"],
)
def test_temperature_plausible_includes_bounds(celsius: float, plausible: bool) -> None:
    assert Temperature(celsius=celsius, said="", unit="C").plausible is plausible


def test_parse_temperature_ambiguous_count_does_not_raise() -> None:
    result = parse_temperature("I have 2 kids")

    assert result is None or isinstance(result, Temperature)


def _random_text(rng: random.Random) -> str:
    vocabulary = [
        "three", "seven", "point", "and", "a", "half", "hundred", "oh", "o", "degrees",
        "f", "c", "today", "now", "37.5", "99", "375", ",", ".", "°", "℉", "-", "'",
        "9:30", "0", "1" * 30, "我", "\U0001f912", "\x00", "  ", "clock", "quarter",
    ]
    return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 12)))


def test_parse_temperature_never_raises_on_random_input() -> None:
    rng = random.Random(20240601)
    texts = [_random_text(rng) for _ in range(3000)]
    texts += ["".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(40)) for _ in range(500)]

    for text in texts:
        result = parse_temperature(text)
        assert result is None or isinstance(result.celsius, float), text
        assert isinstance(says_not_measured(text), bool), text
