"""The NLU tokenizer: Chinese characters one by one, everything else exactly as Rasa's whitespace tokenizer."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.tokenizer import HanCharacterTokenizer

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
TOKENIZER = HanCharacterTokenizer(HanCharacterTokenizer.get_default_config())
WHITESPACE = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def tokens(tokenizer, text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in tokenizer.tokenize(Message({TEXT: text}), TEXT)]


@pytest.mark.parametrize("text, expected", [
    ("我需要帮助", ["我", "需", "要", "帮", "助"]),
    ("你好，我要报体温。", ["你", "好", "我", "要", "报", "体", "温"]),
    ("体温37.1度", ["体", "温", "37.1", "度"]),
    ("36度9", ["36", "度", "9"]),
    ("TD", ["TD"]),
    ("退订 STOP", ["退", "订", "STOP"]),
    ("hi 你好 there", ["hi", "你", "好", "there"]),
    ("我要 报体温", ["我", "要", "报", "体", "温"]),
    ("好的👍", ["好", "的"]),
    ("I need help, please", ["I", "need", "help", "please"]),
    ("my temperature is 37.2", ["my", "temperature", "is", "37.2"]),
])
def test_chinese_characters_are_words_of_their_own(text, expected):
    assert [t for t, _, _ in tokens(TOKENIZER, text)] == expected


def test_rasas_whitespace_tokenizer_drops_chinese_words_as_emoji():
    # Why the whitespace tokenizer is not enough: its emoji pattern covers every Han character.
    assert [t for t, _, _ in tokens(WHITESPACE, "hi 你好 there")] == ["hi", "there"]
    assert [t for t, _, _ in tokens(WHITESPACE, "退订 STOP")] == ["STOP"]


def test_the_tokenizer_is_allowed_for_chinese_and_english():
    assert HanCharacterTokenizer.not_supported_languages() is None
    assert "zh" in WhitespaceTokenizer.not_supported_languages()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\u3400\u4e00"), max_size=40)
       .filter(lambda text: not HAN.search(text)))
def test_text_without_chinese_is_tokenized_exactly_as_by_whitespace(text):
    assert tokens(TOKENIZER, text) == tokens(WHITESPACE, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("我要报体温三十八度六没有咳嗽，。？! 37.5abc"), max_size=30))
def test_every_token_is_where_it_says_and_no_chinese_character_is_lost(text):
    found = tokens(TOKENIZER, text)
    for piece, start, end in found:
        assert text[start:end] == piece
        assert not HAN.search(piece) or len(piece) == 1
    assert [start for _, start, _ in found] == sorted(start for _, start, _ in found)
    if found != [(text, 0, len(text))]:  # a text of punctuation alone stays whole, as with whitespace
        assert "".join(HAN.findall("".join(p for p, _, _ in found))) == "".join(HAN.findall(text))
