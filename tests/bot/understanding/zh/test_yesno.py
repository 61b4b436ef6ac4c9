"""Tests for bot.understanding.zh.yesno.parse_yes_no."""

from __future__ import annotations

import time

import pytest

from bot.understanding.zh.yesno import parse_yes_no

# (answer, expected)
ANSWERS = [
    # yes
    ("是", True),
    ("是的", True),
    ("是啊", True),
    ("对", True),
    ("对的", True),
    ("没错", True),
    ("好", True),
    ("好的", True),
    ("好吧", True),
    ("可以", True),
    ("可以的", True),
    ("行", True),
    ("行啊", True),
    ("嗯", True),
    ("嗯嗯", True),
    ("恩", True),
    ("方便", True),
    ("现在方便", True),
    ("有", True),
    ("有的", True),
    ("有点", True),
    ("没问题", True),
    ("没关系，你问吧", True),
    ("当然可以", True),
    ("继续", True),
    ("你说吧", True),
    ("嗯，好的", True),
    ("是的，方便", True),
    ("OK", True),
    ("好的！", True),
    ("1", True),
    ("1#", True),
    ("\uff11", True),
    ("不好意思，可以", True),
    # no
    ("不", False),
    ("不是", False),
    ("不对", False),
    ("没有", False),
    ("没", False),
    ("否", False),
    ("不方便", False),
    ("现在不方便", False),
    ("不太方便", False),
    ("不是很方便", False),
    ("有点不方便", False),
    ("不用", False),
    ("不用了", False),
    ("不行", False),
    ("不要", False),
    ("不需要", False),
    ("我在忙", False),
    ("有事", False),
    ("我在开车", False),
    ("没空", False),
    ("结束", False),
    ("算了", False),
    ("嗯，不方便", False),
    ("不好意思，现在不方便", False),
    ("没发烧", False),
    ("2", False),
    ("2#", False),
    # neither, both, or unclear
    ("", None),
    ("   ", None),
    ("不知道", None),
    ("不清楚", None),
    ("可能吧", None),
    ("也许", None),
    ("说不好", None),
    ("还行", None),
    ("是也不是", None),
    ("是不是", None),
    ("你好", None),
    ("对不起", None),
    ("你说什么", None),
    ("体温", None),
    ("咳嗽", None),
    ("明天", None),
    ("3", None),
    ("12", None),
    ("\U0001f914", None),
    ("yes and no", None),
]


@pytest.mark.parametrize(("text", "expected"), ANSWERS, ids=[row[0] or "empty" for row in ANSWERS])
def test_parse_yes_no_answer_gives_expected_polarity(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


def test_yes_no_table_is_large_enough() -> None:
    assert len(ANSWERS) >= 60


@pytest.mark.parametrize("text", ["\ud800", "\u0000", "\u202e是", "是" * 5000, "不，" * 2500, "'" * 100])
def test_parse_yes_no_odd_strings_do_not_raise(text: str) -> None:
    assert parse_yes_no(text) in (True, False, None)


@pytest.mark.parametrize("text", ["是" * 5000, "不方便" * 1500, "啊" * 5000, "\U0001f914" * 5000],
                         ids=["repeated-yes", "repeated-no", "one-character", "emoji"])
def test_parse_yes_no_long_input_returns_within_50ms(text: str) -> None:
    parse_yes_no(text)  # warm-up so only the steady-state cost is measured
    started = time.perf_counter()
    parse_yes_no(text)
    assert time.perf_counter() - started < 0.05
