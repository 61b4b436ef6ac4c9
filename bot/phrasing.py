"""The values question and closing texts name, said in the conversation's language: whose
household, which person ("the second"), and when we call back. Pure."""
from __future__ import annotations

from datetime import datetime

_EN_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_WEEKDAYS = "一二三四五六日"


def household(contact: str | None, language: str) -> str:
    if not contact:
        return ""
    return f"，找{contact}家" if language == "zh" else f" for the household of {contact}"


def ordinal(position: int, language: str) -> str:
    """The unwell member being asked about, counted from 1."""
    if language == "zh":
        return f"第{_zh_number(position)}位"
    return _EN_ORDINALS[position - 1] if 0 < position <= len(_EN_ORDINALS) else f"number {position}"


def when(local: datetime, language: str) -> str:
    if language == "zh":
        return f"{local.month}月{local.day}日（星期{_ZH_WEEKDAYS[local.weekday()]}）{local:%H:%M}"
    return local.strftime("%A %d %B at %H:%M")


def _zh_number(n: int) -> str:
    if 0 <= n < 10:
        return _ZH_DIGITS[n]
    if 10 <= n < 20:
        return "十" + (_ZH_DIGITS[n - 10] if n > 10 else "")
    if 20 <= n < 100:
        return _ZH_DIGITS[n // 10] + "十" + (_ZH_DIGITS[n % 10] if n % 10 else "")
    return str(n)
