"""Clocks. The dispatcher and the simulated carrier ask a clock for the time and for
work to be done later, so the same code runs live and on a dry run's virtual clock."""
from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Optional

Job = Callable[..., Optional[Awaitable[Any]]]
log = logging.getLogger(__name__)


class RealClock:
    """Wall-clock time; later work runs on the asyncio event loop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def call_at(self, when: datetime, job: Job, *args: Any) -> None:
        """Run `job(*args)` once the wall clock reads `when` or later. The loop waits on the
        monotonic clock, which can run a little ahead of the wall clock (while NTP slews it, up to
        0.05%: a job due in 0.2 s woke 76 µs early); a job woken early waits for the rest."""
        asyncio.get_running_loop().call_later(max((when - self.now()).total_seconds(), 0.0),
                                              self._when_due, when, job, args)

    def _when_due(self, when: datetime, job: Job, args: tuple) -> None:
        early = (when - self.now()).total_seconds()
        if early > 0:
            asyncio.get_running_loop().call_later(early, self._when_due, when, job, args)
        else:
            self._run(job, args)

    def _run(self, job: Job, args: tuple) -> None:
        result = job(*args)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)  # keep a reference until done
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        # Said at once: left to the garbage collector, a failed job's error appears late or never.
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            name = getattr(task.get_coro(), "__qualname__", "job")
            log.error("scheduled job %s failed", name, exc_info=task.exception())


class VirtualClock:
    """Simulated time for dry runs: jobs run in time order, and time jumps from one
    job to the next instead of passing."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(timezone.utc)
        self._queue: list[tuple[datetime, int, Job, tuple]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def call_at(self, when: datetime, job: Job, *args: Any) -> None:
        heapq.heappush(self._queue, (max(when, self._now), next(self._order), job, args))

    def next_job_at(self) -> Optional[datetime]:
        return self._queue[0][0] if self._queue else None

    def advance_to(self, when: datetime) -> None:
        """Move time forward (never back) without running anything."""
        self._now = max(self._now, when)

    async def run_until(self, until: datetime) -> int:
        """Run every job due at or before `until` (also those they add), in order, then stand
        at `until`. Returns how many ran."""
        count = 0
        while self._queue and self._queue[0][0] <= until:
            when, _, job, args = heapq.heappop(self._queue)
            self._now = max(self._now, when)
            result = job(*args)
            if inspect.isawaitable(result):
                await result
            count += 1
        self._now = max(self._now, until)
        return count

    def pending(self) -> int:
        return len(self._queue)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


MICROSECOND = timedelta(microseconds=1)


def instant(epoch: float) -> datetime:
    """An epoch time in float seconds (the pacer's) as a clock time: the first whole
    microsecond (datetime's grain) at or after it, so a job set for it never runs before it.

    Checked on the result, not computed as ceil(epoch * 1e6): near 1.8e9 s that product has a
    grain of 0.25 us, so a time a fraction of a microsecond past a whole one came out as that
    microsecond. A start the pacer put 0.2 us later then woke before its slot, was set for the
    same instant again, and a dry run's virtual clock spun there for ever."""
    at = datetime.fromtimestamp(epoch, timezone.utc)  # the nearest microsecond: maybe below
    while at.timestamp() < epoch:
        at += MICROSECOND
    return at
