"""Mandarin counts of people: "两个", "三个人", "一个", "俩", "没有人"."""

from __future__ import annotations

import re

from bot.understanding.core.numbers import one_count
from bot.understanding.core.text import fold
from bot.understanding.zh.numbers import find_numbers, has_unreadable, is_signed, is_spelled, tokenize

# "Nobody", said so that no number in it counts: "一个都没有" is none, not one.
_NOBODY = re.compile(r"没有?人|谁(?:都|也)没|一个(?:人)?(?:都|也)没|没有?别人|零个|都没有?|全都没有?")
_PLAIN_NO = re.compile(r"没有?|无")  # "没有" to "how many?" is none, unless a number follows
# "Just me": whether the contact counts themself among the others is not clear, so ask again.
_JUST_ME = re.compile(r"就我|只有我|我自己|我一个")


def parse_count(text: str) -> int | None:
    """How many people; None when absent.

    "2", "两个", "三个人", "一个", "俩" (=2). "没有人", "一个都没有", "都没有", and "没有"
    with no number -> 0. Vague amounts ("几个", "两三个"), digit strings ("一二"), halves,
    signed numbers, "就我一个" and conflicting numbers ("两个或者三个") give None.
    """
    folded = re.sub(r"\s+", "", fold(text))
    if _JUST_ME.search(folded) or "半" in folded:
        return None  # "两个半": half a person is no count
    if _NOBODY.search(folded):
        return 0
    tokens = tokenize(text)
    numbers = find_numbers(tokens)
    if has_unreadable(tokens) or any(is_signed(tokens, n) or is_spelled(tokens[n.start]) for n in numbers):
        return None
    if not numbers and _PLAIN_NO.search(folded):
        return 0
    return one_count(number.value for number in numbers)
