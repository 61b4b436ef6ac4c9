"""Mandarin answers to "您今天的体温是多少？", and "没量".

Answers are typed or come from Twilio's cmn-Hans-CN recogniser: "三十八度六", "36度9",
"三十六点九度", "三十八度半", "体温37.1", "摄氏三十八度", "三八点二", "华氏100度",
"刚量的，三十七度四". Everything here is pure and never raises on a str.

One reading, or none, as in every language (core.temperature holds rules 3 to 6):
  1. The whole answer is not understood when a numeral reads as no one value ("三十七八度",
     "三十几度"), when a number is signed ("负三十七", "零下", "-37"), or when the number said
     is not all of the reading: "三十八度多" (more than 38), "三十七度几", "三十七点" (the digits
     after the point were lost), a fraction other than a half.
  2. Numbers followed by a time, date, age or amount word are ignored: "八点" (eight o'clock, for
     a whole number up to 24), "三十七岁", "两天", "三个人".
"度" alone is no unit (it is said of Fahrenheit too); "摄氏"/"华氏" before a number, or
"摄氏度"/"华氏度"/"℃"/"℉" after it, are. "X度Y" is X.Y ("三十八度六" = 38.6) and "X度半" X.5.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.understanding.core.numbers import SpokenNumber, token_at
from bot.understanding.core.temperature import Said, Temperature, Words, one_reading
from bot.understanding.core.text import fold
from bot.understanding.zh.numbers import (
    DASH,
    DIGITS,
    FRACTION,
    find_numbers,
    has_unreadable,
    is_numeral,
    is_signed,
    is_spelled,
    tokenize,
)

_DEGREE = "度"
_UNIT_AFTER = {"摄氏度": "C", "华氏度": "F", "c": "C", "f": "F", "celsius": "C", "fahrenheit": "F"}
_UNIT_BEFORE = {"摄氏": "C", "华氏": "F"}
_UNIT_WORDS = {_DEGREE, *_UNIT_AFTER, *_UNIT_BEFORE}
_LOOSE_AFTER = {"多", "几", "半", FRACTION}  # said after a reading that could not take them
_CLOCK_WORDS = {"点", "时"}  # "八点", "九时": o'clock after a whole number up to 24
# Words after a number that show it is a time, date, age or amount instead.
_NOT_TEMPERATURE_AFTER = {
    "岁", "个", "人", "位", "口", "次", "遍", "天", "号", "日", "月", "年", "周", "星期", "礼拜",
    "小时", "钟头", "分钟", "分", "刻", "秒", "钟", "块", "元", "毛", "斤", "公斤", "米", "层", "楼",
    "顿", "片", "粒", "颗", "毫升", "倍", "%",
}
_CLAUSE_BREAKS = {",", ";", ":", "!", "?", ".", "。", "…", DASH, "但是", "但", "可是", "不过"}
_WORDS = Words(
    joiners=frozenset(
        {"到", "至", "或", "或者", "还是", "要么", "和", "跟", "与", "及", "~", "、", "是", "也"}
        | {"不对", "不是", "我是说", "说错了", "错", "哦", "噢", "呃", "额", "嗯", "啊", "吧", "呀", "呢"}
        | {"可能", "也许", "或许", "大概", "应该"}
        | _CLAUSE_BREAKS | _UNIT_WORDS
    ),
    now=frozenset({"今天", "现在", "目前", "刚刚", "刚", "后", "之后", "以后", "后来"}),
    earlier=frozenset({"昨天", "昨晚", "昨日", "前天", "今早", "早上", "上午", "早晨", "之前", "以前",
                       "刚才", "前", "原来", "本来", "当时"}),
    breaks=frozenset(_CLAUSE_BREAKS | {"然后", "和", "跟", "还有"}),
    reach=12,  # tokens are mostly single characters, so a clause takes more of them
)


def parse_temperature(text: str) -> Temperature | None:
    """None when no temperature can be read from the text (see the module docstring)."""
    tokens = tokenize(text)
    if has_unreadable(tokens):
        return None  # rule 1
    numbers = _with_fractions(find_numbers(tokens), tokens)
    if any(is_signed(tokens, n) or _is_loose(tokens, n) for n in numbers):
        return None  # rule 1
    said = [reading for number in numbers if (reading := _said(number, tokens)) is not None]
    return one_reading(text, said, tokens, _WORDS)


def _with_fractions(numbers: list[SpokenNumber], tokens: list[str]) -> list[SpokenNumber]:
    """Numbers with their "度六" or "度半" taken in: "三十八度六" is one reading, 38.6."""
    joined: list[SpokenNumber] = []
    for number in numbers:
        if joined and number.start < joined[-1].end:
            continue  # the digits after 度 of the number before
        joined.append(_take_fraction(number, tokens))
    return joined


def _take_fraction(number: SpokenNumber, tokens: list[str]) -> SpokenNumber:
    if number.value != number.value.to_integral_value():
        return number  # "三十七点五度五" is left loose
    after = number.end + (token_at(tokens, number.end) == _DEGREE)
    if token_at(tokens, after) == "半":
        return SpokenNumber(number.value + Decimal("0.5"), number.start, after + 1)
    if after > number.end and _is_tenths(tokens, after):
        digits = "".join(str(DIGITS.get(char, char)) for char in tokens[after])
        return SpokenNumber(number.value + Decimal(f"0.{digits}"), number.start, after + 1)
    return number


def _is_tenths(tokens: list[str], index: int) -> bool:
    """The digits after "度": "六", "9", "六五"; never a number of their own ("三十八度十") nor
    a second reading ("37度38度")."""
    token = token_at(tokens, index)
    if not is_numeral(token) or "点" in token or "." in token or token_at(tokens, index + 1) in _UNIT_WORDS:
        return False
    if token.isascii():
        return len(token) <= 2
    return is_spelled(token) or token in DIGITS


def _is_loose(tokens: list[str], number: SpokenNumber) -> bool:
    """True when the number said is not all of the reading: "三十八度多", "三十七点"."""
    after = number.end + (token_at(tokens, number.end) == _DEGREE)
    if token_at(tokens, after) in _LOOSE_AFTER:
        return True
    return token_at(tokens, number.end) in _CLOCK_WORDS and not _is_clock(number)


def _is_clock(number: SpokenNumber) -> bool:
    return number.value == number.value.to_integral_value() and number.value <= 24


def _said(number: SpokenNumber, tokens: list[str]) -> Said | None:
    stated = _stated_unit(tokens, number)
    following = token_at(tokens, number.end)
    if stated is None and (following in _NOT_TEMPERATURE_AFTER or following in _CLOCK_WORDS):
        return None  # rule 2
    return Said(number.value, number.start, number.end, stated)


def _stated_unit(tokens: list[str], number: SpokenNumber) -> str | None:
    """"摄氏"/"华氏" before the number, or "摄氏度", "度C", "℉" after it."""
    before = _UNIT_BEFORE.get(token_at(tokens, number.start - 1))
    index = number.end + (token_at(tokens, number.end) == _DEGREE)
    return before or _UNIT_AFTER.get(token_at(tokens, index))


# --- "没量" -----------------------------------------------------------------

_THERMOMETER = r"(?:体温计|温度计|体温表|体温枪|测温枪|额温枪|耳温枪)"
_NOT_MEASURED = re.compile(
    # "没量", "还没有测", "忘了量", "没来得及量", "没法测"
    r"(?:没有?|还没有?|未|忘了|忘记|没来得及|来不及|没空|没时间|不能|不会|无法|没法|没办法)(?:去|再)?"
    r"(?:量|测)"
    # "没有体温计", "家里没体温计", "找不到温度计"
    rf"|(?:没有?|缺|找不到|丢了|没带)(?:个|支|根|把)?{_THERMOMETER}"
    # "体温计坏了", "温度计找不到了"
    rf"|{_THERMOMETER}(?:坏|丢|找不到|不见|没电|不能用|用不了|不准|不好使)"
    # "量不了"; "待会儿量", "我去量一下": no reading yet
    r"|(?:量|测)不了|(?:待会|等会|一会|等一下|回头|马上|我去|我先去|现在去)儿?再?(?:量|测)"
)


def says_not_measured(text: str) -> bool:
    """True when the resident says they have no reading: "没量", "没有体温计", "没测"."""
    return _NOT_MEASURED.search(re.sub(r"\s+", "", fold(text))) is not None
