"""Mandarin requests to be called back later: "两个小时后", "明天上午九点", "下午三点", "晚上".

This module reads what an answer says about a time into a core `When`; core.callback turns it
into the UTC moment (defaults, am/pm, rolling over to tomorrow, DST: see there).

* Delays win over everything: "两个小时后", "半小时后", "一个半小时以后", "过二十分钟",
  "等十分钟再打", "2小时后". A vague delay ("几个小时后", "过一会儿", "晚点") names no time.
* Days: "今天"/"今晚", "明天"/"明早"/"明晚", "后天", "大后天"; weekdays "周一", "星期三",
  "礼拜天"; "下周五" is Friday of next week.
* Parts of day: "早上"/"上午" morning, "中午" noon, "下午" afternoon, "傍晚"/"晚上" evening,
  "今晚"/"夜里" night, "凌晨"/"半夜" the small hours (a clock time is then needed).
* Clock times: "九点", "九点半", "九点一刻", "九点十五", "九点十五分", "两点", "15点", "9:30".
  "晚一点"/"早点"/"有一点" are no clock times. Greetings ("早上好", "晚上好") are ignored.

:func:`mentions_callback` tells a callback request ("等会儿再打", "我在忙", "现在不方便",
"明天吧") from a plain refusal ("别再打了", "不需要", "打错了"): a refusal wins unless the
answer also names a time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.understanding.core.callback import (
    AFTERNOON,
    EVENING,
    MORNING,
    NIGHT,
    NOON,
    SMALL_HOURS,
    Clock,
    When,
    callback_time,
)
from bot.understanding.core.text import fold
from bot.understanding.zh.numbers import is_numeral, value_of

# At most four characters: every hour, minute or delay fits, and a long run of numerals is
# scanned once, not once from each of its characters.
_NUM = r"[0-9]{1,4}|[零〇一二两三四五六七八九十]{1,4}"
_NOT_INSIDE_A_NUMERAL = r"(?<![点:0-9零〇一二两三四五六七八九十])"
_RELATIVE = re.compile(
    rf"(?P<lead>过|再过|等|隔)?(?:大概|大约|差不多)?{_NOT_INSIDE_A_NUMERAL}"
    rf"(?P<amt>{_NUM}|半|几)(?:个)?(?P<half>半)?"
    r"(?P<unit>小时|钟头|分钟|分)(?P<tail>以后|之后|后|再)?"
)
_CLOCK = re.compile(
    rf"(?<![晚早快慢多少好有差第]){_NOT_INSIDE_A_NUMERAL}(?P<h>{_NUM})(?:点|時|时)(?!钟头)"
    rf"(?:(?P<half>半)|(?P<q>一刻|三刻)|(?P<m>{_NUM})分?)?"
    r"|(?P<hh>[0-9]{1,2}):(?P<mm>[0-9]{2})"
)
_DAYS = (("大后天", 3), ("后天", 2), ("明天", 1), ("明早", 1), ("明晚", 1), ("明儿", 1), ("明日", 1),
         ("今天", 0), ("今晚", 0), ("今早", 0), ("今日", 0), ("今儿", 0))
_WEEKDAY = re.compile(r"(?P<next>下个?)?(?:星期|周|礼拜)(?P<day>[一二三四五六日天])")
_WEEKDAYS = "一二三四五六日"
_PARTS = ((r"凌晨|半夜", SMALL_HOURS), (r"今晚|明晚|夜里|夜间", NIGHT), (r"傍晚|晚上|晚间", EVENING),
          (r"下午|午后", AFTERNOON), (r"中午", NOON), (r"早上|早晨|上午|明早|今早|清早|一早", MORNING))
_GREETINGS = re.compile(r"(?:早上|上午|中午|下午|晚上)好|晚安|早安|你好|您好")
_LATER = re.compile(
    r"晚点|晚一点|晚些|稍后|等一?下|等一?会|待会|一会儿?|过会|回头|改天|下次|换个时间|别的时间|再打|再联系"
    r"|打回来|回电|回拨|再说|忙|没空|没时间|有事|开车|开会|不方便|现在不行|不是时候|小时后|分钟后"
)
_REFUSAL = re.compile(
    r"(?:别|不要|不用|不许)再?(?:给我)?(?:打|联系|发)|不需要|不感兴趣|没兴趣|打错了|退订|骚扰|别烦"
)


def parse_callback_time(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment the resident asked to be called back, as an aware datetime in UTC.

    `now` must be aware (any zone); a naive `now` raises ValueError. None when the answer
    names no time ("晚点", "过一会儿", "不方便", "") or cannot be understood. Never raises
    for any str `text`.
    """
    return callback_time(lambda said: _read_when(_normalize(said)), text, now, tz)


def mentions_callback(text: str) -> bool:
    """True when the answer asks to be contacted later ("等会儿再打", "我在忙", "明天"), not a
    plain refusal ("别再打了", "不需要"); a refusal that names a time is a callback."""
    if not isinstance(text, str):
        return False
    t = _normalize(text)
    try:
        has_time = _read_when(t).names_a_time
    except (ValueError, OverflowError):
        has_time = True  # a delay was said, too long to be a time
    if _REFUSAL.search(t) and not has_time:
        return False
    return has_time or _LATER.search(t) is not None


def _normalize(text: str) -> str:
    """Folded, without spaces or greetings; "：" is ":" and "點" is "点"."""
    t = re.sub(r"\s+", "", fold(text)).replace("點", "点")
    return _GREETINGS.sub("|", t)


def _read_when(t: str) -> When:
    """What normalized text says about the time; may raise ValueError/OverflowError."""
    relative = _RELATIVE.search(t)
    if relative is not None and (relative.group("lead") or relative.group("tail")):
        delay = _delay(relative)
        return When(delay=delay) if delay is not None else When()
    weekday = _WEEKDAY.search(t)
    return When(
        day=next((offset for word, offset in _DAYS if word in t), None),
        weekday=_WEEKDAYS.index(weekday.group("day").replace("天", "日")) if weekday else None,
        week_after=weekday is not None and weekday.group("next") is not None,
        part=next((part for words, part in _PARTS if re.search(words, t)), None),
        clock=_clock(t),
    )


def _delay(relative: re.Match[str]) -> timedelta | None:
    """The delay of "两个小时后"-style phrases; None when the amount is vague ("几")."""
    raw = relative.group("amt")
    amount = 0.5 if raw == "半" else _number(raw)
    if amount is None:
        return None
    if relative.group("half") and raw != "半":
        amount += 0.5
    if relative.group("unit") in ("小时", "钟头"):
        return timedelta(hours=amount)
    return timedelta(minutes=amount)


def _clock(t: str) -> Clock | None:
    """The first clock time said, or None."""
    found = _CLOCK.search(t)
    if found is None:
        return None
    if found.group("hh"):
        return Clock(int(found.group("hh")), int(found.group("mm")))
    hour = _number(found.group("h"))
    if hour is None:
        return None
    if found.group("half"):
        minute = 30
    elif found.group("q"):
        minute = 15 if found.group("q") == "一刻" else 45
    else:
        minute = _number(found.group("m")) if found.group("m") else 0
    return Clock(int(hour), int(minute)) if minute is not None else None


def _number(raw: str) -> float | None:
    """A whole number said in a time ("两", "十五", "30"), or None."""
    value = value_of(raw) if is_numeral(raw) else None
    if value is None or value != value.to_integral_value():
        return None
    return float(value)
