"""The codes a screening records. Campaign files choose from them; the bot reads answers into them."""
from __future__ import annotations

# Symptoms, in the order they are written in the symptoms column.
SYMPTOM_CODES: tuple[str, ...] = (
    "fever", "chills", "cough", "shortness_of_breath", "fatigue", "muscle_aches",
    "headache", "loss_of_taste_or_smell", "sore_throat", "runny_nose", "nausea_vomiting", "diarrhea",
)
# Red flags: signs that need care now, written to the red_flags column.
RED_FLAG_CODES: tuple[str, ...] = ("difficulty_breathing", "chest_pain", "confusion", "bluish_lips")

# The languages the bot speaks (each has a response block and readers in bot/understanding).
LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"
SPOKEN = ", ".join(LANGUAGES)  # for messages: "en, zh"
_ALIASES = {"cmn": "zh", "chi": "zh", "zho": "zh", "eng": "en"}
# BCP 47 extended language subtags of zh that are not Mandarin: "zh-yue" is Cantonese, never "zh".
_OTHER_CHINESE = frozenset({"yue", "nan", "hak", "wuu", "gan", "hsn", "cdo", "cjy", "cpx", "czh", "czo", "mnp"})


def language_of(code: str | None) -> str | None:
    """The bot's language for a language code ("ZH", "zh-CN", "zh-Hans", "cmn" -> "zh"), or None if it
    does not speak it ("fr", "yue", "zh-yue")."""
    parts = (code or "").strip().lower().replace("_", "-").split("-")
    base = _ALIASES.get(parts[0], parts[0])
    if base == "zh" and len(parts) > 1 and parts[1] in _OTHER_CHINESE:
        return None
    return base if base in LANGUAGES else None
