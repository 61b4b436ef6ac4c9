"""Reading which language a message asks for ("speak English", "请说中文") and what a message is
written in (Chinese characters, letters). Pure; the names of each language are the registry's.

A request is the whole message: one language's name with nothing around it but request words
("please", "in", "speak", "请", "说", "用", "吧"). So "中文" and "can you speak Chinese please"
ask for Mandarin, while "I had Chinese food" or "English or Chinese" ask for nothing, and are
read as answers instead. A message saying the resident does not understand one language
("我看不懂英文", "I don't speak Chinese") asks for the language it is written in, if that is
another one; "no English" written in English asks for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from bot.understanding.core.text import fold

MAX_REQUEST = 40  # characters: a request for a language is a few words

# Chinese characters: the unified ideographs, extension A, compatibility ideographs, and the planes beyond.
_CHINESE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script
_WORD = re.compile(r"[a-z]+")
# Words that may stand around a language's name in a request for it. No negation ("no", "not",
# "不", "别") is among them: "I can't speak English" names a language without asking for it.
_REQUEST_WORDS = frozenset(
    "please pls plz can could would will you u we i me us to in into speak speaking talk talking "
    "write writing reply answer use using switch change swap go do lets let the a language only "
    "now ok okay thanks thank prefer rather this it".split())
# "I don't understand English": a negated verb of understanding makes the name the language not
# wanted. Both are needed: "No, Chinese please" is no such message.
_NEGATIONS = frozenset("no not dont cant cannot never".split())
_NEGATION_CHARS = ("不", "没", "沒", "别", "別")
_UNDERSTANDING = frozenset("understand speak read know write talk".split())
_UNDERSTANDING_CHARS = ("懂", "会", "會", "听", "聽", "看", "识", "識", "说", "說", "讲", "講")
_NOT_WORDS = _NEGATIONS | _UNDERSTANDING | frozenset("very much well good sorry".split())
_NOT_CHARS = ("对不起", "對不起", "抱歉", *_NEGATION_CHARS, *_UNDERSTANDING_CHARS, "学", "學", "太", "得",
              "过", "過")
_REQUEST_CHARS = ("麻烦", "谢谢", "可以", "一下", "我们", "我們", "换成", "換成", "改成", "切换", "切換",
                  "服务", "服務", "语言", "語言", "请", "請", "说", "說", "讲", "講", "用", "能", "会", "會",
                  "吗", "嗎", "吧", "呢", "啊", "要", "想", "我", "你", "您", "好", "的", "换", "換", "改",
                  "成", "到", "来", "來", "跟", "行", "再", "话", "話")

_REQUEST_CHARS_FOUND = re.compile("|".join(sorted(_REQUEST_CHARS, key=len, reverse=True)))
_NOT_CHARS_FOUND = re.compile("|".join(sorted(_NOT_CHARS, key=len, reverse=True)))


def has_chinese(text: str) -> bool:
    return _CHINESE.search(text) is not None


def has_letters(text: str) -> bool:
    return _LETTER.search(text) is not None


class Names:
    """The names of each language (folded: "english", "中文"), matched in one pass."""

    def __init__(self, names: Mapping[str, Iterable[str]]) -> None:
        self.language_of = {name: language for language, found in names.items() for name in found}
        alternatives = [re.escape(n) if has_chinese(n) else rf"(?<![a-z]){re.escape(n)}(?![a-z])"
                        for n in sorted(self.language_of, key=len, reverse=True)]
        self.pattern = re.compile("|".join(alternatives))


def asked_for(text: str, names: Names, written: Callable[[str], str | None]) -> str | None:
    """The language the whole message asks for, or None when it asks for no language, or for
    more than one. `written(text)` tells the language a text is written in."""
    if len(text) > 4 * MAX_REQUEST:
        return None
    rest = fold(text).strip()
    if not rest or len(rest) > MAX_REQUEST:
        return None
    found = {names.language_of[match] for match in names.pattern.findall(rest)}
    if len(found) != 1:
        return None
    named = found.pop()
    rest = around = names.pattern.sub(" ", rest)
    rest = _REQUEST_CHARS_FOUND.sub(" ", rest)
    if _only(rest, _REQUEST_WORDS):
        return named
    rest = _NOT_CHARS_FOUND.sub(" ", rest)
    if _says_not_understood(around) and _only(rest, _REQUEST_WORDS | _NOT_WORDS):
        other = written(around)  # "我看不懂英文" is written in Chinese: Mandarin
        return other if other != named and other in names.language_of.values() else None
    return None


def _says_not_understood(text: str) -> bool:
    words = set(_WORD.findall(text))
    negated = any(c in text for c in _NEGATION_CHARS) or not _NEGATIONS.isdisjoint(words)
    return negated and (any(c in text for c in _UNDERSTANDING_CHARS) or not _UNDERSTANDING.isdisjoint(words))


def _only(rest: str, words: frozenset[str]) -> bool:
    """Whether `rest` holds nothing but `words` and punctuation (no other word, no number)."""
    if any(word not in words for word in _WORD.findall(rest)):
        return False
    return not has_letters(_WORD.sub(" ", rest)) and not any(ch.isdigit() for ch in rest)
