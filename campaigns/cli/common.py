"""What every subcommand shares: the database engine, failure messages, exit codes.

A handler takes the parsed arguments and returns the exit code:
0 done, 1 the work failed (precise message on stderr), 2 bad usage (argparse).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from pydantic import ValidationError

from campaigns.records.db import get_engine
from campaigns.settings import get_settings

Subparsers = argparse._SubParsersAction


def engine() -> Optional[sa.engine.Engine]:
    """The configured database's engine, or None after telling the user why not."""
    try:
        url = get_settings().database_url
    except ValidationError as exc:
        fail(f"bad settings: {exc}")
        return None
    return engine_for(url, name="SCREENING_DATABASE_URL")


def engine_for(url: str, *, name: str) -> Optional[sa.engine.Engine]:
    try:
        return get_engine(url)
    except sa.exc.ArgumentError:
        # The message would repeat the URL, and with it any password.
        fail(f"{name} is not a valid database URL")
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        fail(f"cannot open the database: {db_reason(exc)}")
    return None


# The in-process bot that `bot/` provides for dry runs and the simulated carrier. Loaded by
# name, so `campaigns` never imports Rasa unless a command needs the bot.
BOT_ADAPTER = "bot.inprocess:adapter"  # a function returning an object with `async exchange(...)`


def load_bot():
    module, name = BOT_ADAPTER.split(":")
    return getattr(importlib.import_module(module), name)()


@contextmanager
def bot_for_the_command() -> Iterator[Any]:
    """The bot, for as long as the command runs. Loading it (Rasa, TensorFlow, the model) leaves about
    half a million objects, which each full garbage collection would walk again (0.2 s each): it is
    loaded with the collector off, and what is then in memory is frozen, left out of collections,
    until the command ends. The demo's dry run takes about 2 s less."""
    gc.disable()
    try:
        bot = load_bot()
    finally:
        gc.enable()
    gc.freeze()
    try:
        yield bot
    finally:
        gc.unfreeze()


def db_reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc)


def fail(message: str) -> int:
    print(f"screening: {message}", file=sys.stderr)
    return 1


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
