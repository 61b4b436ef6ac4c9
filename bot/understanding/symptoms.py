"""The English readers' old address, kept for callers outside bot/understanding; new code asks readers_for()."""

from bot.understanding.en.symptoms import parse_symptoms
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

__all__ = ["RED_FLAG_CODES", "SYMPTOM_CODES", "parse_symptoms"]
