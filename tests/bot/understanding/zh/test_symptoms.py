"""Tests for bot.understanding.zh.symptoms: Mandarin symptoms and red flags, with negation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.understanding.core.symptoms import SymptomReport
from bot.understanding.zh.symptoms import parse_symptoms
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

ROOT = Path(__file__).resolve().parents[4]

# (answer, expected symptoms, expected red flags)
UNDERSTOOD = [
    # fever
    ("发烧", ("fever",), ()),
    ("我发烧了", ("fever",), ()),
    ("发热", ("fever",), ()),
    ("有点低烧", ("fever",), ()),
    ("发高烧", ("fever",), ()),
    ("体温有点高", ("fever",), ()),
    ("身上很烫", ("fever",), ()),
    ("额头发烫", ("fever",), ()),
    # chills
    ("发冷", ("chills",), ()),
    ("打寒战", ("chills",), ()),
    ("打冷颤", ("chills",), ()),
    ("浑身发冷", ("chills",), ()),
    ("怕冷", ("chills",), ()),
    ("冷得发抖", ("chills",), ()),
    # cough
    ("咳嗽", ("cough",), ()),
    ("有点咳嗽", ("cough",), ()),
    ("干咳", ("cough",), ()),
    ("咳痰", ("cough",), ()),
    ("一直咳", ("cough",), ()),
    ("不停地咳嗽", ("cough",), ()),
    # shortness of breath
    ("气短", ("shortness_of_breath",), ()),
    ("有点气短", ("shortness_of_breath",), ()),
    ("呼吸急促", ("shortness_of_breath",), ()),
    ("走路就喘", ("shortness_of_breath",), ()),
    ("气不够用", ("shortness_of_breath",), ()),
    # fatigue
    ("乏力", ("fatigue",), ()),
    ("没劲", ("fatigue",), ()),
    ("很累", ("fatigue",), ()),
    ("浑身没力气", ("fatigue",), ()),
    ("浑身无力", ("fatigue",), ()),
    ("没精神", ("fatigue",), ()),
    ("特别疲劳", ("fatigue",), ()),
    # muscle aches
    ("浑身酸痛", ("muscle_aches",), ()),
    ("全身酸痛", ("muscle_aches",), ()),
    ("肌肉疼", ("muscle_aches",), ()),
    ("关节痛", ("muscle_aches",), ()),
    ("身上疼", ("muscle_aches",), ()),
    ("腰酸背痛", ("muscle_aches",), ()),
    # headache
    ("头疼", ("headache",), ()),
    ("头痛", ("headache",), ()),
    ("头有点疼", ("headache",), ()),
    ("头好痛", ("headache",), ()),
    ("脑袋疼", ("headache",), ()),
    ("偏头痛", ("headache",), ()),
    # loss of taste or smell
    ("闻不到味道", ("loss_of_taste_or_smell",), ()),
    ("尝不出味道", ("loss_of_taste_or_smell",), ()),
    ("闻不到", ("loss_of_taste_or_smell",), ()),
    ("吃东西没有味道", ("loss_of_taste_or_smell",), ()),
    ("没有嗅觉", ("loss_of_taste_or_smell",), ()),
    ("味觉消失了", ("loss_of_taste_or_smell",), ()),
    ("失去味觉嗅觉", ("loss_of_taste_or_smell",), ()),
    # sore throat
    ("嗓子疼", ("sore_throat",), ()),
    ("咽痛", ("sore_throat",), ()),
    ("喉咙痛", ("sore_throat",), ()),
    ("嗓子有点干", ("sore_throat",), ()),
    ("嗓子不舒服", ("sore_throat",), ()),
    ("咽东西疼", ("sore_throat",), ()),
    # runny nose
    ("流鼻涕", ("runny_nose",), ()),
    ("鼻塞", ("runny_nose",), ()),
    ("鼻子不通气", ("runny_nose",), ()),
    ("打喷嚏", ("runny_nose",), ()),
    ("流清鼻涕", ("runny_nose",), ()),
    # nausea and vomiting
    ("恶心", ("nausea_vomiting",), ()),
    ("呕吐", ("nausea_vomiting",), ()),
    ("想吐", ("nausea_vomiting",), ()),
    ("吐了两次", ("nausea_vomiting",), ()),
    ("有点反胃", ("nausea_vomiting",), ()),
    # diarrhea
    ("拉肚子", ("diarrhea",), ()),
    ("腹泻", ("diarrhea",), ()),
    ("拉稀", ("diarrhea",), ()),
    ("闹肚子", ("diarrhea",), ()),
    # red flags: never also reported as ordinary symptoms
    ("呼吸困难", (), ("difficulty_breathing",)),
    ("喘不上气", (), ("difficulty_breathing",)),
    ("喘不过气来", (), ("difficulty_breathing",)),
    ("呼吸有点费劲", (), ("difficulty_breathing",)),
    ("胸痛", (), ("chest_pain",)),
    ("胸口疼", (), ("chest_pain",)),
    ("胸闷", (), ("chest_pain",)),
    ("胸口发紧", (), ("chest_pain",)),
    ("意识不清", (), ("confusion",)),
    ("有点糊涂", (), ("confusion",)),
    ("神志不清", (), ("confusion",)),
    ("嘴唇发紫", (), ("bluish_lips",)),
    ("嘴唇发青", (), ("bluish_lips",)),
    ("脸色发紫", (), ("bluish_lips",)),
    # combinations, in canonical order whatever the spoken order
    ("咳嗽，发烧", ("fever", "cough"), ()),
    ("头疼、嗓子疼、流鼻涕", ("headache", "sore_throat", "runny_nose"), ()),
    ("我有点发烧，还咳嗽", ("fever", "cough"), ()),
    ("有点累，嗓子也疼", ("fatigue", "sore_throat"), ()),
    ("胸闷气短", ("shortness_of_breath",), ("chest_pain",)),
    ("发烧咳嗽还喘不上气", ("fever", "cough"), ("difficulty_breathing",)),
    # negation, before and after
    ("没发烧有点咳嗽", ("cough",), ()),
    ("没有发烧，但是咳嗽", ("cough",), ()),
    ("不发烧，就是头疼", ("headache",), ()),
    ("发烧不咳嗽", ("fever",), ()),
    ("头疼，别的都没有", ("headache",), ()),
    ("头疼，咳嗽没有", ("headache",), ()),
    ("咳嗽没有好转", ("cough",), ()),
    ("头疼没有咳嗽", ("headache",), ()),
    ("咳嗽没有，发烧有", ("fever",), ()),
    ("除了咳嗽，没有别的", ("cough",), ()),
    # how a recogniser writes it: spaces, full-width punctuation, a full stop
    ("我 有点 咳嗽 。", ("cough",), ()),
    ("发烧！咳嗽！", ("fever", "cough"), ()),
]

# Each gives an empty report: the resident said there is nothing.
NEGATIVE_ANSWERS = [
    "没有", "都没有", "没有咳嗽", "不咳嗽", "没有发烧咳嗽", "发烧和咳嗽都没有", "发烧，咳嗽，都没有", "咳嗽没有",
    "不发烧也不咳嗽", "什么都没有", "一切正常", "都正常", "没有症状", "身体很好", "头不疼", "嗓子不疼了",
    "没有呼吸困难", "没", "没事", "都没有。",
]

NOT_UNDERSTOOD = [
    "", "   ", "不知道", "不清楚", "什么？", "你说什么", "再说一遍", "没听清", "听不懂", "cough", "no",
    "\U0001f912", "123", "肚子疼", "有", "好像有点", "啊",
]


@pytest.mark.parametrize(("text", "symptoms", "red_flags"), UNDERSTOOD, ids=[row[0] for row in UNDERSTOOD])
def test_parse_symptoms_understood_answer_gives_exact_codes(text, symptoms, red_flags) -> None:
    assert parse_symptoms(text) == SymptomReport(symptoms=symptoms, red_flags=red_flags)


def test_symptom_table_is_large_enough() -> None:
    assert len(UNDERSTOOD) >= 100


@pytest.mark.parametrize("text", NEGATIVE_ANSWERS, ids=NEGATIVE_ANSWERS)
def test_parse_symptoms_explicit_negative_gives_empty_report(text: str) -> None:
    report = parse_symptoms(text)

    assert report is not None and report.none_reported


@pytest.mark.parametrize("text", NOT_UNDERSTOOD, ids=[text or "empty" for text in NOT_UNDERSTOOD])
def test_parse_symptoms_unrelated_or_unclear_text_gives_none(text: str) -> None:
    assert parse_symptoms(text) is None


def test_parse_symptoms_codes_come_from_the_published_vocabularies() -> None:
    report = parse_symptoms("，".join(row[0] for row in UNDERSTOOD))

    assert report is not None
    assert (report.symptoms, report.red_flags) == (SYMPTOM_CODES, RED_FLAG_CODES)


def _mandarin_question(name: str) -> list[str]:
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][name]
    return [r["text"] for r in responses if any(c.get("value") == "zh" for c in r.get("condition") or ())]


def test_the_mandarin_symptom_question_names_what_the_reader_knows() -> None:
    questions = _mandarin_question("utter_ask_symptoms")

    assert questions
    for question in questions:
        report = parse_symptoms(question)
        assert report is not None and report.symptoms == SYMPTOM_CODES, question


@pytest.mark.parametrize(
    # As many phrases as the English test's "cough " * 1000.
    "text", ["咳嗽，" * 1000, "没有发烧，" * 1000, "啊" * 5000, "喘不上气和" * 1000, "\U0001f912" * 5000, "|" * 5000],
    ids=["repeated-symptom", "repeated-negation", "one-character", "repeated-red-flag", "emoji", "pipes"],
)
def test_parse_symptoms_long_input_returns_within_50ms(text: str) -> None:
    parse_symptoms(text)  # warm-up so only the steady-state cost is measured
    started = time.perf_counter()
    parse_symptoms(text)
    assert time.perf_counter() - started < 0.05
