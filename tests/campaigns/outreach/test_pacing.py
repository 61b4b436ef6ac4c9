"""Pacing: the pure Pacer as tables, then measured end to end (real dispatcher, real scheduler,
simulated carrier, wall-clock time), and concurrent claiming on PostgreSQL."""
from __future__ import annotations

import asyncio
import random
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.outreach import scheduler
from campaigns.records.attempts import claim_due, count_active
from campaigns.outreach.campaign_file import parse_campaign
from campaigns.carriers.base import FINAL_STATUSES, StatusEvent
from campaigns.carriers.simulated import SimulatedCarrier, Timings
from campaigns.outreach.clock import RealClock
from campaigns.outreach.dispatcher import Dispatcher
from campaigns.outreach.lifecycle import start_campaign
from campaigns.records.models import Attempt, AttemptStatus, Campaign, Household
from campaigns.outreach.pacing import MARGIN, Pacer, max_in_any_second
from campaigns.carriers.residents import SimResident

WALL_T0 = 1_780_000_000.25  # a realistic epoch time: float rounding differs from small numbers


# --- the pure pacer -------------------------------------------------------------------------------

def paced_starts(rate: float, count: int, *, t0: float, late: dict[int, float] | None = None) -> list[float]:
    """Start `count` calls as early as the pacer allows; start i is `late[i]` seconds late."""
    pacer, now, starts = Pacer(rate), t0, []
    for i in range(count):
        at = pacer.next_start(now) + (late or {}).get(i, 0.0)
        pacer.record(at)
        starts.append(at)
        now = at
    return starts


@pytest.mark.parametrize("t0", [0.0, WALL_T0], ids=["t0-zero", "t0-epoch"])
@pytest.mark.parametrize("rate", [1, 5, 10, 50], ids=["1cps", "5cps", "10cps", "50cps"])
def test_pacer_back_to_back_keeps_spacing_cap_and_rate(rate, t0):
    starts = paced_starts(rate, 5 * rate + 1, t0=t0)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 1.0 / rate
    assert max_in_any_second(starts) == rate
    # Sustained, the rate is 1% under the one asked for (the pacer's headroom for jitter).
    assert starts[-1] - starts[0] == pytest.approx(5.0 * (1 + MARGIN), abs=1e-3)


@pytest.mark.parametrize("rate, expected_cap", [(0.5, 1), (2.5, 2), (10.9, 10)],
                         ids=["half-cps", "2.5cps", "10.9cps"])
def test_pacer_fractional_rate_caps_at_floor(rate, expected_cap):
    starts = paced_starts(rate, 40, t0=WALL_T0)
    assert min(b - a for a, b in zip(starts, starts[1:])) >= 1.0 / rate
    assert max_in_any_second(starts) == expected_cap


@pytest.mark.parametrize("rate, late", [
    (10, {0: 0.95}),
    (10, {9: 0.5}),
    (10, {3: 0.07, 4: 0.03, 5: 0.09}),
    (5, {1: 0.99, 6: 0.5}),
    (50, {10: 0.3, 40: 0.017}),
    (1, {2: 0.5}),
], ids=["first-late", "tenth-late", "several-slightly-late", "5cps-late-twice", "50cps", "1cps"])
def test_pacer_late_start_then_on_time_never_breaks_cap(rate, late):
    starts = paced_starts(rate, 6 * rate, t0=WALL_T0, late=late)
    assert max_in_any_second(starts) <= rate
    # A start late by less than a step keeps its place on the grid, so lateness does not
    # accumulate: the last start is no later than the grid plus the lateness put in.
    assert starts[-1] - starts[0] <= (len(starts) - 1) * (1 + MARGIN) / rate + sum(late.values()) + 1e-4


