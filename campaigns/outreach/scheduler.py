"""`screening run`: APScheduler drives the dispatcher. The only module that imports APScheduler.

Two jobs with fixed IDs, so a restart replaces them instead of adding copies. Job functions
are module-level with a plain argument (the dispatcher's key), as APScheduler expects.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from campaigns.outreach.dispatcher import Dispatcher

log = logging.getLogger(__name__)
_DISPATCHERS: dict[str, Dispatcher] = {}

JOB_OPTIONS = {
    # After the process was suspended, run a late job once, not once per missed second:
    # a burst of catch-up ticks would claim a burst of calls.
    "coalesce": True,
    # Two overlapping ticks would claim twice the budget and break the pacing.
    "max_instances": 1,
    # A tick more than this late is not worth running: the next one is already due.
    "misfire_grace_time": 5,
    "replace_existing": True,
}


async def dispatch_job(key: str) -> None:
    await _DISPATCHERS[key].dispatch()


async def housekeeping_job(key: str) -> None:
    await _DISPATCHERS[key].housekeeping()


def build(dispatcher: Dispatcher, *, housekeeping_seconds: float = 60.0) -> AsyncIOScheduler:
    key = dispatcher.worker
    _DISPATCHERS[key] = dispatcher
    scheduler = AsyncIOScheduler(timezone=timezone.utc)
    scheduler.add_job(housekeeping_job, "interval", seconds=housekeeping_seconds, id="housekeeping",
                      args=[key], next_run_time=datetime.now(timezone.utc), **JOB_OPTIONS)
    scheduler.add_job(dispatch_job, "interval", seconds=dispatcher.tick_seconds, id="dispatch",
                      args=[key], **JOB_OPTIONS)
    return scheduler


async def serve(dispatcher: Dispatcher, *, housekeeping_seconds: float = 60.0) -> None:
    """Run until SIGINT or SIGTERM; on the way out, unplaced claims go back to due."""
    scheduler = build(dispatcher, housekeeping_seconds=housekeeping_seconds)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler.start()
    log.info("dispatcher %s running", dispatcher.worker)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        released = dispatcher.release()
        await dispatcher.carrier.close()
        _DISPATCHERS.pop(dispatcher.worker, None)
        log.info("dispatcher stopped; %d unplaced claims released", released)
