"""Voice webhooks with one Sanic worker against two (Redis lock store), at the same offered load.

Two live servers (`tests.live`: `python -m bot.serve`, the Rasa server with the voice channel,
running the custom actions in its own process, bot.serve's default: each Sanic worker has its own
copy of the actions and no action server is started), both with SCREENING_REDIS_URL set, one with
SANIC_WORKERS=1 and one with SANIC_WORKERS=2, each on its own PostgreSQL database (one throwaway
server) and Redis database (one throwaway redis-server). Both are started first and stay up; each
gets one warm-up call.

Then, level by level (10, 25, 50, 100, 150 concurrent calls by default), the same calls go to
one server and then to the other, so both see the same offered load at nearly the same moment
of a shared, noisy machine. The calls are voice_bench's: every call of a level is placed at
once through the Twilio carrier into the local Twilio emulator; each resident picks up after
1-4 s, thinks 1-3 s before each answer, and follows one of four whole screenings.

Per level and server: answer+gather (TwiML) p50/p99 as timed by the emulator, webhook errors,
the server's CPU (user+system of every process bot.serve started and theirs) per completed call,
and throughput, the TwiML webhooks answered per second of the level's wall time. Figures: the
throughput ratio (2 workers / 1 worker) at the highest level that both served without an error
(a failed call ends early and would flatter the throughput), and for each server the highest
level whose TwiML p99 stays under 300 ms with no errors.
Usage: python -m bench.workers_bench [--levels 10,25,50,100,150] [--seed 7]   (JSON on its last line)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlmodel import Session, select

from bench.voice_bench import TARGET_P99_MS, _emulator_class, cpu_seconds, figures, peak_concurrency, residents

WORKERS = (1, 2)
TARGET_RATIO = 1.5  # two workers on two cores: at least half again the webhooks of one
TARGET_CALLS = 100  # the voice benchmark's load, within p99 300 ms


def prepare(engine, calls: int, tag: str, block: int) -> list:
    """`calls` households in a started campaign of their own, each attempt planned and ready to
    dial; their numbers are +1415<block><n>, so no two blocks share one."""
    from campaigns.carriers.base import Contact
    from campaigns.outreach import lifecycle, planner
    from campaigns.records import attempts as data
    from campaigns.records.models import Attempt, Household
    from tests.campaigns.twilio_helpers import live_spec

    spec = live_spec(households={"community": tag})
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        for n in range(calls):
            session.add(Household(id=f"{tag}-{n:04d}", phone=f"+1415{block:03d}{n:04d}",
                                  timezone="UTC", members=3, community=tag, contact_name=f"Resident {n}"))
        session.commit()
        lifecycle.start_campaign(session, spec=spec, source="bench", now=now)
        session.commit()
        planner.plan_due_rounds(session, campaign_id=spec.name, spec=spec, now=now)
        contacts = []
        for attempt in session.exec(select(Attempt).where(Attempt.campaign_id == spec.name).order_by(Attempt.id)):
            attempt.channel, attempt.conversation_id = "voice", f"{attempt.household_id}:a{attempt.id}"
            data.set_status(session, attempt=attempt, status="dialing", at=now)
            household = session.get(Household, attempt.household_id)
            contacts.append(Contact(attempt_id=attempt.id, household_id=household.id, to=household.phone,
                                    channel="voice", conversation_id=attempt.conversation_id,
                                    caller_id=spec.caller_id))
        session.commit()
    return contacts


async def dial(server, contacts: list, seed: int) -> dict:
    """Every call at once; wait until all have ended. The TwiML timings, errors and wall time."""
    from campaigns.carriers.twilio import TwilioCarrier
    from campaigns.outreach.clock import RealClock
    from tests.campaigns.twilio_helpers import settings_for
    from tests.live import ACCOUNT_SID, AUTH_TOKEN

    async def ignore(_event) -> None:
        return None

    async with _emulator_class()(ACCOUNT_SID, AUTH_TOKEN, seed=seed) as emulator:
        emulator.residents.update(residents(contacts, seed))
        carrier = TwilioCarrier(ignore, clock=RealClock(), settings=settings_for(server, emulator))
        try:
            before, started = cpu_seconds(server.proc.pid), time.perf_counter()
            await asyncio.gather(*(carrier.place_call(c) for c in contacts))
            await emulator.wait_calls(timeout=300)
            wall = time.perf_counter() - started
            await asyncio.sleep(0.5)  # the last status callbacks' writes are off the event loop
            after = cpu_seconds(server.proc.pid)
        finally:
            await carrier.close()
    twiml = [(ms, code) for kind, ms, code in emulator.timings if kind in ("answer", "gather")]
    errors = sum(code is None or not 200 <= code < 300 for _, _, code in emulator.timings)
    calls = list(emulator.calls.values())
    completed = sum(c.status == "completed" and c.ended_by == "app" for c in calls)
    cpu = sum(after.values()) - sum(before.values())
    return {"calls": len(calls), "peak": peak_concurrency(calls), "wall_s": wall, "errors": errors,
            "completed": completed, "twiml": len(twiml), "per_s": len(twiml) / wall,
            "cpu_ms_per_call": 1000 * cpu / max(1, completed), **figures([ms for ms, _ in twiml])}


def start_servers(base: Path):
    """PostgreSQL, Redis, and one live server per worker count, started side by side."""
    from concurrent.futures import ThreadPoolExecutor

    from campaigns.records.db import get_engine
    from tests import live, pg, redis_server

    postgres, redis = pg.start_server(), redis_server.start_server()
    urls = {}
    for n in WORKERS:
        postgres.create_database(f"workers_{n}")
        urls[n] = postgres.url(f"workers_{n}")
        get_engine(urls[n]).dispose()  # the schema, before the server's processes open it

    def start(n: int):
        env = {"SCREENING_REDIS_URL": redis.url(n), "SANIC_WORKERS": str(n)}
        return live.start(base, database_url=urls[n], extra_env=env, log_name=f"workers-{n}.log",
                          startup_seconds=300)

    with ThreadPoolExecutor(len(WORKERS)) as pool:
        servers = dict(zip(WORKERS, pool.map(start, WORKERS)))
    return postgres, redis, servers


def measure(levels: list[int], seed: int) -> dict:
    from campaigns.records.db import get_engine
    from tests import live

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        postgres, redis, servers = start_servers(Path(tmp))
        result: dict = {"startup_s": time.perf_counter() - t0, "levels": levels,
                        "runs": {str(n): {} for n in WORKERS}}
        try:
            engines = {n: get_engine(server.database_url) for n, server in servers.items()}
            for n, server in servers.items():  # warm-up: the first turns load lazy parts of the model
                asyncio.run(dial(server, prepare(engines[n], 2, f"warm{n}", block=0), seed))
            for block, level in enumerate(levels, start=1):
                for n, server in servers.items():
                    contacts = prepare(engines[n], level, f"w{n}l{level}", block=block)
                    result["runs"][str(n)][str(level)] = asyncio.run(dial(server, contacts, seed))
                    print(f"  {n} worker(s), {level} calls: {result['runs'][str(n)][str(level)]}",
                          file=sys.stderr, flush=True)
        finally:
            for server in servers.values():
                live.stop(server)
            redis.stop()
            postgres.stop()
    return result


def highest_within_target(runs: dict[str, dict]) -> int:
    """The highest level whose TwiML p99 is under the target with no errors and every call completed; 0 if none."""
    good = [int(level) for level, run in runs.items() if run["p99"] < TARGET_P99_MS and clean(run)]
    return max(good, default=0)


def clean(run: dict) -> bool:
    return not run["errors"] and run["completed"] == run["calls"]


def compared_level(result: dict) -> str:
    """The highest level both servers served without an error; the lowest level if there is none."""
    runs, levels = result["runs"], [str(level) for level in result["levels"]]
    both = [level for level in levels if all(clean(runs[str(n)][level]) for n in WORKERS)]
    return both[-1] if both else levels[0]


def report(result: dict) -> None:
    """A line per level and worker count, then the figures as `name: value (target T)`."""
    runs, top = result["runs"], compared_level(result)
    print(f"  servers started in {result['startup_s']:.0f} s")
    print(f"  {'calls':>6}{'workers':>8}{'peak live':>10}{'p50 ms':>9}{'p99 ms':>9}{'TwiML/s':>9}{'errors':>8}"
          f"{'CPU/call':>10}{'2w/1w':>7}")
    for level in map(str, result["levels"]):
        for n in map(str, WORKERS):
            run = runs[n][level]
            ratio = f"{run['per_s'] / runs['1'][level]['per_s']:>7.2f}" if n == "2" else ""
            print(f"  {level:>6}{n:>8}{run['peak']:>10}{run['p50']:>9.0f}{run['p99']:>9.0f}"
                  f"{run['per_s']:>9.1f}{run['errors']:>8}{run.get('cpu_ms_per_call', 0):>7.0f} ms{ratio}")
    one, two = runs["1"][top], runs["2"][top]
    ratio = two["per_s"] / one["per_s"]
    print(f"  throughput at {top} calls, 1 worker: {one['per_s']:.1f} TwiML webhooks/s (target none, the baseline)")
    print(f"  throughput at {top} calls, 2 workers: {two['per_s']:.1f} TwiML webhooks/s (target none)")
    print(f"  throughput ratio 2 workers / 1 worker at {top} calls: {ratio:.2f}x "
          f"(target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    for n in map(str, WORKERS):
        best = highest_within_target(runs[n])
        print(f"  highest concurrent calls with TwiML p99 < {TARGET_P99_MS:.0f} ms, {n} worker(s): {best} "
              f"(target >= {TARGET_CALLS}: {'met' if best >= TARGET_CALLS else 'MISSED'})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,25,50,100,150", help="concurrent calls per level, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    levels = sorted({int(level) for level in args.levels.split(",")})
    print(json.dumps(measure(levels, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
