"""The answer readers of each language the bot speaks, behind one registry: readers_for("zh").

Each language is a package here (`en/`, `zh/`) holding numbers, temperature, yes/no, symptoms,
counts and callback times, on the shared plumbing of `core/`, and defining `READERS`. Adding a
language is its folder, one line in `PACKAGES` and its names in `NAMES`. Outputs are
language-free: codes, °C, UTC.

Two readers serve every conversation whatever its language: `language_asked_for` (a resident
asks for another language, "中文", "in English please") and `language_written` (the writing of
a walk-in's first message, which chooses its language).
"""

from __future__ import annotations

import functools
import importlib

from bot.understanding.core import language as _language
from bot.understanding.core.readers import Readers
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of

__all__ = ["NAMES", "PACKAGES", "WRITTEN_IN", "Readers", "language_asked_for", "language_written", "readers_for"]

# Imported on first use: a process that never reads Mandarin never loads cn2an, whose import
# alone takes about half a second.
PACKAGES: dict[str, str] = {
    "en": "bot.understanding.en",
    "zh": "bot.understanding.zh",
}


def readers_for(language: str | None) -> Readers:
    """The readers of a conversation's language ("zh", "zh-CN", "cmn" -> Mandarin).

    A language the bot does not speak is read in the default language, the one its
    questions are then asked in.
    """
    code = language_of(language) or DEFAULT_LANGUAGE
    return importlib.import_module(PACKAGES[code]).READERS


# How residents name each language the bot speaks, in any of them (folded: lower case). A
# language the bot does not speak has no names here, so it cannot be asked for.
NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "英文", "英语", "英語"),
    "zh": ("chinese", "mandarin", "putonghua", "zhongwen", "中文", "汉语", "漢語", "普通话", "普通話",
           "国语", "國語", "华语", "華語", "中国话", "中國話"),
}


@functools.cache
def _names() -> _language.Names:
    return _language.Names(NAMES)


def language_asked_for(text: str) -> str | None:
    """The language the message asks the bot to speak ("说中文" -> "zh", "我看不懂英文" -> "zh"), or None."""
    return _language.asked_for(text, _names(), language_written)


# The message metadata in which our channels pass `language_written` of each message, for the
# session start; the channel works it out from the text itself, never takes it from a client.
WRITTEN_IN = "written_in"


def language_written(text: str) -> str | None:
    """The language a first message is written in: Chinese characters mean Mandarin, other
    letters English; None for a message without letters ("36.8", "?") or a command ("/greet")."""
    if text.startswith("/"):
        return None
    if _language.has_chinese(text):
        return "zh"
    return DEFAULT_LANGUAGE if _language.has_letters(text) else None
