"""The supervisor console: server-rendered pages for staff and a JSON API for scripts,
over the same database as the campaign engine and the bot. `python -m campaigns.console`."""
