"""Understand a yes/no answer given by chat, SMS, speech-to-text or telephone keypad.

Pure, stdlib-only. The text is normalised (Unicode folding, accents and
apostrophes removed, case folded) and split into words, so "I know" never
reads as "no". Known phrases are then found, longest first, each carrying a
polarity: yes, no, or uncertain. The answer is:

* None when any uncertain phrase is present ("maybe", "not sure", "I don't know");
* None when both yes and no phrases are present ("yes and no");
* True / False when only yes / only no phrases are present;
* None when no phrase is recognised.

A bare keypad digit is read as 1 = yes, 2 = no; other digits are not understood.
Agreement idioms that contain a negative word read as yes: "no problem",
"no worries", "not a problem", "why not".
"""

from __future__ import annotations

import re
import unicodedata

MAX_INPUT_CHARS = 10_000  # longer input is truncated; real answers are far shorter

_YES, _NO, _UNSURE = "yes", "no", "unsure"

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

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u0060\u00b4]")
_KEYPAD: dict[str, bool] = {"1": True, "2": False}


def _compile(polarity: str) -> re.Pattern[str]:
    ordered = sorted(_PHRASES[polarity], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(ordered) + r")\b")


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (polarity, _compile(polarity)) for polarity in (_YES, _NO, _UNSURE)
)


def _normalize(text: str) -> str:
    """Fold text to lowercase ASCII words and digits separated by single spaces."""
    folded = unicodedata.normalize("NFKD", text[:MAX_INPUT_CHARS])
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = _APOSTROPHES.sub("", folded)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def _polarities(norm: str) -> set[str]:
    """Polarities of the recognised phrases, overlaps resolved longest-first (ties: earliest)."""
    candidates = [
        (found.start(), found.end(), polarity)
        for polarity, pattern in _PATTERNS
        for found in pattern.finditer(norm)
    ]
    occupied = bytearray(len(norm))
    found_polarities: set[str] = set()
    for start, end, polarity in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        if occupied.find(1, start, end) == -1:
            occupied[start:end] = b"\x01" * (end - start)
            found_polarities.add(polarity)
    return found_polarities


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
        return _KEYPAD.get(norm)
    found = _polarities(norm)
    if _UNSURE in found or (_YES in found) == (_NO in found):
        return None
    return _YES in found
