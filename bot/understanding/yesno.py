"""The English readers' old address, kept for callers outside bot/understanding; new code asks readers_for()."""

from bot.understanding.en.yesno import parse_yes_no

__all__ = ["parse_yes_no"]
