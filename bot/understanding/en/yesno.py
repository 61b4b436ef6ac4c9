"""English yes/no answers, by chat, SMS, speech-to-text or telephone keypad.

The text is folded (core.text) and split into words, so "I know" never reads
as "no". Known phrases are then found, longest first, each carrying a
polarity: yes, no, or uncertain; core.yesno decides (uncertain or both: None).
Agreement idioms that contain a negative word read as yes: "no problem",
"no worries", "not a problem", "why not".
"""

from __future__ import annotations

import re

from bot.understanding.core import yesno
from bot.understanding.core.phrases import compile_phrases, find_phrases
from bot.understanding.core.text import fold

_YES, _NO, _UNSURE = yesno.YES, yesno.NO, yesno.UNSURE

_PHRASES: dict[str, tuple[str, ...]] = {
    _YES: (
        r"ye+s+", r"yeah+", r"yea", r"ya+", r"yah", r"yep+", r"yup+", r"aye", r"y", r"sure", r"for sure",
        r"sure thing", r"ok+", r"okay", r"okey", r"k", r"alright", r"all right", r"of course", r"correct",
        r"right", r"thats right", r"that is right", r"absolutely", r"definitely", r"certainly", r"indeed",
        r"affirmative", r"true", r"uh huh", r"u+h+ hu+h+", r"mhm+", r"mm+ hm+", r"go ahead", r"go on",
        r"please", r"yes please", r"fine", r"good time", r"sounds good", r"i do", r"i am", r"it is",
        r"no problem", r"not a problem", r"no worries", r"why not", r"no doubt", r"ready",
    ),
    _NO: (
        r"no+", r"nope", r"nah+", r"naw", r"n", r"not", r"not now", r"not right now", r"no thanks",
        r"no thank you", r"not really", r"not at all", r"no one", r"nobody", r"none", r"never", r"negative",
        r"nothing", r"dont", r"do not", r"i dont", r"i do not", r"of course not", r"definitely not",
        r"absolutely not", r"certainly not", r"wrong", r"incorrect", r"not ok", r"not okay", r"not good",
        r"not a good time", r"bad time", r"(i am|im|it is|its) not", r"not ready",
        r"later", r"uh uh", r"thats wrong", r"not right", r"stop",
    ),
    _UNSURE: (
        r"maybe", r"perhaps", r"possibly", r"probably", r"might", r"not sure", r"unsure", r"dont know",
        r"do not know", r"dunno", r"no idea", r"not certain", r"depends", r"kind of", r"sort of", r"i guess",
        r"hard to say",
    ),
}

_PATTERNS = tuple((polarity, compile_phrases(phrases)) for polarity, phrases in _PHRASES.items())


def _normalize(text: str) -> str:
    """Fold text to lowercase ASCII words and digits separated by single spaces."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def parse_yes_no(text: str) -> bool | None:
    """Read a yes/no answer.

    True for yes-like answers ("yes", "yeah", "sure", "of course", keypad "1"),
    False for no-like answers ("no", "nope", "not now", keypad "2"), None when
    neither, both, or uncertain ("maybe", "I don't know", "yes and no", "").
    Never raises for any str.
    """
    if not isinstance(text, str):
        return None
    norm = _normalize(text)
    if norm.isdigit():
        return yesno.keypad(norm)
    return yesno.decide(match.code for match in find_phrases(norm, _PATTERNS))
