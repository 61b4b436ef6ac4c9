"""Tests for bot.understanding.zh.callback (expected UTC values computed by hand)."""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.understanding.zh.callback import mentions_callback, parse_callback_time

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")

# Monday 10:00 CST (02:00 UTC).
MON = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
# Monday 21:00 CST (13:00 UTC), late evening.
LATE = datetime(2026, 6, 1, 21, 0, tzinfo=SHANGHAI)
# A Mandarin household in New York: Saturday 10:00 EST (15:00 UTC), the day before spring-forward.
NY_SAT = datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK)
# Sunday 01:00 EST (06:00 UTC); at 02:00 clocks jump to 03:00 EDT.
NY_SPRING = datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _mon(text: str, *expected: int) -> pytest.param:
    return pytest.param(text, MON, SHANGHAI, _utc(*expected) if expected else None, id=text or "empty")


PARSE_CASES = [
    # delays, from Monday 10:00 CST = 02:00 UTC
    _mon("两个小时后", 2026, 6, 1, 4),
    _mon("两小时后", 2026, 6, 1, 4),
    _mon("2小时后", 2026, 6, 1, 4),
    _mon("一个小时后", 2026, 6, 1, 3),
    _mon("一小时以后", 2026, 6, 1, 3),
    _mon("半小时后", 2026, 6, 1, 2, 30),
    _mon("半个小时后", 2026, 6, 1, 2, 30),
    _mon("一个半小时以后", 2026, 6, 1, 3, 30),
    _mon("两个半小时后", 2026, 6, 1, 4, 30),
    _mon("三十分钟后", 2026, 6, 1, 2, 30),
    _mon("二十分钟以后", 2026, 6, 1, 2, 20),
    _mon("45分钟后", 2026, 6, 1, 2, 45),
    _mon("过两个小时", 2026, 6, 1, 4),
    _mon("过半小时再打", 2026, 6, 1, 2, 30),
    _mon("等十分钟", 2026, 6, 1, 2, 10),
    _mon("十分钟后再打吧", 2026, 6, 1, 2, 10),
    _mon("一个钟头以后", 2026, 6, 1, 3),
    _mon("二十四小时后", 2026, 6, 2, 2),
    # clock times with no day: the next one
    _mon("下午三点", 2026, 6, 1, 7),
    _mon("下午三点半", 2026, 6, 1, 7, 30),
    _mon("三点", 2026, 6, 1, 7),
    _mon("九点", 2026, 6, 2, 1),
    _mon("十点", 2026, 6, 2, 2),
    _mon("十一点", 2026, 6, 1, 3),
    _mon("十二点", 2026, 6, 1, 4),
    _mon("中午十二点", 2026, 6, 1, 4),
    _mon("中午一点", 2026, 6, 1, 5),
    _mon("晚上八点", 2026, 6, 1, 12),
    _mon("晚上八点半", 2026, 6, 1, 12, 30),
    _mon("15:30", 2026, 6, 1, 7, 30),
    _mon("15点", 2026, 6, 1, 7),
    _mon("下午两点一刻", 2026, 6, 1, 6, 15),
    _mon("下午四点三刻", 2026, 6, 1, 8, 45),
    _mon("下午三点十五分", 2026, 6, 1, 7, 15),
    _mon("九点零五", 2026, 6, 2, 1, 5),
    _mon("上午十点半", 2026, 6, 1, 2, 30),
    _mon("凌晨三点", 2026, 6, 1, 19),
    _mon("八点钟", 2026, 6, 2, 0),
    # parts of day
    _mon("晚上", 2026, 6, 1, 10),
    _mon("今天晚上", 2026, 6, 1, 10),
    _mon("今晚", 2026, 6, 1, 11),
    _mon("下午", 2026, 6, 1, 6),
    _mon("中午", 2026, 6, 1, 4),
    _mon("傍晚", 2026, 6, 1, 10),
    _mon("上午", 2026, 6, 2, 1),
    _mon("今天上午"),
    _mon("凌晨"),
    # days and weekdays (Monday 1 June)
    _mon("明天", 2026, 6, 2, 1),
    _mon("明天上午九点", 2026, 6, 2, 1),
    _mon("明天下午", 2026, 6, 2, 6),
    _mon("明早", 2026, 6, 2, 1),
    _mon("明晚", 2026, 6, 2, 11),
    _mon("明天晚上七点", 2026, 6, 2, 11),
    _mon("后天", 2026, 6, 3, 1),
    _mon("后天下午两点", 2026, 6, 3, 6),
    _mon("大后天", 2026, 6, 4, 1),
    _mon("今天下午五点", 2026, 6, 1, 9),
    _mon("今天不行，明天吧", 2026, 6, 2, 1),
    _mon("周五", 2026, 6, 5, 1),
    _mon("星期三下午", 2026, 6, 3, 6),
    _mon("礼拜天", 2026, 6, 7, 1),
    _mon("周一", 2026, 6, 8, 1),
    _mon("下周一", 2026, 6, 8, 1),
    _mon("下周五", 2026, 6, 12, 1),
    _mon("下个星期二上午十点", 2026, 6, 9, 2),
    _mon("早上好，下午三点再打", 2026, 6, 1, 7),
    _mon("别打了，明天再说", 2026, 6, 2, 1),
    _mon("明天 上午 九点 。", 2026, 6, 2, 1),
    # no time named, or none that can be
    _mon("今天"),
    _mon("晚点"),
    _mon("过一会儿"),
    _mon("等一下"),
    _mon("几个小时后"),
    _mon("晚一点再打"),
    _mon("不方便"),
    _mon("我在忙"),
    _mon("改天"),
    _mon("晚上好"),
    _mon("二十五点"),
    _mon("九点七十分"),
    _mon(""),
    # late evening in Shanghai (Monday 21:00 CST = 13:00 UTC)
    pytest.param("今晚", LATE, SHANGHAI, None, id="late-tonight-passed"),
    pytest.param("晚上", LATE, SHANGHAI, _utc(2026, 6, 2, 10), id="late-evening-rolls-over"),
    pytest.param("下午三点", LATE, SHANGHAI, _utc(2026, 6, 2, 7), id="late-afternoon-rolls-over"),
    pytest.param("晚上十点", LATE, SHANGHAI, _utc(2026, 6, 1, 14), id="late-ten-tonight"),
    pytest.param("明天", LATE, SHANGHAI, _utc(2026, 6, 2, 1), id="late-tomorrow"),
    # a Mandarin household in New York, across the spring-forward
    pytest.param("明天上午九点", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-tomorrow-nine-edt"),
    pytest.param("二十四小时后", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 15), id="dst-24-hours-elapsed"),
    pytest.param("凌晨两点半", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 7, 30), id="dst-gap-shifted-forward"),
    pytest.param("两个小时后", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 8), id="dst-delay-across-gap"),
]


