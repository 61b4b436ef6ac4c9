"""Rasa custom actions, served by `rasa run actions --actions bot.actions`."""
from bot.actions import interrupts, language, screening, session  # noqa: F401  (registers the actions)