@pytest.mark.parametrize("seed", range(5))
def test_pacer_random_lateness_never_breaks_cap(seed):
    rng = random.Random(seed)
    rate = rng.choice([3, 7, 20])
    late = {i: rng.choice([0.0, 0.0, rng.uniform(0, 1.2)]) for i in range(200)}
    starts = paced_starts(rate, 200, t0=WALL_T0, late=late)
    assert max_in_any_second(starts) <= rate


def test_pacer_after_idle_starts_at_once():
    pacer = Pacer(10)
    pacer.record(100.0)
    assert pacer.next_start(100.01) == pytest.approx(100.0 + (1 + MARGIN) / 10)
    assert pacer.next_start(250.0) == 250.0
    assert pacer.may_start(250.0)
    assert not pacer.may_start(100.05)


def test_pacer_full_second_waits_for_the_oldest_start_to_leave():
    pacer = Pacer(2.5)  # about 0.4 s apart, but only 2 in any second
    for at in (10.0, 10.4):
        pacer.record(at)
    # Not ~10.8: 10.0 leaves the one-second window (plus the pacer's headroom) only then.
    assert pacer.next_start(10.5) == pytest.approx(11.0 + MARGIN)
    pacer.record(11.0 + MARGIN)
    assert pacer.next_start(11.0 + MARGIN) == pytest.approx(10.4 + 1.0 + MARGIN)


@pytest.mark.parametrize("rate", [0, -1, -0.5], ids=["zero", "negative", "negative-fraction"])
def test_pacer_rate_not_positive_raises(rate):
    with pytest.raises(ValueError, match="rate must be greater than 0"):
        Pacer(rate)


@pytest.mark.parametrize("starts, expected", [
    ([], 0),
    ([5.0], 1),
    ([0.0, 0.999], 2),
    ([0.0, 1.0], 1),
    ([0.0, 0.5, 1.0, 1.5], 2),
    ([3.0, 0.2, 0.1, 0.3, 2.0], 3),
    ([1.0, 1.0, 1.0], 3),
    ([0.0, 0.9, 1.8, 2.7], 2),
    ([0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 5.3], 4),
], ids=["empty", "one", "just-inside", "exactly-one-second-apart", "sliding", "unsorted",
        "same-instant", "chain", "later-burst"])
def test_max_in_any_second_counts_half_open_windows(starts, expected):
    assert max_in_any_second(starts) == expected


# --- measured: a real dispatcher on the wall clock ------------------------------------------------

def midday_zone(now: datetime) -> str:
    """An Etc zone where it is now between 12:00 and 13:00 local: the round is due and the window open."""
    offset = 12 - now.hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def start_test_campaign(engine, *, name: str, households: int, pacing: dict, now: datetime,
                        channels: tuple[str, ...] = ("voice",)) -> str:
    zone = midday_zone(now)
    day = now.astimezone(ZoneInfo(zone)).date()
    next_round = {outcome: "next_round" for outcome in ("busy", "no_answer", "failed", "machine")}
    spec = parse_campaign({
        "name": name, "schedule": {"start": day.isoformat(), "days": 1, "rounds": ["00:00"]},
        "calling_window": {"start": "00:00", "end": "23:59"}, "pacing": pacing, "retries": next_round,
        "channels": [{"type": channel} for channel in channels],
    }, path=Path(f"{name}.yml"))
    with Session(engine) as session:
        session.add_all(Household(id=f"h{i:04d}", phone=phone(i), timezone=zone) for i in range(households))
        session.commit()
        start_campaign(session, spec=spec, source="test", now=now)
        session.commit()
    return zone


def phone(i: int) -> str:
    return f"+1415556{i:04d}"


