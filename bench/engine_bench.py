"""Campaign engine benchmarks: planning a round for 1M households, the dispatch rate
against the configured calls per second (real clock, simulated carrier), and the capacity
estimate (`screening campaign estimate`) of the shipped daily campaign for 1M households.

Usage: python -m bench.engine_bench plan [--households N]
       python -m bench.engine_bench dispatch [--cps R] [--seconds S]
       python -m bench.engine_bench estimate [--households N]
Each prints one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Asia/Shanghai",
         "Asia/Kolkata", "Australia/Sydney", "Africa/Lagos")


def campaign_dict(name: str, *, start: date, cps: float, rounds=("09:00", "16:00"), window=("08:30", "20:00"),
                  busy: str = "10m") -> dict:
    return {"name": name, "schedule": {"start": start.isoformat(), "days": 1, "rounds": list(rounds)},
            "calling_window": {"start": window[0], "end": window[1]},
            "pacing": {"calls_per_second": cps, "max_concurrent_calls": 10000, "sms_per_second": 10},
            "retries": {"busy": busy, "no_answer": "2h", "failed": "next_round", "machine": "next_round",
                        "max_attempts_per_day": 4}}


def fill_households(path: Path, count: int, zones=ZONES) -> None:
    """Households straight into SQLite (the import has its own benchmark)."""
    connection = sqlite3.connect(path)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = ((f"H{n:07d}", f"+1555{n:07d}", 1, "en", zones[n % len(zones)], 0, now, now) for n in range(count))
    connection.executemany(
        "INSERT INTO households (id, phone, members, language, timezone, walk_in, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.commit()
    connection.close()


def plan(households: int) -> dict:
    from sqlmodel import Session

    from campaigns.outreach import lifecycle, planner
    from campaigns.records.db import get_engine
    from campaigns.outreach.campaign_file import parse_campaign

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.db"
        engine = get_engine(f"sqlite:///{path}")
        fill_households(path, households)
        day = date(2026, 12, 1)
        spec = parse_campaign(campaign_dict("bench-plan", start=day, cps=10), path=Path("bench.yml"))
        now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
        with Session(engine) as session:
            lifecycle.start_campaign(session, spec=spec, source="bench", now=now)
            session.commit()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            zones = planner.zones(session, campaign_id=spec.name, spec=spec)
            written = planner.plan_round(session, campaign_id=spec.name, spec=spec, day=day, round_no=1,
                                         now=now, zone_names=zones)
            session.commit()
            seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"households": households, "attempts_written": written, "seconds": round(seconds, 2),
            "attempts_per_s": round(written / seconds), "peak_rss_mb": round(rss_after),
            "rss_growth_mb": round(rss_after - rss_before)}


def dispatch(cps: float, seconds: float) -> dict:
    """Start a round of "busy" households (no conversation) and measure call starts per second."""
    from sqlmodel import Session

    from campaigns.outreach import lifecycle, scheduler
    from campaigns.records.db import get_engine
    from campaigns.outreach.campaign_file import parse_campaign
    from campaigns.carriers.simulated import SimulatedCarrier
    from campaigns.outreach.clock import RealClock
    from campaigns.outreach.dispatcher import Dispatcher
    from campaigns.outreach.pacing import max_in_any_second
    from campaigns.carriers.residents import SimResident

    households = int(cps * seconds * 2) + 50
    zone = _daytime_zone()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dispatch.db"
        engine = get_engine(f"sqlite:///{path}")
        fill_households(path, households, zones=(zone,))
        today = datetime.now(timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo(zone)).date()
        spec = parse_campaign(campaign_dict("bench-dispatch", start=today, cps=cps, rounds=("00:00",),
                                            window=("00:00", "23:59"), busy="next_round"), path=Path("b.yml"))
        with Session(engine) as session:
            lifecycle.start_campaign(session, spec=spec, source="bench", now=datetime.now(timezone.utc))
            session.commit()
        residents = {f"+1555{n:07d}": SimResident(pickup=("busy",)) for n in range(households)}
        clock = RealClock()
        holder: dict = {}

        def carrier(d):
            holder["carrier"] = SimulatedCarrier(d.on_status, clock=clock, bot=None, residents=residents)
            return holder["carrier"]

        async def go() -> None:
            dispatcher = Dispatcher(engine, carrier=carrier, clock=clock)
            jobs = scheduler.build(dispatcher)
            jobs.start()
            await asyncio.sleep(seconds)
            jobs.shutdown(wait=False)

        asyncio.run(go())
    starts = sorted(at for at, _ in holder["carrier"].calls)
    busy = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    achieved = (len(starts) - 1) / busy if busy else 0.0
    return {"configured_cps": cps, "calls": len(starts), "achieved_cps": round(achieved, 2),
            "ratio": round(achieved / cps, 3), "max_in_any_second": max_in_any_second(starts)}


def estimate(households: int) -> dict:
    """The whole estimate, as the command makes it: its rounds, then the pace it needs (a bisection)."""
    from campaigns.outreach import estimate as plan_ahead
    from campaigns.outreach.campaign_file import load_campaign

    spec = load_campaign(Path(__file__).resolve().parent.parent / "campaign-files" / "daily-fever-check.yml")
    started = time.perf_counter()
    result = plan_ahead.estimate(spec, plan_ahead.Assumptions(households=households, pickup=0.7))
    return {"households": households, "seconds": round(time.perf_counter() - started, 2),
            "rounds": len(result.rounds), "attempts": round(result.attempts), "needed_cps": result.needed_rate}


def _daytime_zone() -> str:
    """An Etc/GMT zone where it is between 06:00 and 18:00 now, so a 00:00 round is due."""
    hour = datetime.now(timezone.utc).hour
    offset = (12 - hour + 12) % 24 - 12  # local = UTC + offset, near noon
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "+0")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("plan")
    p.add_argument("--households", type=int, default=1_000_000)
    d = sub.add_parser("dispatch")
    d.add_argument("--cps", type=float, default=20)
    d.add_argument("--seconds", type=float, default=8)
    e = sub.add_parser("estimate")
    e.add_argument("--households", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    if args.what == "estimate":
        result = estimate(args.households)
    else:
        result = plan(args.households) if args.what == "plan" else dispatch(args.cps, args.seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
