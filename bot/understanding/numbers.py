"""The English readers' old address, kept for callers outside bot/understanding; new code asks readers_for()."""

from bot.understanding.en.counts import parse_count

__all__ = ["parse_count"]
