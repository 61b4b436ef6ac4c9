"""Tests for bot.understanding.zh.temperature: Mandarin temperature readings, as typed and as recognised."""

import random

import pytest

from bot.understanding.zh.temperature import parse_temperature, says_not_measured

# (what the resident said, expected celsius, expected unit)
PARSE_ROWS = [
    # characters, with 度 or 点
    ("三十八度六", 38.6, "C"),
    ("三十七度五", 37.5, "C"),
    ("三十六度八", 36.8, "C"),
    ("三十六度九", 36.9, "C"),
    ("三十九度二", 39.2, "C"),
    ("四十度", 40.0, "C"),
    ("三十七度", 37.0, "C"),
    ("三十八度", 38.0, "C"),
    ("三十六点九度", 36.9, "C"),
    ("三十六点九", 36.9, "C"),
    ("三十七点五", 37.5, "C"),
    ("三十八点二度", 38.2, "C"),
    ("三十七点零五", 37.1, "C"),
    ("三十八度半", 38.5, "C"),
    ("三十七度半", 37.5, "C"),
    ("三十九度半", 39.5, "C"),
    ("三十七度六五", 37.7, "C"),
    # digits, with 度, 点, a point or a degree sign
    ("36度9", 36.9, "C"),
    ("37度2", 37.2, "C"),
    ("38度", 38.0, "C"),
    ("37.5", 37.5, "C"),
    ("37.5度", 37.5, "C"),
    ("体温37.1", 37.1, "C"),
    ("体温37.1度", 37.1, "C"),
    ("37.5\u2103", 37.5, "C"),
    ("37.5\u00b0C", 37.5, "C"),
    ("37.5\u00b0", 37.5, "C"),
    ("38.2C", 38.2, "C"),
    ("\uff13\uff17\uff0e\uff15", 37.5, "C"),
    ("37点5", 37.5, "C"),
    ("37点5度", 37.5, "C"),
    ("36.85", 36.9, "C"),
    ("36.84", 36.8, "C"),
    ("37\u00bd", 37.5, "C"),
    # Celsius stated
    ("摄氏三十八度", 38.0, "C"),
    ("摄氏37.2度", 37.2, "C"),
    ("三十八摄氏度", 38.0, "C"),
    ("37.8摄氏度", 37.8, "C"),
    # digit by digit, and the keypad
    ("三八点二", 38.2, "C"),
    ("三七点五", 37.5, "C"),
    ("三六点六", 36.6, "C"),
    ("三八点二度", 38.2, "C"),
    ("三七五", 37.5, "C"),
    ("三六八", 36.8, "C"),
    ("三八", 38.0, "C"),
    ("三七", 37.0, "C"),
    ("368", 36.8, "C"),
    ("375", 37.5, "C"),
    ("368#", 36.8, "C"),
    # Fahrenheit, stated or inferred from 93..110
    ("华氏100度", 37.8, "F"),
    ("华氏一百度", 37.8, "F"),
    ("华氏一百零一度", 38.3, "F"),
    ("一百零一华氏度", 38.3, "F"),
    ("华氏98.6度", 37.0, "F"),
    ("100.4\u2109", 38.0, "F"),
    ("九十九点五", 37.5, "F"),
    ("99.5", 37.5, "F"),
    ("一百零二度", 38.9, "F"),
    ("一百零一", 38.3, "F"),
    # a sentence around the number
    ("刚量的，三十七度四", 37.4, "C"),
    ("我刚才量了一下，三十七度二", 37.2, "C"),
    ("体温是三十六度五", 36.5, "C"),
    ("今天体温三十七度八", 37.8, "C"),
    ("量了，三十六点七度", 36.7, "C"),
    ("大概三十七度左右", 37.0, "C"),
    ("差不多三十七度", 37.0, "C"),
    ("我的体温是37.3度", 37.3, "C"),
    ("早上八点量的，三十七度五", 37.5, "C"),
    ("一直三十八度", 38.0, "C"),
    ("孩子五岁，我三十七度二", 37.2, "C"),
    ("发烧了，三十八度五", 38.5, "C"),
    ("体温正常，三十六度五", 36.5, "C"),
    ("嗯，三十六度八", 36.8, "C"),
    ("三十六度八吧", 36.8, "C"),
    ("我量了三次，都是三十六度五", 36.5, "C"),
    ("三十六 度 八", 36.8, "C"),
    # a reading dated earlier gives way to the one now
    ("昨天三十八度，今天三十七度二", 37.2, "C"),
    ("今天三十七度二，昨天三十八度", 37.2, "C"),
    ("昨晚三十九度，现在三十七度六", 37.6, "C"),
    ("吃药前三十八度二，吃药后三十七度三", 37.3, "C"),
    ("早上三十八度，现在三十七度五", 37.5, "C"),
    ("两天前三十八度，今天三十七", 37.0, "C"),
    # one reading said twice is still one reading
    ("三十七度，三十七度", 37.0, "C"),
    ("三十七度五，三十七点五", 37.5, "C"),
    # implausible values still parse (the caller asks again)
    ("四十五度", 45.0, "C"),
    ("三十度", 30.0, "C"),
    ("零度", 0.0, "C"),
    ("45", 45.0, "C"),
    ("华氏37度", 2.8, "F"),
    ("一百二十华氏度", 48.9, "F"),
]

