"""The codes a screening records. Campaign files choose from them; the bot reads answers into them."""
from __future__ import annotations

# Symptoms, in the order they are written in the symptoms column.
SYMPTOM_CODES: tuple[str, ...] = (
    "fever", "chills", "cough", "shortness_of_breath", "fatigue", "muscle_aches",
    "headache", "loss_of_taste_or_smell", "sore_throat", "runny_nose", "nausea_vomiting", "diarrhea",
)
# Red flags: signs that need care now, written to the red_flags column.
RED_FLAG_CODES: tuple[str, ...] = ("difficulty_breathing", "chest_pain", "confusion", "bluish_lips")
