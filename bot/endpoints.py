"""The Rasa server's endpoints, built from the settings: the custom actions (in the Rasa
server's own process, or an action server's URL), the SQL tracker store on the project
database, and a Redis lock store when SCREENING_REDIS_URL is set.

Rasa's stores take a URL's parts, not the URL, so both URLs are taken apart here with
SQLAlchemy's and the standard library's parsers. The result holds passwords: it is written
only to a private temporary file, never logged.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import yaml
from sqlalchemy.engine import make_url

from campaigns.settings import Settings

LOCK_STORE = "bot.locks.SafeRedisLockStore"  # Rasa's RedisLockStore without its race (bot/locks.py)
ACTIONS_MODULE = "bot.actions"
# The key Rasa (3.8 and later) reads to run an action_endpoint's actions in its own process; on
# 3.6, bot.rasa_runtime gives such an endpoint to bot.inprocess_actions.InProcessActions.
IN_PROCESS_KEY = "actions_module"


class EndpointsError(ValueError):
    """A setting cannot become an endpoint; the message names the setting, never its value."""


def endpoints(settings: Settings, *, actions_url: Optional[str] = None) -> dict[str, Any]:
    """The endpoints.yml content for these settings, as a dict: the actions run in the Rasa
    server's process, or at the action server `actions_url` names."""
    found: dict[str, Any] = {"action_endpoint": action_endpoint(actions_url),
                             "tracker_store": tracker_store(settings.database_url)}
    if settings.redis_url is not None:
        found["lock_store"] = lock_store(settings.redis_url.get_secret_value())
    return found


def endpoints_yaml(settings: Settings, *, actions_url: Optional[str] = None) -> str:
    return yaml.safe_dump(endpoints(settings, actions_url=actions_url), sort_keys=False)


def action_endpoint(actions_url: Optional[str] = None) -> dict[str, Any]:
    """Rasa's action endpoint: an action server's URL, else this project's actions in-process."""
    return {"url": actions_url} if actions_url else {IN_PROCESS_KEY: ACTIONS_MODULE}


def tracker_store(database_url: str) -> dict[str, Any]:
    """Rasa's SQL tracker store on the project database (its table is `events`), as
    bot.trackers.KeptSQLTrackerStore: the same rows, with the conversations in use kept in memory
    while the database provably holds exactly them."""
    try:
        url = make_url(database_url)
    except Exception:  # the message repeats the URL, and with it any password
        raise EndpointsError("SCREENING_DATABASE_URL is not a valid database URL") from None
    store: dict[str, Any] = {"type": "bot.trackers.KeptSQLTrackerStore", "dialect": url.drivername,
                             "db": url.database or ""}
    # Rasa hands an endpoint's `url` to the store as its host.
    for key, name in (("url", "host"), ("port", "port"), ("username", "username"), ("password", "password")):
        value = getattr(url, name)
        if value is not None:
            store[key] = value
    if url.query:
        store["query"] = dict(url.query)
    return store


def lock_store(redis_url: str) -> dict[str, Any]:
    """A Redis lock store, shared by every worker and replica of the Rasa server."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise EndpointsError("SCREENING_REDIS_URL is not a redis://host[:port][/db] URL")
    try:
        port = parts.port or 6379
        db = int(parts.path.strip("/") or 0)
    except ValueError:
        raise EndpointsError("SCREENING_REDIS_URL has a port or database number that is not a number") from None
    store: dict[str, Any] = {"type": LOCK_STORE, "url": parts.hostname, "port": port, "db": db}
    if parts.username:
        store["username"] = unquote(parts.username)
    if parts.password:
        store["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        store["use_ssl"] = True
    return store


def workers(redis_url: Optional[str], cores: int) -> int:
    """Sanic workers for the Rasa server: one per core with a shared lock store, else one
    (Rasa's in-memory lock store cannot be shared between workers)."""
    return max(1, cores) if redis_url else 1