@pytest.mark.parametrize(("text", "now", "tz", "expected"), PARSE_CASES)
def test_parse_callback_time_table(text: str, now: datetime, tz: ZoneInfo, expected: datetime | None) -> None:
    result = parse_callback_time(text, now, tz)

    assert result == expected
    if expected is not None:
        assert result is not None and result.utcoffset().total_seconds() == 0


def test_callback_table_is_large_enough() -> None:
    assert len(PARSE_CASES) >= 60


MENTIONS_CASES = [
    ("等会儿再打", True), ("晚点再打", True), ("过一会儿", True), ("我在忙", True), ("现在不方便", True),
    ("明天吧", True), ("下午三点", True), ("两个小时后", True), ("改天吧", True), ("没空", True),
    ("待会打给我", True), ("回头再说", True), ("你晚一点再打过来", True), ("几个小时后", True),
    ("现在不行", True), ("别打了，明天再说", True), ("我在开会", True), ("有事", True),
    ("不", False), ("不是", False), ("是的", False), ("", False), ("别再打了", False), ("不需要", False),
    ("不感兴趣", False), ("打错了", False), ("早上好", False), ("不要再给我打电话了", False), ("好的", False),
]


@pytest.mark.parametrize(("text", "expected"), MENTIONS_CASES, ids=[row[0] or "empty" for row in MENTIONS_CASES])
def test_mentions_callback_tells_a_callback_from_a_refusal(text: str, expected: bool) -> None:
    assert mentions_callback(text) is expected


def test_parse_callback_time_naive_now_raises_value_error() -> None:
    with pytest.raises(ValueError):
        parse_callback_time("两个小时后", datetime(2026, 6, 1, 10), SHANGHAI)


@pytest.mark.parametrize("text", ["九" * 5000 + "小时后", "99999999999小时后", "\U0001f4de" * 100, "点点点点"])
def test_parse_callback_time_junk_input_returns_none(text: str) -> None:
    assert parse_callback_time(text, MON, SHANGHAI) is None


@pytest.mark.parametrize("text", ["十" * 10000, "1" * 10000, "一" * 10000, "九点" * 5000, "两个小时后" * 2000],
                         ids=["tens", "digits", "ones", "clocks", "delays"])
def test_callback_readers_on_long_input_return_within_50ms(text: str) -> None:
    started = time.perf_counter()
    parse_callback_time(text, MON, SHANGHAI)
    mentions_callback(text)
    assert time.perf_counter() - started < 0.05


def test_parse_callback_time_random_text_never_raises() -> None:
    rng = random.Random(20260601)
    alphabet = "明天后今晚上下午中凌晨点半刻分钟小时个过等周星期一二三四五六日十零两0123456789:，。 好不"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        result = parse_callback_time(text, MON, SHANGHAI)
        assert result is None or result.tzinfo is UTC, text
        assert isinstance(mentions_callback(text), bool), text
