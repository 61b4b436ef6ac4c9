"""Mandarin speech hints: one string per question, within Twilio's limits, each phrase one the
Mandarin readers understand, chosen by the conversation's language and built once."""
from __future__ import annotations

import re

import pytest

from bot.channels.hints import BY_LANGUAGE, HINTS, ZH_HINTS, hints_for
from bot.flow import QUESTIONS
from bot.understanding import readers_for
from campaigns.records.vocabulary import LANGUAGES, RED_FLAG_CODES, SYMPTOM_CODES

ZH = readers_for("zh")
YES_NO = ("go_on", "good_time", "feels_feverish", "others_unwell", "other_feels_feverish")


def phrases(question: str) -> list[str]:
    return ZH_HINTS[question].split(", ")


def test_every_language_the_bot_speaks_has_hints_for_every_question():
    assert set(BY_LANGUAGE) == set(LANGUAGES)
    assert all(set(table) == set(QUESTIONS) for table in BY_LANGUAGE.values())


@pytest.mark.parametrize("question", QUESTIONS)
def test_mandarin_hints_respect_twilios_limits_and_are_chinese_only(question):
    found = phrases(question)
    assert 0 < len(found) <= 500 and len(found) == len(set(found))
    for phrase in found:
        assert 0 < len(phrase) <= 100 and re.fullmatch(r"[\u4e00-\u9fff]+", phrase), phrase  # no comma, no token


@pytest.mark.parametrize("question", ["temperature", "other_temperature"])
def test_mandarin_temperature_hints_read_as_a_plausible_temperature_or_not_measured(question):
    for phrase in (p for p in phrases(question) if p not in ("摄氏度", "体温")):
        reading = ZH.temperature(phrase)
        assert (reading is not None and reading.plausible) or ZH.not_measured(phrase), phrase
    readings = {p: ZH.temperature(p).celsius for p in ("三十七度五", "三十八度", "三十七点五度", "四十度九", "三十五度半")}
    assert readings == {"三十七度五": 37.5, "三十八度": 38.0, "三十七点五度": 37.5, "四十度九": 40.9, "三十五度半": 35.5}
    assert "三十八度六" in phrases(question)


@pytest.mark.parametrize("question", ["symptoms", "other_symptoms"])
def test_mandarin_symptom_hints_are_understood_and_name_every_symptom_and_red_flag(question):
    named = set()
    for phrase in phrases(question):
        report = ZH.symptoms(phrase)
        assert report is not None, phrase
        named.update(report.symptoms + report.red_flags)
    assert named == set(SYMPTOM_CODES) | set(RED_FLAG_CODES)
    assert ZH.symptoms("没有") == ZH.symptoms("都没有") and not ZH.symptoms("没有").symptoms


@pytest.mark.parametrize("question", YES_NO)
def test_mandarin_yes_no_hints_include_both_answers(question):
    readings = {ZH.yes_no(phrase) for phrase in phrases(question)}
    assert {True, False} <= readings
    assert ZH.yes_no("是") is True and ZH.yes_no("不是") is False and {"是", "不是"} <= set(phrases(question))


def test_mandarin_count_hints_all_read_as_a_count():
    assert all(ZH.count(p) is not None for p in phrases("others_count"))
    assert (ZH.count("两个"), ZH.count("没有人")) == (2, 0)


def test_mandarin_callback_hints_name_a_time_or_ask_for_a_callback():
    for phrase in (p for p in phrases("callback_when") if p not in ("不用", "别再打了", "不需要")):
        assert ZH.mentions_callback(phrase), phrase


@pytest.mark.parametrize("response, language, expected", [
    ("utter_ask_temperature", "zh", ZH_HINTS["temperature"]),
    ("utter_reask_other_temperature", "zh", ZH_HINTS["other_temperature"]),
    ("utter_resume_symptoms", "zh", ZH_HINTS["symptoms"]),
    ("utter_ask_temperature", "en", HINTS["temperature"]),
    ("utter_ask_temperature", "fr", None),  # no hints of its own: none, not another language's
    ("utter_close_well", "zh", None),
    (None, "zh", None),
])
def test_hints_for_a_response_in_a_language(response, language, expected):
    assert hints_for(response, language) == expected


def test_hints_for_defaults_to_english_and_is_built_once():
    assert hints_for("utter_ask_symptoms") == HINTS["symptoms"]
    assert hints_for("utter_ask_symptoms", "zh") is hints_for("utter_ask_symptoms", "zh") is ZH_HINTS["symptoms"]
