"""Clocks: the virtual clock of dry runs runs jobs in time order; the real clock runs them later on the loop."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.outreach.clock import MICROSECOND, RealClock, VirtualClock, instant, seconds

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def run(coro):
    return asyncio.run(coro)


def test_virtual_clock_runs_jobs_in_time_order_not_insertion_order():
    clock, ran = VirtualClock(T0), []
    for s, name in ((30, "c"), (10, "a"), (20, "b"), (10, "a2")):
        clock.call_at(at(s), lambda n=name: ran.append((n, clock.now())))
    count = run(clock.run_until(at(60)))
    assert ran == [("a", at(10)), ("a2", at(10)), ("b", at(20)), ("c", at(30))]
    assert count == 4
    assert clock.now() == at(60)
    assert clock.pending() == 0


def test_virtual_clock_runs_jobs_scheduled_by_jobs_in_order():
    clock, ran = VirtualClock(T0), []

    def chain(n: int) -> None:
        ran.append((n, clock.now()))
        if n < 3:
            clock.call_at(clock.now() + seconds(5), chain, n + 1)

    clock.call_at(at(1), chain, 0)
    clock.call_at(at(8), lambda: ran.append(("other", clock.now())))
    count = run(clock.run_until(at(100)))
    assert ran == [(0, at(1)), (1, at(6)), ("other", at(8)), (2, at(11)), (3, at(16))]
    assert count == 5


def test_virtual_clock_run_until_is_inclusive_and_leaves_later_jobs():
    clock, ran = VirtualClock(T0), []
    clock.call_at(at(10), ran.append, "on the bound")
    clock.call_at(at(10.000001), ran.append, "just after")
    assert run(clock.run_until(at(10))) == 1
    assert ran == ["on the bound"]
    assert clock.now() == at(10)
    assert clock.pending() == 1
    assert clock.next_job_at() == at(10.000001)


def test_virtual_clock_job_in_the_past_runs_now_without_moving_time_back():
    clock, seen = VirtualClock(T0), []
    clock.advance_to(at(50))
    clock.call_at(at(5), lambda: seen.append(clock.now()))
    assert clock.next_job_at() == at(50)
    run(clock.run_until(at(50)))
    assert seen == [at(50)]


@pytest.mark.parametrize("moves, expected", [
    ([at(10)], at(10)),
    ([at(10), at(5)], at(10)),
    ([at(-5)], T0),
    ([at(3), at(3), at(7)], at(7)),
], ids=["forward", "back-is-ignored", "before-start-is-ignored", "repeat-then-forward"])
def test_virtual_clock_advance_to_never_goes_back(moves, expected):
    clock = VirtualClock(T0)
    for when in moves:
        clock.advance_to(when)
    assert clock.now() == expected


def test_virtual_clock_advance_to_runs_nothing():
    clock, ran = VirtualClock(T0), []
    clock.call_at(at(1), ran.append, 1)
    clock.advance_to(at(10))
    assert ran == []
    assert clock.pending() == 1


def test_virtual_clock_run_until_earlier_than_now_keeps_time():
    clock = VirtualClock(T0)
    clock.advance_to(at(20))
    assert run(clock.run_until(at(10))) == 0
    assert clock.now() == at(20)


def test_virtual_clock_awaits_async_jobs_before_the_next_one():
    clock, ran = VirtualClock(T0), []

    async def slow(name: str) -> None:
        ran.append(f"{name} begins at {clock.now():%S}")
        await asyncio.sleep(0.01)
        ran.append(f"{name} ends")
        clock.call_at(clock.now(), ran.append, f"after {name}")  # scheduled by an async job

    clock.call_at(at(1), slow, "first")
    clock.call_at(at(2), ran.append, "sync at 02")
    assert run(clock.run_until(at(3))) == 3
    assert ran == ["first begins at 01", "first ends", "after first", "sync at 02"]


def test_virtual_clock_start_is_utc():
    local = datetime(2026, 12, 1, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    clock = VirtualClock(local)
    assert clock.now() == local
    assert clock.now().utcoffset() == timedelta(0)


def test_real_clock_now_is_aware_utc_wall_time():
    before = datetime.now(timezone.utc)
    now = RealClock().now()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(timezone.utc)


def test_real_clock_call_at_runs_a_coroutine_job_later():
    clock = RealClock()
    ran: list[tuple[str, datetime]] = []

    async def job(name: str) -> None:
        await asyncio.sleep(0)
        ran.append((name, clock.now()))

    async def scenario() -> tuple[datetime, list]:
        when = clock.now() + timedelta(seconds=0.2)
        clock.call_at(when, job, "later")
        await asyncio.sleep(0.05)
        early = list(ran)
        await asyncio.sleep(0.5)
        return when, early

    started = time.monotonic()
    when, early = run(scenario())
    assert early == []
    assert [name for name, _ in ran] == ["later"]
    assert ran[0][1] >= when
    assert time.monotonic() - started >= 0.2


def test_real_clock_call_at_waits_for_a_wall_clock_running_behind_the_loops():
    """A wall clock slower than the loop's monotonic one (here 20% slower, as an NTP slew is but
    far more): the job still runs only once the wall clock reads its time."""
    class SlowWall(RealClock):
        start_wall, start = datetime.now(timezone.utc), time.monotonic()

        def now(self) -> datetime:
            return self.start_wall + timedelta(seconds=0.8 * (time.monotonic() - self.start))

    clock, ran = SlowWall(), []

    async def scenario() -> datetime:
        when = clock.now() + timedelta(seconds=0.2)
        clock.call_at(when, lambda: ran.append(clock.now()))
        await asyncio.sleep(0.4)
        return when

    when = run(scenario())
    assert len(ran) == 1 and ran[0] >= when


def test_real_clock_call_at_in_the_past_runs_sync_job_at_once():
    clock = RealClock()
    ran = []

    async def scenario() -> None:
        clock.call_at(clock.now() - timedelta(seconds=5), ran.append, "sync")
        await asyncio.sleep(0.05)

    run(scenario())
    assert ran == ["sync"]


def test_real_clock_failed_coroutine_job_is_logged_at_once(caplog):
    clock = RealClock()

    async def broken() -> None:
        raise RuntimeError("the database went away")

    async def scenario() -> None:
        clock.call_at(clock.now(), broken)
        await asyncio.sleep(0.05)

    with caplog.at_level("ERROR", logger="campaigns.outreach.clock"):
        run(scenario())
    failures = [r for r in caplog.records if r.name == "campaigns.outreach.clock"]
    assert len(failures) == 1
    assert failures[0].getMessage().endswith(".broken failed")
    assert str(failures[0].exc_info[1]) == "the database went away"


# --- pacer time (float epoch seconds) to clock time (whole microseconds) -------------------------

# A pacer start 1 ulp (0.24 us) past 15:00:08.080006 UTC on 2026-12-05: ceil(epoch * 1e6) gave
# .080006 itself, the start woke early and re-set itself for that instant, and the shipped
# survey's dry run spun there for ever.
SPUN_AT = math.nextafter(1796482808.080006, math.inf)


def test_instant_rounds_a_fraction_of_a_microsecond_up():
    assert instant(SPUN_AT) == datetime(2026, 12, 5, 15, 0, 8, 80007, tzinfo=timezone.utc)
    assert instant(1796482808.080006) == datetime(2026, 12, 5, 15, 0, 8, 80006, tzinfo=timezone.utc)


@given(whole_us=st.integers(min_value=10**15, max_value=4 * 10**15), ulps=st.integers(min_value=-3, max_value=3))
def test_instant_is_the_first_microsecond_not_before_the_epoch_time(whole_us, ulps):
    epoch = whole_us / 1e6  # near a whole microsecond, where rounding goes wrong
    for _ in range(abs(ulps)):
        epoch = math.nextafter(epoch, math.inf if ulps > 0 else -math.inf)
    at = instant(epoch)
    assert at.tzinfo == timezone.utc
    assert at.timestamp() >= epoch  # a job set for it never runs early
    assert (at - MICROSECOND).timestamp() < epoch  # and never a microsecond later than it must
