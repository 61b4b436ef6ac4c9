"""The answer readers of each language the bot speaks, behind one registry: readers_for("zh").

Each language is a package here (`en/`, `zh/`) holding numbers, temperature, yes/no, symptoms,
counts and callback times, on the shared plumbing of `core/`, and defining `READERS`. Adding a
language is its folder plus one line in `PACKAGES`. Outputs are language-free: codes, °C, UTC.
"""

from __future__ import annotations

import importlib

from bot.understanding.core.readers import Readers
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of

__all__ = ["PACKAGES", "Readers", "readers_for"]

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