class Run:
    """A dispatcher on the real clock with the simulated carrier; records every status event."""

    def __init__(self, engine, *, pickup: str, households: int, timings: Timings) -> None:
        self.clock = RealClock()
        self.events: list[StatusEvent] = []
        residents = {phone(i): SimResident(pickup=(pickup,)) for i in range(households)}

        def carrier(dispatcher: Dispatcher) -> SimulatedCarrier:
            async def on_status(event: StatusEvent) -> None:
                self.events.append(event)
                await dispatcher.on_status(event)

            return SimulatedCarrier(on_status, clock=self.clock, bot=None, residents=residents, timings=timings)

        self.dispatcher = Dispatcher(engine, carrier=carrier, clock=self.clock)

    @property
    def starts(self) -> list[float]:
        return [at for at, _ in self.dispatcher.carrier.calls]

    async def drive(self, seconds: float, *, every: float | None = None, sample=None) -> None:
        """Let APScheduler drive the dispatcher for `seconds` of wall time; call `sample()` every `every` s."""
        jobs = scheduler.build(self.dispatcher, housekeeping_seconds=3)
        jobs.start()
        try:
            end = asyncio.get_running_loop().time() + seconds
            while asyncio.get_running_loop().time() < end:
                await asyncio.sleep(every or 0.25)
                if sample:
                    sample()
        finally:
            jobs.shutdown(wait=False)
            scheduler._DISPATCHERS.pop(self.dispatcher.worker, None)
            self.dispatcher.release()


