"""Every response in each language the bot speaks, per channel: Mandarin mirrors English, says no
English word, and a Mandarin question fits one UCS-2 text segment at worst-case values."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from bot import phrasing
from bot.channels.gsm7 import fits_one_segment, is_gsm7
from bot.channels.twiml import Speaker
from campaigns.records.vocabulary import LANGUAGES, language_of

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RESPONSES: dict[str, list[dict]] = DOMAIN.responses
NLG = TemplatedNaturalLanguageGenerator(RESPONSES)
# The longest value each placeholder takes in a Mandarin office (names of two to four characters).
ZH_WORST_CASE = {
    "office": "某" * 12,
    "household": phrasing.household("某" * 6, "zh"),
    "ordinal": phrasing.ordinal(20, "zh"),
    "emergency_number": "9" * 15,
    "when": phrasing.when(datetime(2026, 12, 30, 18, 30), "zh"),
}


def language(variant: dict) -> str:
    return next((c["value"] for c in variant.get("condition") or () if c.get("name") == "language"), "en")


def channels(name: str, lang: str) -> set:
    return {v.get("channel") for v in RESPONSES[name] if language(v) == lang}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_has_mandarin_for_every_channel_english_has(name):
    assert channels(name, "zh") == channels(name, "en")


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_mandarin_says_no_english_word_and_names_the_same_values(name):
    for variant in (v for v in RESPONSES[name] if language(v) == "zh"):
        english = next(v for v in RESPONSES[name] if language(v) == "en" and v.get("channel") == variant.get("channel"))
        text = re.sub(r"{\w+}", "", variant["text"])
        assert not re.search(r"[A-Za-z]", text), variant["text"]
        assert set(re.findall(r"{(\w+)}", variant["text"])) == set(re.findall(r"{(\w+)}", english["text"]))


@pytest.mark.parametrize("name", sorted(n for n in RESPONSES if n.startswith(("utter_ask_", "utter_reask_",
                                                                               "utter_resume_"))))
def test_a_mandarin_question_by_text_fits_one_ucs2_segment(name):
    rendered = NLG.generate_from_slots(name, {"language": "zh"}, "sms", **ZH_WORST_CASE)["text"]
    assert not is_gsm7(rendered) and "{" not in rendered
    assert fits_one_segment(rendered), (len(rendered), rendered)


@pytest.mark.parametrize("channel", ["sms", "voice", "chat"])
def test_the_language_slot_picks_the_block_on_every_channel(channel):
    zh = NLG.generate_from_slots("utter_ask_temperature", {"language": "zh"}, channel)["text"]
    en = NLG.generate_from_slots("utter_ask_temperature", {"language": "en"}, channel)["text"]
    assert "体温" in zh and "temperature" in en


@pytest.mark.parametrize("code, expected", [("zh", "zh"), ("ZH", "zh"), ("zh-CN", "zh"), ("zh_Hans", "zh"),
                                            ("cmn", "zh"), ("en", "en"), ("en-GB", "en"), ("vi", None),
                                            ("", None), (None, None)])
def test_language_codes_are_read_into_the_languages_the_bot_speaks(code, expected):
    assert language_of(code) == expected
    assert expected is None or expected in LANGUAGES


def test_mandarin_calls_use_a_mandarin_voice_and_recogniser():
    speaker = Speaker("zh")
    assert (speaker.locale, speaker.gather_locale, speaker.voice_name) == ("cmn-CN", "cmn-Hans-CN", "Polly.Zhiyu")
    assert Speaker("zh", "Polly.Other").voice_name == "Polly.Other"
    assert (Speaker("en").gather_locale, Speaker("en").voice_name) == ("en-US", None)


@pytest.mark.parametrize("position, said", [(1, "第一位"), (2, "第二位"), (10, "第十位"), (12, "第十二位"),
                                            (20, "第二十位"), (21, "第二十一位")])
def test_mandarin_ordinals(position, said):
    assert phrasing.ordinal(position, "zh") == said


@pytest.mark.parametrize("household_language, phone, words", [
    ("zh-CN", "+8613800000123", "健康筛查"), ("en", "+8613800000124", "health screening"),
    ("vi", "+8613800000125", "health screening")])  # a language the bot does not speak: the campaign's
def test_a_households_language_chooses_its_conversation(resident, db, household_language, phone, words):
    from sqlmodel import Session

    from campaigns.records.models import Household

    with Session(db) as session:
        session.add(Household(id=f"H-{phone[-3:]}", phone=phone, language=household_language, timezone="UTC"))
        session.commit()
    assert words in resident(phone, channel="sms").say("hi")[0]


def test_a_mandarin_household_is_read_in_mandarin_to_the_end(resident, db):
    """The questions come in Mandarin and the Mandarin answers are read: a whole screening."""
    from sqlmodel import Session

    from campaigns.records.models import Household

    phone = "+8613800000126"
    with Session(db) as session:
        session.add(Household(id="H-zh-read", phone=phone, language="zh", timezone="Asia/Shanghai"))
        session.commit()
    r = resident(phone, channel="sms")
    r.say("hi")
    assert "体温" in r.say("是的")[0]
    assert "症状" in r.say("三十八度六")[0]
    r.say("咳嗽，嗓子疼")
    closing = r.say("没有")
    assert "卫生工作人员" in closing[0]
    [row] = r.rows()
    assert (row.temperature_c, row.symptoms, row.temperature_said, row.abnormal) == (
        38.6, "cough;sore_throat", "三十八度六", True)


@pytest.mark.parametrize("walk_in, own, campaign, wrote, before, chosen", [
    (False, "zh", "en", "en", "en", "zh"),  # a listed household's own language, whatever it writes
    (False, "en", None, "zh", None, "en"),
    (False, "vi", "zh", "en", None, "zh"),  # one the bot does not speak: the campaign's
    (False, "vi", None, "zh", None, "zh"),  # ...or, with no campaign, what the resident wrote in
    (True, "en", None, "zh", "en", "zh"),  # a walk-in's household says nothing: its first message does
    (True, "en", None, None, "zh", "zh"),  # no letters to go by: the conversation's language so far
    (True, "en", None, None, None, "en"),
])
def test_a_sessions_language_is_chosen_on_the_server(walk_in, own, campaign, wrote, before, chosen):
    from bot.actions.context import choose_language
    from campaigns.records.models import Household

    household = Household(id="H-1", walk_in=walk_in, language=own)
    assert choose_language(household, {"language": campaign}, wrote=wrote, before=before) == chosen


@pytest.mark.parametrize("name", ["utter_language_switched", "utter_languages_offered"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_switch_replies_fit_one_text_and_are_said_in_the_language_switched_to(name, lang):
    rendered = NLG.generate_from_slots(name, {"language": lang}, "sms")["text"]
    assert fits_one_segment(rendered), (len(rendered), rendered)
    assert bool(re.search(r"[\u4e00-\u9fff]", rendered)) == (lang == "zh")
