"""The yes/no decision every language shares: the polarities found in an answer become True, False or None.

A reader finds its language's phrases (core.phrases) and hands their polarities here:

* None when any uncertain phrase is present ("maybe", "不知道");
* None when both yes and no phrases are present ("yes and no");
* True / False when only yes / only no phrases are present;
* a weak yes ("嗯", which is also "um") counts only when nothing else was said;
* None when no phrase is recognised.

A bare keypad digit is read as 1 = yes, 2 = no, in every language; other digits are not understood.
"""

from __future__ import annotations

from collections.abc import Iterable

YES, NO, UNSURE = "yes", "no", "unsure"
WEAK_YES = "weak_yes"  # a filler that means yes only on its own
IGNORE = "ignore"  # consumes text ("对不起", "不好意思") so its parts are not read

KEYPAD: dict[str, bool] = {"1": True, "2": False}


def keypad(digits: str) -> bool | None:
    """The answer a keypad entry gives: "1" yes, "2" no, anything else not understood."""
    return KEYPAD.get(digits)


def decide(polarities: Iterable[str]) -> bool | None:
    """True, False or None from the polarities of the phrases found (see the module docstring)."""
    found = set(polarities) - {IGNORE}
    if UNSURE in found:
        return None
    if found == {WEAK_YES}:
        return True
    if (YES in found) == (NO in found):
        return None
    return YES in found