def statuses(engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(sa.select(Attempt.status, sa.func.count()).group_by(Attempt.status)).all()
    return {status: count for status, count in rows}


def test_dispatcher_paces_calls_at_the_campaign_rate(db):
    households, cps = 300, 20
    start_test_campaign(db, name="pace", households=households, now=datetime.now(timezone.utc),
                        pacing={"calls_per_second": cps, "max_concurrent_calls": 10000})
    run = Run(db, pickup="busy", households=households, timings=Timings(ring=0.2, busy=0.3))
    asyncio.run(run.drive(6.0))

    starts = run.starts
    left = statuses(db)
    assert left.get(AttemptStatus.due.value, 0) > 0, "the round ran out of work: the rate was not measured under load"
    assert len(starts) >= 3 * cps, f"only {len(starts)} calls started in 6 s"
    assert max_in_any_second(starts) <= cps
    achieved = (len(starts) - 1) / (starts[-1] - starts[0])
    assert achieved >= 0.95 * cps, f"{achieved:.2f} calls/s over {starts[-1] - starts[0]:.2f} s"
    # Every started call ended busy, with no retry (busy: next_round).
    assert left.get(AttemptStatus.busy.value, 0) >= len(starts) - cps
    assert sum(left.values()) == households


def test_dispatcher_paces_texts_at_sms_per_second_not_calls_per_second(db):
    households, cps, sps = 200, 20, 5
    start_test_campaign(db, name="texts", households=households, now=datetime.now(timezone.utc),
                        channels=("sms",), pacing={"calls_per_second": cps, "sms_per_second": sps,
                                                   "max_concurrent_calls": 10000})
    run = Run(db, pickup="busy", households=households, timings=Timings(ring=0.2, busy=0.3))
    asyncio.run(run.drive(5.0))

    starts = run.starts
    assert {contact.channel for _, contact in run.dispatcher.carrier.calls} == {"sms"}
    assert max_in_any_second(starts) <= sps
    achieved = (len(starts) - 1) / (starts[-1] - starts[0])
    assert 0.95 * sps <= achieved <= sps, f"{achieved:.2f} texts/s"


def test_dispatcher_never_exceeds_max_concurrent_calls(db):
    households, cap = 40, 5
    start_test_campaign(db, name="concurrency", households=households, now=datetime.now(timezone.utc),
                        pacing={"calls_per_second": 50, "max_concurrent_calls": cap})
    run = Run(db, pickup="no_answer", households=households, timings=Timings(ring=0.3, no_answer=0.7))
    sampled: list[int] = []

    def sample() -> None:
        with Session(db) as session:
            sampled.append(count_active(session, campaign_id="concurrency"))

    asyncio.run(run.drive(6.0, every=0.05, sample=sample))

    # From the carrier's side: a call runs from its start until its final status.
    ends = {e.attempt_id: e.at.timestamp() for e in run.events if e.status in FINAL_STATUSES}
    moments = [(at, 1) for at, _ in run.dispatcher.carrier.calls]
    moments += [(at, -1) for at in ends.values()]
    running, peak = 0, 0
    for _, step in sorted(moments, key=lambda m: (m[0], m[1])):  # an end before a start at the same instant
        running += step
        peak = max(peak, running)
    assert len(run.starts) >= 2 * cap, f"only {len(run.starts)} calls started"
    assert peak == cap
    assert max(sampled) <= cap
    assert len(sampled) >= 60
    assert statuses(db).get(AttemptStatus.no_answer.value, 0) >= len(run.starts) - cap


# --- claiming on PostgreSQL -----------------------------------------------------------------------

def test_claim_due_two_claimers_on_postgres_split_the_work(pg_db):
    total, now = 400, datetime.now(timezone.utc)
    with Session(pg_db) as session:
        session.add(Campaign(id="c", spec_json="{}"))
        session.add_all(Household(id=f"h{i}", phone=phone(i)) for i in range(total))
        session.flush()
        session.add_all(Attempt(campaign_id="c", household_id=f"h{i}", day=date(2026, 12, 1), round_no=1,
                                due_at=now - timedelta(seconds=i % 7)) for i in range(total))
        session.commit()
    # Two pooled connections open before the race, so neither claimer starts late.
    with pg_db.connect() as one, pg_db.connect() as two:
        one.execute(sa.text("SELECT 1")), two.execute(sa.text("SELECT 1"))
    barrier = threading.Barrier(2)
    taken: dict[str, list[int]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []

    def claimer(worker: str) -> None:
        try:
            barrier.wait()
            while True:
                with Session(pg_db) as session:
                    got = [a.id for a, _ in claim_due(session, campaign_id="c", now=now, limit=3, worker=worker)]
                    session.commit()
                    if not got and not session.exec(
                            select(Attempt.id).where(Attempt.status == AttemptStatus.due.value)).first():
                        return
                taken[worker].extend(got)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(w,)) for w in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    first, second = set(taken["w1"]), set(taken["w2"])
    assert len(first) == len(taken["w1"]) and len(second) == len(taken["w2"])
    assert first.isdisjoint(second)
    assert len(first | second) == total
    assert first and second, "one claimer took everything: the claims did not overlap in time"
    with Session(pg_db) as session:
        rows = session.exec(select(Attempt)).all()
    assert {a.status for a in rows} == {AttemptStatus.claimed.value}
    assert {a.id for a in rows if a.worker == "w1"} == first
    assert {a.id for a in rows if a.worker == "w2"} == second


@pytest.mark.parametrize("engine_fixture", ["db", "pg_db"])
def test_claim_due_takes_no_more_than_the_limit(request, engine_fixture):
    """On PostgreSQL a locking `IN (SELECT ... LIMIT n)` may run once per updated row and so take
    every due row; the claim must stop at its limit, or pacing and max_concurrent_calls break."""
    engine, now = request.getfixturevalue(engine_fixture), datetime.now(timezone.utc)
    with Session(engine) as session:
        session.add(Campaign(id="c", spec_json="{}"))
        session.add_all(Household(id=f"h{i}", phone=phone(i)) for i in range(10))
        session.flush()
        session.add_all(Attempt(campaign_id="c", household_id=f"h{i}", day=date(2026, 12, 1), round_no=1,
                                due_at=now - timedelta(seconds=10 - i)) for i in range(10))
        session.commit()
        got = [a.household_id for a, _ in claim_due(session, campaign_id="c", now=now, limit=3, worker="w")]
        session.commit()
        claimed = session.exec(select(Attempt.id).where(Attempt.status == AttemptStatus.claimed.value)).all()
    assert got == ["h0", "h1", "h2"]  # the oldest due first
    assert len(claimed) == 3
