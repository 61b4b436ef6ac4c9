"""The English readers' old address, kept for callers outside bot/understanding; new code asks readers_for()."""

from bot.understanding.en.temperature import parse_temperature, says_not_measured

__all__ = ["parse_temperature", "says_not_measured"]
