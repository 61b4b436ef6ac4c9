"""SMS length in the GSM 03.38 alphabet: which texts are GSM-7 and how many segments they cost.

Pure, stdlib-only. A text made only of GSM-7 characters is sent in 7-bit septets:
160 in one segment, 153 per segment once it is split (the rest of each segment
holds the concatenation header). Characters of the extension table (``{ } [ ] ~ \\
| ^ €`` and form feed) take two septets, an escape and the character. Any other
character makes the whole message UCS-2: 70 UTF-16 code units in one segment,
67 per segment once split. One curly apostrophe is enough to halve the room.
"""

from __future__ import annotations

import math

# GSM 03.38 basic character set, in code order 0x00..0x7F, without 0x1B (the escape
# to the extension table, never a character of its own).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs the escape septet plus its own.
EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic set or its extension table."""
    return all(ch in BASIC or ch in EXTENSION for ch in text)


def septets(text: str) -> int:
    """Length of a GSM-7 text in septets: extension-table characters count 2, others 1.

    Meaningful only when ``is_gsm7(text)``; other characters are counted as 1.
    """
    return len(text) + sum(1 for ch in text if ch in EXTENSION)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # characters beyond the BMP (emoji) count 2


def segments(text: str) -> int:
    """Number of SMS segments the text is sent in (an empty text still costs one).

    GSM-7: 1 if it fits 160 septets, else ceil(septets / 153).
    Otherwise UCS-2: 1 if it fits 70 UTF-16 code units, else ceil(units / 67).
    (A carrier that refuses to split an escape or surrogate pair across two
    segments may rarely need one more; that edge is not modelled.)
    """
    if is_gsm7(text):
        length, single, part = septets(text), GSM7_SINGLE, GSM7_PART
    else:
        length, single, part = _utf16_units(text), UCS2_SINGLE, UCS2_PART
    return 1 if length <= single else math.ceil(length / part)


def fits_one_segment(text: str) -> bool:
    """True when the text is sent as a single SMS segment."""
    return segments(text) == 1