NOT_A_TEMPERATURE = [
    "", "   ", "不知道", "是", "没有", "体温正常", "有点发烧", "感觉很烫", "\U0001f912", "三十七岁",
    "八点", "早上八点", "两个人", "9:30", "12/05", "三天", "几度", "一百万度", "I don't know",
    "九点三刻",
]

# Each is asked again: no one reading was said. (what the resident said, why)
NOT_ONE_READING = [
    ("三十七到三十八度", "a range"),
    ("三十七至三十八", "a range with 至"),
    ("在三十六到三十七之间", "between two readings"),
    ("三十七或者三十八", "an alternative"),
    ("三十七还是三十八", "an alternative with 还是"),
    ("三十七度或三十八度", "an alternative with units"),
    ("37-38", "a dash range"),
    ("37~38度", "a tilde range"),
    ("37\uff5e38", "a full-width tilde range"),
    ("三十六、三十七", "a list"),
    ("三十七，不对，三十八", "a correction"),
    ("三十七度，哦不，三十八度", "a correction with 哦不"),
    ("三十七八度", "neighbouring digits: 37 or 38"),
    ("三十七度五六", "neighbouring digits: 37.5 or 37.6"),
    ("三十几度", "a vague digit"),
    ("三十八度多", "more than 38"),
    ("三十七度几", "37 point something"),
    ("三十七点", "the digits after the point were lost"),
    ("三十七点五度半", "a half on a decimal"),
    ("37\u2153", "a third"),
    ("负三十七", "negative"),
    ("零下三十七度", "below zero"),
    ("-37", "minus sign"),
    ("+37.5", "plus sign"),
    ("负37.5", "negative digits"),
    ("37..5", "doubled point"),
    ("37\u30025", "ideographic full stop as a point"),
    ("37 5", "two numbers side by side"),
    ("37度38度", "two readings with units"),
    ("三十八度十", "a number after 度 that is no tenth"),
]

NOT_MEASURED = [
    "没量", "没有量", "没测", "没有测", "还没量", "还没有量呢", "没有体温计", "家里没有体温计", "没体温计",
    "没有温度计", "体温计坏了", "温度计找不到了", "忘了量", "没来得及量", "量不了", "我去量一下",
    "待会儿再量", "没有量体温", "没测过", "家里体温计丢了",
]
MEASURED_OR_UNRELATED = [
    "三十七度五", "量了，三十六度五", "是", "没有", "不知道", "没有，体温计说三十七度", "没发烧，量了三十六度五",
    "", "体温计显示三十六度八", "测了是正常的",
]


@pytest.mark.parametrize(("text", "celsius", "unit"), PARSE_ROWS, ids=[row[0] for row in PARSE_ROWS])
def test_parse_temperature_understands_mandarin(text: str, celsius: float, unit: str) -> None:
    result = parse_temperature(text)

    assert result is not None
    assert (result.celsius, result.unit) == (celsius, unit)


def test_parse_temperature_table_is_large_enough() -> None:
    assert len(PARSE_ROWS) >= 80


@pytest.mark.parametrize("text", NOT_A_TEMPERATURE, ids=[text or "empty" for text in NOT_A_TEMPERATURE])
def test_parse_temperature_returns_none_without_a_temperature(text: str) -> None:
    assert parse_temperature(text) is None


@pytest.mark.parametrize(("text", "why"), NOT_ONE_READING, ids=[row[1] for row in NOT_ONE_READING])
def test_parse_temperature_asks_again_rather_than_guess(text: str, why: str) -> None:
    assert parse_temperature(text) is None


@pytest.mark.parametrize("text", ["三十七度五", "  体温37.1  ", "华氏100度"])
def test_parse_temperature_keeps_raw_text(text: str) -> None:
    result = parse_temperature(text)

    assert result is not None and result.said == text


@pytest.mark.parametrize(("text", "plausible"), [("三十七度五", True), ("四十五度", False), ("三十度", False),
                                                 ("华氏一百零九度", True), ("三十四度", True)])
def test_parse_temperature_judges_plausibility(text: str, plausible: bool) -> None:
    result = parse_temperature(text)

    assert result is not None and result.plausible is plausible


@pytest.mark.parametrize("text", NOT_MEASURED, ids=NOT_MEASURED)
def test_says_not_measured_recognises_no_reading(text: str) -> None:
    assert says_not_measured(text) is True


@pytest.mark.parametrize("text", MEASURED_OR_UNRELATED, ids=[t or "empty" for t in MEASURED_OR_UNRELATED])
def test_says_not_measured_ignores_readings_and_other_answers(text: str) -> None:
    assert says_not_measured(text) is False


def _random_text(rng: random.Random) -> str:
    vocabulary = [
        "三", "十", "七", "点", "度", "半", "两", "几", "多", "负", "零下", "摄氏", "华氏", "37.5", "375",
        "，", "。", "~", "-", "+", "\u00b0", "\u2103", "\u00bd", "\u2153", "9:30", "1" * 30, "十" * 30,
        "昨天", "今天", "或者", "到", "\U0001f912", "\x00", " ", "a", "个",
    ]
    return "".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 14)))


def test_parse_temperature_never_raises_on_random_input() -> None:
    rng = random.Random(20260601)
    texts = [_random_text(rng) for _ in range(3000)]
    texts += ["".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(40)) for _ in range(300)]

    for text in texts:
        result = parse_temperature(text)
        assert result is None or isinstance(result.celsius, float), text
        assert isinstance(says_not_measured(text), bool), text
