"""The channels' database work, kept off the event loop: call contexts and carrier events; and
telling a store that cannot be reached (the database, Redis) from any other fault."""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

import aiohttp
import redis.exceptions
import sqlalchemy.event
import sqlalchemy.exc
from rasa.utils.endpoints import ClientResponseError
from sanic.exceptions import ServiceUnavailable
from sqlmodel import Session

from campaigns.records.carrier_events import add_carrier_events, known_attempts
from campaigns.records.contacts import CallContext, call_context
from campaigns.records.db import get_engine
from campaigns.settings import get_settings

log = logging.getLogger(__name__)
_CONTEXTS: "OrderedDict[int, CallContext]" = OrderedDict()
_CONTEXTS_KEPT = 4096  # an attempt's context never changes; a call makes ~8 webhooks
BRIEFLY_UNAVAILABLE = "the service is briefly unavailable; please try again in a minute"
DRIVERS = {"psycopg2": "PostgreSQL", "sqlite3": "SQLite", "asyncpg": "PostgreSQL", "pymysql": "MySQL"}
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_PASSWORD = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)
# How the action server reports an action whose database went away (its answer is a 500 with the
# error's text): SQLAlchemy's own codes for OperationalError and InterfaceError, in its message.
_ACTION_SERVER_DB = re.compile(r"sqlalche\.me/e/\d+/(e3q8|rvf5)")


class StoreUnavailable(ServiceUnavailable):
    """A store the bot needs cannot be reached: the request is answered 503 (Sanic answers so for
    any route this escapes) and none of it is recorded. `reason` is for the log, not the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(BRIEFLY_UNAVAILABLE, quiet=True)
        self.reason = reason


def store_unavailable(error: Optional[BaseException]) -> Optional[StoreUnavailable]:
    """A StoreUnavailable naming the store when `error`, or an error that led to it, says a store
    cannot be reached; None for any other fault."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, StoreUnavailable):
            return error
        store = _store_of(error)
        if store is not None:
            return StoreUnavailable(f"{store} cannot be reached: {_described(error)}")
        if isinstance(error, aiohttp.ClientError):  # the action server is down: a jammed turn, not a store
            return None
        seen.add(id(error))
        error = error.__cause__ or error.__context__  # Rasa wraps Redis errors in its LockError
    return None


