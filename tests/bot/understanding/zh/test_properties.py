"""Property tests: the Mandarin readers never return a value the resident did not say."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.understanding.zh.callback import parse_callback_time
from bot.understanding.zh.counts import parse_count
from bot.understanding.zh.symptoms import parse_symptoms
from bot.understanding.zh.temperature import parse_temperature
from bot.understanding.zh.yesno import parse_yes_no
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

# No example database: nothing is written into the working tree, and each run explores afresh.
FAST = settings(max_examples=60, deadline=None, database=None)

# Spelled out here, not imported: a character the reader wrongly took for a number must not
# be excused by the very table that made the mistake.
UNIT_NAMES = "零一二三四五六七八九"
NUMERAL_CHARACTERS = set(UNIT_NAMES) | set("〇两幺十百千万俩仨")


def _chinese(number: int) -> str:
    """0..999 as written: 37 -> 三十七, 101 -> 一百零一, 110 -> 一百一十."""
    if number < 10:
        return UNIT_NAMES[number]
    hundreds, rest = divmod(number, 100)
    tens, unit = divmod(rest, 10)
    tail = UNIT_NAMES[unit] if unit else ""
    if not hundreds:
        return ("十" if tens == 1 else UNIT_NAMES[tens] + "十") + tail
    head = UNIT_NAMES[hundreds] + "百"
    if not rest:
        return head
    return head + ("零" + tail if not tens else UNIT_NAMES[tens] + "十" + tail)


def _mentions_a_number(text: str) -> bool:
    """Digits in any script, or a Chinese numeral character."""
    folded = unicodedata.normalize("NFKC", text)
    return any(ch.isnumeric() or ch in NUMERAL_CHARACTERS for ch in text + folded)


# Characters that can never spell a Mandarin word the readers know.
FOREIGN = st.text(st.sampled_from("hello привет да нет 🤒🔥👍\u200b\ufeff\x00\t\n .,;:!?\"()%#*@&/_"), max_size=8)


def _phrase(vocabulary: list[str]) -> st.SearchStrategy[str]:
    """A few vocabulary words, with a run of foreign characters somewhere among them."""
    return st.builds(
        lambda words, foreign, at: "".join(words[:at] + [foreign] + words[at:]),
        st.lists(st.sampled_from(vocabulary), min_size=1, max_size=6),
        FOREIGN,
        st.integers(0, 6),
    )


def _tenth(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _said(tenths: int, style: str) -> str:
    """350..420 tenths as a resident says them: 375 -> "三十七点五", "37.5", "三十七度五", "三七点五"."""
    whole, tenth = divmod(tenths, 10)
    if style == "digits":
        return f"{tenths / 10:.1f}"
    if style == "degree":
        return _chinese(whole) + "度" + (UNIT_NAMES[tenth] if tenth else "")
    if style == "spelled":
        return "".join(UNIT_NAMES[int(digit)] for digit in str(whole)) + "点" + UNIT_NAMES[tenth]
    return _chinese(whole) + "点" + UNIT_NAMES[tenth]


BODY_TENTHS = st.integers(350, 420)
STYLES = st.sampled_from(["digits", "words", "degree", "spelled"])
PREFIXES = st.sampled_from(["", "体温", "我的体温是", "刚量的，", "今天", "大概"])
SUFFIXES = st.sampled_from(["", "。", "吧", "左右", "，刚量的", "！"])

# --- temperature --------------------------------------------------------------

NEAR_NUMBER_WORDS = ["点", "度", "半", "多", "摄氏", "华氏", "负", "或者", "到", "今天", "昨天", "体温", "量",
                     "了", "是", "大概", "左右", "岁", "小时", "个", "人", "发烧", "没有", "不对", "吗", "，",
                     "。", "-", "+", "~", "\u00b0", "\u2103", "c", "f"]


@FAST
@given(_phrase(NEAR_NUMBER_WORDS))
def test_temperature_needs_a_number_in_the_text(text: str) -> None:
    assume(not _mentions_a_number(text))

    assert parse_temperature(text) is None


SPACER_WORDS = ["体温", "是", "今天", "昨天", "量了", "孩子", "我", "摄氏度", "，", "？", "但是", "然后", "c", "f"]


@FAST
@given(st.lists(st.tuples(st.lists(st.sampled_from(SPACER_WORDS), min_size=1, max_size=3),
                          st.integers(0, 999), st.booleans()), min_size=1, max_size=4))
def test_temperature_comes_from_a_number_said(parts: list[tuple[list[str], int, bool]]) -> None:
    text = "".join("".join(words) + (_chinese(n) if in_characters else str(n)) for words, n, in_characters in parts)
    allowed = set()
    for _, number, _ in parts:
        value = Decimal(number)
        allowed |= {_tenth(value), _tenth(value / 10), _tenth((value - 32) * 5 / 9)}

    reading = parse_temperature(text)

    assert reading is None or reading.celsius in allowed, text


@FAST
@given(BODY_TENTHS, STYLES, PREFIXES, SUFFIXES)
def test_temperature_reads_any_body_temperature(tenths: int, style: str, prefix: str, suffix: str) -> None:
    text = prefix + _said(tenths, style) + suffix

    reading = parse_temperature(text)

    assert reading is not None, text
    assert (reading.celsius, reading.unit) == (tenths / 10, "C"), text


@FAST
@given(BODY_TENTHS, BODY_TENTHS, STYLES, st.sampled_from(["到", "或者", "还是", "～", "-", "，不对，", "、", "至"]))
def test_temperature_two_readings_are_asked_again(first: int, second: int, style: str, joiner: str) -> None:
    assume(first != second)
    text = _said(first, style) + joiner + _said(second, style)

    assert parse_temperature(text) is None, text


@FAST
@given(BODY_TENTHS, STYLES, st.sampled_from(["负", "零下", "-", "+", "\u2212"]))
def test_temperature_with_a_sign_is_asked_again(tenths: int, style: str, sign: str) -> None:
    assert parse_temperature(sign + _said(tenths, style)) is None


# --- counts -------------------------------------------------------------------

COUNT_WORDS = ["人", "个", "家里", "孩子", "老人", "和", "我", "他们", "还有", "不舒服", "有", "好", "，", "的"]


@FAST
@given(_phrase(COUNT_WORDS))
def test_count_needs_a_number_in_the_text(text: str) -> None:
    assume(not _mentions_a_number(text))

    assert parse_count(text) is None


@FAST
@given(st.integers(0, 999), st.booleans(), st.sampled_from(["{}", "{}个", "{}个人", "有{}个", "家里{}个"]))
def test_count_reads_any_count(count: int, in_characters: bool, template: str) -> None:
    text = template.format(_chinese(count) if in_characters else count)

    assert parse_count(text) == count, text


@FAST
@given(st.integers(1, 99), st.integers(1, 99), st.sampled_from(["个或者{}个", "到{}个", "个，不，{}个", "、{}"]))
def test_count_two_different_counts_are_asked_again(first: int, second: int, joiner: str) -> None:
    assume(first != second)

    assert parse_count(_chinese(first) + joiner.format(_chinese(second))) is None


# --- yes / no -----------------------------------------------------------------

NEUTRAL_WORDS = ["体温", "咳嗽", "家里", "电话", "天气", "孩子", "明天", "今天", "发烧", "什么", "体温计", "妈妈",
                 "，", "。", "？", "36.6", "38"]


@FAST
@given(_phrase(NEUTRAL_WORDS))
def test_yes_no_needs_a_yes_or_no_word(text: str) -> None:
    assert parse_yes_no(text) is None, text


@FAST
@given(_phrase(NEUTRAL_WORDS),
       st.sampled_from([("是的", True), ("好的", True), ("可以", True), ("方便", True), ("不是", False),
                        ("不方便", False), ("不用", False), ("没有", False)]))
def test_yes_no_reads_the_word_said(filler: str, word: tuple[str, bool]) -> None:
    assert parse_yes_no(f"{filler}，{word[0]}") is word[1]


# --- symptoms -----------------------------------------------------------------

# One everyday phrase for each code; the table must cover every code.
SAYS = {
    "fever": "发烧", "chills": "发冷", "cough": "咳嗽", "shortness_of_breath": "气短", "fatigue": "乏力",
    "muscle_aches": "浑身酸痛", "headache": "头疼", "loss_of_taste_or_smell": "闻不到味道",
    "sore_throat": "嗓子疼", "runny_nose": "流鼻涕", "nausea_vomiting": "恶心", "diarrhea": "拉肚子",
    "difficulty_breathing": "喘不上气", "chest_pain": "胸口疼", "confusion": "意识不清", "bluish_lips": "嘴唇发紫",
}
PLAIN_WORDS = ["我", "今天", "家里", "电话", "你好", "谢谢", "孩子", "工作", "吃饭", "都", "和", "还", "也", "是",
               "的", "了", "没有", "不", "好", "36.6", "，", "。", "？"]


def test_symptom_phrase_table_covers_every_code() -> None:
    assert set(SAYS) == set(SYMPTOM_CODES) | set(RED_FLAG_CODES)


@FAST
@given(_phrase(PLAIN_WORDS))
def test_symptoms_need_a_symptom_word(text: str) -> None:
    report = parse_symptoms(text)

    assert report is None or report.none_reported, text


@FAST
@given(st.lists(st.sampled_from(sorted(SAYS)), min_size=1, max_size=5, unique=True),
       st.lists(st.sampled_from(["", "我", "有点", "还", "今天", "孩子"]), min_size=5, max_size=5))
def test_symptoms_are_the_ones_named(codes: list[str], lead_ins: list[str]) -> None:
    text = "，".join(lead + SAYS[code] for lead, code in zip(lead_ins, codes))

    report = parse_symptoms(text)

    assert report is not None, text
    assert set(report.symptoms) | set(report.red_flags) == set(codes), text


# --- callback times -------------------------------------------------------------

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


# Neutral words that name no day, part of day or clock time.
TIMELESS_WORDS = [word for word in NEUTRAL_WORDS if word not in ("明天", "今天")] + ["你好", "谢谢", "是", "不", "好的"]


@FAST
@given(_phrase(TIMELESS_WORDS))
def test_callback_time_needs_a_time_in_the_text(text: str) -> None:
    assert parse_callback_time(text, NOW, ZoneInfo("Asia/Shanghai")) is None, text


@FAST
@given(st.integers(1, 99), st.booleans(), st.sampled_from([("{}个小时后", "hours"), ("{}小时以后", "hours"),
                                                          ("{}分钟后", "minutes"), ("过{}分钟", "minutes")]))
def test_callback_delay_is_the_one_said(amount: int, in_characters: bool, template: tuple[str, str]) -> None:
    text = template[0].format(_chinese(amount) if in_characters else amount)

    expected = NOW.astimezone(timezone.utc) + timedelta(**{template[1]: amount})
    assert parse_callback_time(text, NOW, ZoneInfo("Asia/Shanghai")) == expected, text
