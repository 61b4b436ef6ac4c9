"""The texts channels say themselves, per language, and the SMS opt-out words Twilio leaves to us."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from bot.channels.channel_texts import TEXTS, ChannelTexts, texts_in
from bot.channels.gsm7 import fits_one_segment, is_gsm7
from bot.channels.sms import OPT_OUT_WORDS, our_opt_out
from campaigns.records.vocabulary import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
FIELDS = [f.name for f in dataclasses.fields(ChannelTexts)]


def test_every_language_the_bot_speaks_has_the_channel_texts():
    assert set(TEXTS) == set(LANGUAGES)


@pytest.mark.parametrize("field", FIELDS)
def test_mandarin_channel_texts_are_chinese_and_fit_one_ucs2_segment(field):
    text = getattr(TEXTS["zh"], field)
    assert not re.search(r"[A-Za-z]", text) and not is_gsm7(text) and fits_one_segment(text), text


@pytest.mark.parametrize("field", FIELDS)
def test_english_channel_texts_fit_one_gsm7_segment(field):
    text = getattr(TEXTS["en"], field)
    assert is_gsm7(text) and fits_one_segment(text), text


@pytest.fixture(scope="module")
def nlg() -> TemplatedNaturalLanguageGenerator:
    return TemplatedNaturalLanguageGenerator(Domain.load(str(ROOT / "domain.yml")).responses)


@pytest.mark.parametrize("language", LANGUAGES)
def test_our_opt_out_confirmation_is_the_bots_own_in_each_language(nlg, language):
    """Said with no conversation open; with one, the bot says utter_opt_out_confirmed: the same words."""
    said = nlg.generate_from_slots("utter_opt_out_confirmed", {"language": language}, "sms")["text"]
    assert TEXTS[language].opted_out == said


@pytest.mark.parametrize("language, expected", [("zh", TEXTS["zh"]), ("en", TEXTS["en"]), (None, TEXTS["en"]),
                                                ("fr", TEXTS["en"])])
def test_texts_in_a_language(language, expected):
    assert texts_in(language) is expected


@pytest.mark.parametrize("body, language", [
    ("退订", "zh"), ("退订。", "zh"), ("退订!", "zh"), (" 退订 ", "zh"), ("TD", "zh"), ("td", "zh"), ("Td.", "zh"),
    ("退订，谢谢", "zh"), ("退订谢谢", "zh"), ("退订, 谢谢您！", "zh"), ("TD 谢谢", "zh"), ("退订，多谢。", "zh"),
    ("退订吗", None), ("我要退订", None), ("TDD", None), ("STOP", None), ("不是", None), ("", None),
    ("谢谢", None), ("退订吗，谢谢", None), ("不要退订，谢谢", None),
])
def test_our_opt_out_words(body, language):
    assert our_opt_out(body) == language


def test_twilios_own_words_are_not_ours_to_confirm():
    assert not any(our_opt_out(word) for word in OPT_OUT_WORDS)
    assert {"STOP", "REVOKE", "OPTOUT"} <= OPT_OUT_WORDS and "退订" not in OPT_OUT_WORDS
