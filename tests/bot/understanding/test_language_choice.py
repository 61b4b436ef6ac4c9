"""Tests for the two readers every conversation shares: which language a message asks for, and
which language a first message is written in. Tables, then properties over free text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understanding import NAMES, PACKAGES, language_asked_for, language_written
from bot.understanding.core.text import fold
from campaigns.records.vocabulary import LANGUAGES

FAST = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize("text", ["English", "english", "in English", "in English please", "speak English",
                                  "Please speak English!", "can you speak English?", "English only",
                                  "let's use English", "ＥＮＧＬＩＳＨ", "英文", "英语", "英語", "说英语",
                                  "请说英文", "用英文吧", "能说英语吗？", "换成英文", "英文 please"])
def test_asks_for_english(text):
    assert language_asked_for(text) == "en"


@pytest.mark.parametrize("text", ["中文", "说中文", "请说中文", "请说中文。", "普通话", "讲普通话", "能说普通话吗",
                                  "中文可以吗", "我要中文服务", "切换到中文", "說中文", "國語", "汉语", "Chinese",
                                  "speak Chinese", "Mandarin please", "could you talk in Chinese", "中文 please",
                                  "Chinese, 谢谢"])
def test_asks_for_mandarin(text):
    assert language_asked_for(text) == "zh"


@pytest.mark.parametrize("text", [
    "", "  ", "yes", "36.8", "三十八度六", "你好", "hello",
    "I had Chinese food", "my cough is from the English weather",  # a name inside an answer
    "no English", "not Chinese", "No, Chinese please", "I can't speak English", "别说中文", "我不懂中文",  # negation
    "English or Chinese", "中文和英文都行",  # two languages: which?
    "French", "speak French", "法语", "粤语", "Cantonese", "说越南语",  # languages the bot does not speak
    "中文123", "Chinese 38.5",  # a number is an answer, not a request
    "please speak English " * 5,  # too long to be only a request
])
def test_asks_for_no_language(text):
    assert language_asked_for(text) is None


@pytest.mark.parametrize("text, language", [
    ("我不会说英语", "zh"), ("听不懂英文", "zh"), ("我看不懂英文。", "zh"), ("英文看不懂", "zh"),
    ("I don't understand Chinese", "en"), ("Sorry, I can't read Chinese", "en"),
])
def test_not_understanding_one_language_asks_for_the_one_the_message_is_written_in(text, language):
    assert language_asked_for(text) == language


@pytest.mark.parametrize("text, language", [
    ("你好", "zh"), ("我需要帮助", "zh"), ("hi 你好", "zh"), ("三十八度六", "zh"), ("說中文", "zh"),
    ("hello", "en"), ("I need help", "en"), ("Hola", "en"), ("ok", "en"),
    ("36.8", None), ("?", None), ("", None), ("1", None), ("/greet", None), ("/session_start", None),
])
def test_the_language_a_first_message_is_written_in(text, language):
    assert language_written(text) == language


def test_only_languages_the_bot_speaks_can_be_asked_for():
    assert set(NAMES) == set(PACKAGES) == set(LANGUAGES)
    for language, names in NAMES.items():
        for name in names:
            assert language_asked_for(name) == language and name == name.casefold()


@FAST
@given(st.text(max_size=60))
def test_any_text_asks_for_a_language_the_bot_speaks_or_none(text):
    assert language_asked_for(text) in (None, *LANGUAGES)
    assert language_written(text) in (None, *LANGUAGES)


@FAST
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_a_message_naming_no_language_asks_for_none(text):
    folded = fold(text)
    if not any(name in folded for names in NAMES.values() for name in names):
        assert language_asked_for(text) is None


@FAST
@given(st.sampled_from([(lang, n) for lang, names in NAMES.items() for n in names]),
       st.sampled_from(["no ", "not ", "don't speak ", "I can't read ", "不", "别说", "没有", "不会", "看不懂"]),
       st.sampled_from(["", " please", "，谢谢", "!"]))
def test_a_negated_name_never_asks_for_that_language(named, negation, tail):
    language, name = named
    assert language_asked_for(f"{negation}{name}{tail}") != language
