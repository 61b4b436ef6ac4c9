"""What every language's readers offer: one object per language, found through bot.understanding.readers_for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.understanding.core.symptoms import SymptomReport
from bot.understanding.core.temperature import Temperature


@dataclass(frozen=True)
class Readers:
    """The answer readers of one language. Each is pure, never raises on a str, and answers in
    language-free values: codes, °C, UTC datetimes; None when the answer is not understood."""

    language: str
    temperature: Callable[[str], Temperature | None]
    not_measured: Callable[[str], bool]  # "I have no thermometer", "没量"
    yes_no: Callable[[str], bool | None]
    symptoms: Callable[[str], SymptomReport | None]
    count: Callable[[str], int | None]  # how many people
    callback_time: Callable[[str, datetime, ZoneInfo], datetime | None]  # (text, now, tz) -> UTC
    mentions_callback: Callable[[str], bool]  # asks to be contacted later, not a plain refusal