def _store_of(error: BaseException) -> Optional[str]:
    if isinstance(error, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return "the lock store (Redis)"
    # OperationalError: refused, dropped, shut down, busy past the timeout; a closed connection
    # shows as another DBAPIError with connection_invalidated.
    if isinstance(error, sqlalchemy.exc.OperationalError) or (
            isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated):
        driver = type(getattr(error, "orig", None)).__module__.split(".")[0]
        return f"the database ({DRIVERS[driver]})" if driver in DRIVERS else "the database"
    if isinstance(error, ClientResponseError) and _ACTION_SERVER_DB.search(_text_of(error)):
        return "the database (of the action server)"
    if isinstance(error, (ConnectionError, TimeoutError)):
        return "a store"
    return None


def _described(error: BaseException) -> str:
    """The error's type and first line; never its SQL parameters, nor a password in it."""
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.orig is not None:
        error = error.orig  # the driver's own message: SQLAlchemy's adds the statement and its values
    text = str(error)
    if isinstance(error, ClientResponseError):
        text = _reported(_text_of(error))
    line = (text.strip().splitlines() or [""])[0][:200]
    line = _PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", line))
    return f"{type(error).__name__}: {line}"


def _text_of(error: ClientResponseError) -> str:
    text = error.text or ""
    return text.decode(errors="replace") if isinstance(text, bytes) else text


def _reported(body: str) -> str:
    """The error an action server reported in its answer ({"error": "...", ...})."""
    try:
        return str(json.loads(body).get("error") or "")
    except (ValueError, AttributeError):
        return ""


def tune_tracker_engine(engine: sqlalchemy.engine.Engine) -> None:
    """Make the engine of Rasa's SQL tracker store behave as the project's own (campaigns.records.db):
    on SQLite, WAL with synchronous=NORMAL (a killed process loses nothing; a commit waits on no
    fsync); elsewhere, a connection the server closed (a restart) is replaced, not failed on."""
    if getattr(engine, "tuned_for_turns", False):
        return
    if engine.dialect.name == "sqlite":
        sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine.pool._pre_ping = True  # what create_engine(pool_pre_ping=True) sets; Rasa does not
    engine.tuned_for_turns = True


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async def in_session(work: Callable[[Session], Any]) -> Any:
    """Run `work(session)` with a session of its own in a worker thread, so the event loop never
    waits on the database; the work commits. Errors come back as raised (the actions' way)."""
    def run() -> Any:
        with Session(get_engine(get_settings().database_url)) as session:
            return work(session)

    return await asyncio.get_running_loop().run_in_executor(None, run)


async def in_database(work: Callable[[Session], Any]) -> Any:
    """Run `work(session)` off the event loop and commit: all of it or, when the database goes
    away, none of it (StoreUnavailable)."""
    def committed(session: Session) -> Any:
        result = work(session)
        session.commit()
        return result

    try:
        return await in_session(committed)
    except Exception as error:
        down = store_unavailable(error)
        if down is None:
            raise
        log.error("%s; answered 503", down.reason)
        raise down from error


async def context_of(attempt_id: int) -> Optional[CallContext]:
    """The attempt's context, read from the database once per attempt and process."""
    found = _CONTEXTS.get(attempt_id)
    if found is None:
        found = await in_database(lambda session: call_context(session, attempt_id=attempt_id))
        if found is None:
            return None
        _CONTEXTS[attempt_id] = found
        while len(_CONTEXTS) > _CONTEXTS_KEPT:
            _CONTEXTS.popitem(last=False)
    return found


async def carrier_event(*, attempt_id: Optional[int], status: str, carrier_ref: str,
                        detail: Optional[str] = None, opted_out: bool = False) -> bool:
    """Queue a status for the dispatchers, answering once it is committed (StoreUnavailable if it
    cannot be); a repeat or an unknown attempt is dropped with a log line. Statuses arriving while
    the last ones are written go together: one transaction, one commit (`_StatusWriter`)."""
    if attempt_id is None:
        log.warning("status %s for %s names no attempt; ignored", status, carrier_ref)
        return False
    event = dict(attempt_id=attempt_id, status=status, carrier_ref=carrier_ref, detail=detail, opted_out=opted_out)
    loop = asyncio.get_running_loop()
    writer = _WRITERS.get(loop)
    if writer is None:
        for old in [old for old in list(_WRITERS) if old.is_closed()]:  # list(): other threads' loops add too
            gone = _WRITERS.pop(old, None)
            if gone is not None:
                gone.thread.shutdown(wait=False)
        writer = _WRITERS[loop] = _StatusWriter(loop)
    return await writer.add(event)


class _StatusWriter:
    """Group commit for carrier statuses, one per event loop: the first status is written at once;
    those that arrive meanwhile wait and are written together next, in one transaction. Each
    caller is answered after its own status is committed; a batch the database refused fails
    every caller in it, and nothing of it is kept. It writes in a thread of its own, so a group
    never queues behind the turns' database work in the loop's shared pool."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="carrier-events")  # one group at a time
        self.waiting: list[tuple[dict, asyncio.Future]] = []
        self.writing: Optional[asyncio.Task] = None

    async def add(self, event: dict) -> bool:
        done = self.loop.create_future()
        self.waiting.append((event, done))
        if self.writing is None or self.writing.done():
            self.writing = self.loop.create_task(self._write_all())
        return await done

    async def _write_all(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[:_BATCH_MOST], self.waiting[_BATCH_MOST:]
            try:
                await self._write(batch)
            except BaseException:  # cancelled with the loop: nobody is left waiting forever
                for _, done in batch + self.waiting:
                    done.cancel()
                self.waiting = []
                raise

    async def _write(self, batch: list[tuple[dict, asyncio.Future]]) -> None:
        try:
            stored = await self.loop.run_in_executor(self.thread, _stored, [event for event, _ in batch])
        except Exception as error:
            down = store_unavailable(error)
            if down is None and len(batch) > 1:  # not the store: one bad status must not fail the others
                for one in batch:
                    await self._write([one])
                return
            if down is not None:
                log.error("%s; answered 503 to %d status callback(s)", down.reason, len(batch))
            for _, done in batch:
                if not done.done():  # a caller that went away was cancelled already
                    done.set_exception(_unavailable(down.reason, error) if down is not None else error)
            return
        for (_, done), kept in zip(batch, stored):
            if not done.done():
                done.set_result(kept)


_WRITERS: dict[asyncio.AbstractEventLoop, _StatusWriter] = {}
_BATCH_MOST = 500  # statuses in one transaction: a few ms of writing, far under any timeout


def _unavailable(reason: str, error: BaseException) -> StoreUnavailable:
    down = StoreUnavailable(reason)  # one each: an exception raised in several tasks tangles its traceback
    down.__cause__ = error
    return down


def _stored(events: list[dict]) -> list[bool]:
    """In a worker thread: the statuses of known attempts written and committed, in one transaction;
    for each, whether it was stored (not a repeat, nor for an unknown attempt)."""
    with Session(get_engine(get_settings().database_url)) as session:
        known = known_attempts(session, ids=[event["attempt_id"] for event in events])
        fresh = [event for event in events if event["attempt_id"] in known]
        added = iter(add_carrier_events(session, events=fresh))
        session.commit()
    stored = []
    for event in events:
        if event["attempt_id"] not in known:
            log.warning("status %s for unknown attempt %s ignored", event["status"], event["attempt_id"])
        stored.append(event["attempt_id"] in known and next(added))
    return stored
