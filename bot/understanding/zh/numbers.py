"""Mandarin numbers for the temperature, count and callback readers: characters, digits, digit by digit.

Answers are typed or come from Twilio's cmn-Hans-CN recogniser, so a number arrives as digits
("37.5", "37点5"), characters ("三十七点五"), digit by digit ("三七五", "三八点二") or with
full-width digits. Every numeral is one token. Numerals with a unit character (十, 百, 千, 万)
are read by cn2an; digit strings and the digits after 点 are read here. A numeral that does not
read as one value is unreadable, never guessed: "三十七八" and "两三" are "37 or 38" and "2 or
3", "三十几" has a vague digit.

The tokens also keep the words the readers look for (units, time words, joiners): Chinese has
no spaces, so a lexicon is matched first, longest word first, then single characters.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import cn2an

from bot.understanding.core.numbers import SpokenNumber, token_at
from bot.understanding.core.text import MAX_INPUT_CHARS, fold

DIGITS = {
    "零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # 幺 is how 1 is said in digit strings such as phone numbers
_UNITS = "十百千万"
_PAIRS = {"俩": 2, "仨": 3}  # "two of", "three of": a number and its measure word in one
_MAX_NUMERAL = 12  # characters; no temperature or count is longer, and cn2an stays fast
DASH = "\u2013"
SIGNS = {"-", "+", "负", "零下"}
# Words kept whole, so their numeral characters are not read as numbers ("一直", "星期一")
# and multi-character words can be looked up as one token.
LEXICON = (
    "摄氏度", "华氏度", "摄氏", "华氏", "零下",
    "昨天", "昨晚", "昨日", "前天", "今天", "今早", "早上", "上午", "早晨", "之前", "以前", "刚才",
    "刚刚", "现在", "目前", "之后", "以后", "后来", "原来", "本来", "当时",
    "或者", "还是", "要么", "不对", "不是", "我是说", "应该", "也许", "可能", "或许", "大概", "说错了",
    "但是", "可是", "不过", "然后", "还有",
    "小时", "钟头", "分钟", "星期", "礼拜", "公斤", "毫升",
    "一点儿", "一点点", "一下", "一会儿", "一会", "一直", "一样", "一起", "一些", "一般", "一切",
    "一定", "一共", "一家", "一边", "万一", "统一", "唯一", "第一", "百分之",
    *(f"{week}{day}" for week in ("星期", "周", "礼拜") for day in "一二三四五六日天"),
)
_NUMERAL_CHARS = "".join(DIGITS) + _UNITS + "几"
_DIGIT_CHARS = "".join(DIGITS)
_NUMERAL = re.compile(rf"[0-9]+(?:(?:\.|点)[0-9]+)?|[{_NUMERAL_CHARS}]+(?:点[{_DIGIT_CHARS}]+)?|[俩仨]")
_TOKEN = re.compile(
    r"(?P<clock>[0-9]+(?:[:/][0-9]+)+)"  # times and dates stay whole: never a reading
    r"|(?P<arabic>[0-9]+(?:(?:\.|点)[0-9]+)?)"
    rf"|(?P<sign>(?<![0-9.{_NUMERAL_CHARS}])[-+](?=[0-9{_NUMERAL_CHARS}]))"
    rf"|(?P<word>{'|'.join(sorted(LEXICON, key=len, reverse=True))})"
    rf"|(?P<chinese>[{_NUMERAL_CHARS}]+(?:点[{_DIGIT_CHARS}]+(?![刻分]))?)"
    r"|(?P<latin>[a-z]+)"
    r"|(?P<dash>-)"
    r"|(?P<char>[^\W\d_]|[,;:!?.、。~…\ue000])"
)
_CLEANUP = str.maketrans({
    "\u00b0": "度", "\u00ba": "度",  # degree signs: "37.5°" -> "37.5度"
    "\u2103": "摄氏度", "\u2109": "华氏度",  # single-character ℃ and ℉
    "\u00bd": "半",
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # dashes, minus sign
    "\uff5e": "~", "\u301c": "~",  # wave dashes, as in "37～38"
})
# Any other vulgar fraction is no reading we can take: it stays a token of its own (a
# private-use character folding leaves alone), which makes the number before it loose.
_OTHER_FRACTION = re.compile(r"[\u00bc\u00be\u2150-\u215f\u2189]")
FRACTION = "\ue000"


def tokenize(text: str) -> list[str]:
    """Numeral, lexicon-word, Latin-word, punctuation, sign and single-character tokens."""
    cleaned = _OTHER_FRACTION.sub(FRACTION, text[:MAX_INPUT_CHARS].translate(_CLEANUP))
    folded = fold(cleaned)
    return [DASH if found.lastgroup == "dash" else found.group() for found in _TOKEN.finditer(folded)]


def is_numeral(token: str) -> bool:
    """Whether the token is a number as said, readable or not."""
    return _NUMERAL.fullmatch(token) is not None


def value_of(token: str) -> Decimal | None:
    """The value of a numeral token (see is_numeral), or None when it reads as no one value."""
    if token in _PAIRS:
        return Decimal(_PAIRS[token])
    if token[0].isascii():
        return Decimal(token.replace("点", "."))
    whole, _, fraction = token.partition("点")
    integer = _whole(whole)
    if integer is None:
        return None
    if not fraction:
        return Decimal(integer)
    return Decimal(f"{integer}.{''.join(str(DIGITS[char]) for char in fraction)}")


@lru_cache(maxsize=4096)  # cn2an takes ~60 µs a numeral; answers repeat the few said
def _whole(numeral: str) -> int | None:
    if "几" in numeral or len(numeral) > _MAX_NUMERAL:
        return None
    if any(char in _UNITS for char in numeral):
        try:
            value = cn2an.cn2an(numeral, "normal")
        except (ValueError, KeyError):  # "三十七八", "十十": not one number
            return None
        return value if isinstance(value, int) else None
    digits = [DIGITS[char] for char in numeral]
    if len(digits) == 2 and digits[1] == digits[0] + 1:
        return None  # "两三", "七八": Chinese says a range by neighbouring digits
    return int("".join(map(str, digits)))


def is_spelled(token: str) -> bool:
    """Whether a numeral is said digit by digit ("三七五"), not as a number ("三百七十五")."""
    whole = token.partition("点")[0]
    return len(whole) > 1 and all(char in DIGITS for char in whole)


def find_numbers(tokens: list[str]) -> list[SpokenNumber]:
    """Every readable numeral, left to right; each spans one token."""
    found = []
    for index, token in enumerate(tokens):
        if is_numeral(token) and (value := value_of(token)) is not None:
            found.append(SpokenNumber(value, index, index + 1))
    return found


def has_unreadable(tokens: list[str]) -> bool:
    """Whether some numeral reads as no one value ("三十七八", "几")."""
    return any(is_numeral(token) and value_of(token) is None for token in tokens)


def is_signed(tokens: list[str], number: SpokenNumber) -> bool:
    """True when a sign ("-", "+", "负", "零下") comes right before the number."""
    return token_at(tokens, number.start - 1) in SIGNS
