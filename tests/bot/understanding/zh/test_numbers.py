"""Tests for bot.understanding.zh.numbers and zh.counts: Mandarin numerals and counts of people."""

from decimal import Decimal

import pytest

from bot.understanding.zh.counts import parse_count
from bot.understanding.zh.numbers import DASH, find_numbers, has_unreadable, tokenize, value_of

COUNT_ROWS = [
    ("两个", 2),
    ("三个人", 3),
    ("一个", 1),
    ("一个人", 1),
    ("2", 2),
    ("2个", 2),
    ("二", 2),
    ("一", 1),
    ("俩", 2),
    ("他们俩", 2),
    ("仨", 3),
    ("五个", 5),
    ("十个", 10),
    ("二十个", 20),
    ("有两个", 2),
    ("两个孩子", 2),
    ("一共三个", 3),
    ("没有，就一个", 1),
    ("没有人", 0),
    ("没人", 0),
    ("没有", 0),
    ("一个都没有", 0),
    ("一个也没有", 0),
    ("谁都没有", 0),
    ("都没有", 0),
    ("零个", 0),
    ("0", 0),
    ("两三个", None),
    ("一两个", None),
    ("几个", None),
    ("好几个", None),
    ("两个或者三个", None),
    ("一二", None),
    ("两个半", None),
    ("负两个", None),
    ("-2", None),
    ("就我一个", None),
    ("我自己", None),
    ("不知道", None),
    ("", None),
    ("孩子和老人", None),
]

# (token, value): None when the numeral reads as no one value.
VALUE_ROWS = [
    ("三十七", Decimal(37)),
    ("三十七点五", Decimal("37.5")),
    ("三十七点零五", Decimal("37.05")),
    ("两百", Decimal(200)),
    ("一百零一", Decimal(101)),
    ("三七五", Decimal(375)),
    ("三八点二", Decimal("38.2")),
    ("幺零一", Decimal(101)),
    ("〇", Decimal(0)),
    ("37点5", Decimal("37.5")),
    ("37.5", Decimal("37.5")),
    ("俩", Decimal(2)),
    ("三十七八", None),
    ("两三", None),
    ("七八", None),
    ("三十几", None),
    ("十十", None),
    ("一" * 13, None),
]

TOKEN_ROWS = [
    ("三十八度六", ["三十八", "度", "六"]),
    ("体温37.1", ["体", "温", "37.1"]),
    ("摄氏三十八度", ["摄氏", "三十八", "度"]),
    ("37.5\u2103", ["37.5", "摄氏度"]),
    ("\uff13\uff17\uff0e\uff15", ["37.5"]),
    ("一直三十八", ["一直", "三十八"]),
    ("星期一", ["星期一"]),
    ("36-37", ["36", DASH, "37"]),
    ("-37", ["-", "37"]),
    ("负三十七", ["负", "三十七"]),
    ("零下三十七", ["零下", "三十七"]),
    ("八点十分", ["八", "点", "十", "分"]),
    ("9:30", ["9:30"]),
    ("37\u00bd", ["37", "半"]),
    ("三十七，三十八", ["三十七", ",", "三十八"]),
]


@pytest.mark.parametrize(("text", "count"), COUNT_ROWS, ids=[row[0] or "empty" for row in COUNT_ROWS])
def test_parse_count_understands_mandarin(text: str, count: int | None) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize(("token", "value"), VALUE_ROWS, ids=[row[0] for row in VALUE_ROWS])
def test_value_of_reads_one_value_or_none(token: str, value: Decimal | None) -> None:
    assert value_of(token) == value


@pytest.mark.parametrize(("text", "tokens"), TOKEN_ROWS, ids=[row[0] for row in TOKEN_ROWS])
def test_tokenize_keeps_numerals_and_words_whole(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_find_numbers_reports_values_and_spans() -> None:
    tokens = tokenize("昨天三十七点八，今天37.1")

    assert [(n.value, n.start, n.end) for n in find_numbers(tokens)] == [
        (Decimal("37.8"), 1, 2), (Decimal("37.1"), 4, 5)]


def test_has_unreadable_flags_a_numeral_with_no_one_value() -> None:
    assert has_unreadable(tokenize("三十七八度")) and not has_unreadable(tokenize("三十七度八"))


@pytest.mark.parametrize("text", ["一" * 5000, "1" * 5000, "十" * 5000, "两个" * 2500, "\U0001f912" * 5000])
def test_parse_count_never_raises_on_long_input(text: str) -> None:
    result = parse_count(text)

    assert result is None or 0 <= result <= 1_000_000
