"""A realistic load: households offered at rising rates through the real dispatcher, until the knee.

One live server (`tests.live`: the Rasa server with the voice channel, running the custom actions
in its own process, and the console) on a throwaway PostgreSQL cluster (tests/pg.py, fsync off),
with one Sanic worker, or with two (`--workers 2`: SCREENING_REDIS_URL set to a throwaway
redis-server, the lock store; each worker its own copy of the actions). `--workers 1,2` measures
one, then the other, each with a server and a database of its own, and reports them side by side.
The dispatcher runs in this process on the real clock, ticking once a second as `screening run`
does, and places each call through the Twilio carrier into the Twilio emulator, which runs in a
child process of its own with the residents, so the dispatcher's CPU is this process's and not the emulator's.

Each level is one campaign whose `calls_per_second` is the offered rate, over rate x --seconds
households (3 members each). A resident picks up after 1-4 s; before each answer the emulator
waits for the question to be said (its <Say> text at 2.5 words/s, or 4 characters/s for Chinese)
plus 1-3 s of thinking, and says the goodbye before the line drops; statuses reach the server
as Twilio sends them. Each resident follows one of voice_bench's four whole screenings.

A level is clean when answer/gather (TwiML) p99 is under 300 ms, no webhook failed and every
call ended with the bot's hang-up. The knee is the highest clean rate; the run stops after the
first level that is not clean. Server CPU per screened household: CPU time (user+system, with
exited children's) of the server's processes (the Rasa server, its workers, the console), the
Redis server's if any, the PostgreSQL server's processes and this process (the dispatcher), over
the households screened at that level.
Usage: python -m bench.load_bench [--rates 1,2,4,6,8,10] [--seconds 60] [--seed 7] [--workers 1,2]
(JSON last line)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

from sqlmodel import Session, func, select

from bench.voice_bench import SCRIPTS, TARGET_P99_MS, _emulator_class, figures, kind_of, peak_concurrency, screened

TARGET_KNEE = 8.0  # households/s with the emulator and residents beside the servers
TARGET_CPU_MS = 150.0  # two cores carry 1M households a day (12/s)
WORDS_PER_S, CHARACTERS_PER_S = 2.5, 4.0
_OPEN = ("due", "claimed", "dialing", "in_progress")
STALL_S = 120.0  # past the offered period, open calls unchanged this long are taken as lost


def spoken_seconds(text: str) -> float:
    """How long a <Say> takes: Chinese characters at 4/s, other words at 2.5/s."""
    chinese = len(re.findall(r"[\u3400-\u9fff]", text))
    words = len(re.findall(r"[^\s\u3400-\u9fff]+", text))
    return chinese / CHARACTERS_PER_S + words / WORDS_PER_S


# --- the emulator and residents, in their own process -----------------------------------------

def _paced_class():
    class PacedEmulator(_emulator_class()):
        """voice_bench's timed emulator, waiting for each question to be said before the answer."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._said: dict[str, int] = {}  # by call: how many of its <Say>s have been spoken

        def resident(self, phone: str):
            from tests.twilio_emulator import Resident

            if phone not in self.residents:  # each number its own script and ring, seeded
                rng = random.Random(f"{self.seed}:{phone}")
                self.residents[phone] = Resident(answers=list(rng.choice(SCRIPTS)), ring_seconds=rng.uniform(1, 4))
            return self.residents[phone]

        def _unspoken(self, call) -> float:
            said, self._said[call.sid] = self._said.get(call.sid, 0), len(call.says)
            return sum(spoken_seconds(say.text) for say in call.says[said:])

        async def _fetch(self, call, url, *args, **options):
            if kind_of(url) == "gather":
                await asyncio.sleep(self._unspoken(call))
            return await super()._fetch(call, url, *args, **options)

        async def _converse(self, call, resident) -> None:
            await super()._converse(call, resident)
            await asyncio.sleep(self._unspoken(call))  # the goodbye is said before the line drops

    return PacedEmulator


def level_figures(emulator) -> dict:
    """The ended calls' figures since the last report; they are then forgotten."""
    calls = [call for call in emulator.calls.values() if call.done.is_set()]
    timings, emulator.timings = emulator.timings, []
    for call in calls:
        emulator.calls.pop(call.sid)
    twiml = [ms for kind, ms, _ in timings if kind in ("answer", "gather")]
    lengths = [c.ended_at - c.answered_at for c in calls if c.answered_at and c.ended_at]
    return {"calls": len(calls), "peak": peak_concurrency(calls), "twiml": figures(twiml) if twiml else {},
            "requests": len(timings), "status_ms": figures([ms for kind, ms, _ in timings if kind == "status"] or [0]),
            "errors": sum(code is None or not 200 <= code < 300 for _, _, code in timings),
            "completed": sum(c.status == "completed" and c.ended_by == "app" for c in calls),
            "call_s": sum(lengths) / len(lengths) if lengths else 0.0, "cpu_s": sum(os.times()[:2])}


async def serve_emulator(seed: int) -> None:
    """Print the API address, then a line of figures for each `report` read on stdin, until EOF."""
    from tests.live import ACCOUNT_SID, AUTH_TOKEN

    loop = asyncio.get_running_loop()
    async with _paced_class()(ACCOUNT_SID, AUTH_TOKEN, seed=seed) as emulator:
        print(json.dumps({"api_url": emulator.api_url}), flush=True)
        while (await loop.run_in_executor(None, sys.stdin.readline)).strip() == "report":
            print(json.dumps(level_figures(emulator)), flush=True)


# --- CPU from /proc ------------------------------------------------------------------------------

def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_cpu(root: int) -> float:
    """CPU seconds of `root` and every process under it (a Rasa server's Sanic workers are its
    children), living or exited (reaped ones count in their parent's cutime)."""
    tick, parent, ticks = os.sysconf("SC_CLK_TCK"), {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except (OSError, IndexError):
            continue
        parent[int(entry.name)], ticks[int(entry.name)] = int(fields[1]), sum(int(f) for f in fields[11:15])
    under, todo = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in under:
                under.add(child)
                todo.append(child)
    return sum(ticks.get(pid, 0) for pid in under) / tick


def cpu_now(server, postgres, redis=None) -> dict[str, float]:
    postmaster = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
    found = {"server": tree_cpu(server.proc.pid), "postgres": tree_cpu(postmaster),
             "dispatcher": sum(os.times()[:2])}
    if redis is not None:
        found["redis"] = tree_cpu(redis.proc.pid)
    return found


# --- the levels, in this process -----------------------------------------------------------------

def start_level(engine, rate: float, households: int, tag: str, block: int) -> str:
    """Households in a community of their own (numbers +1415<block><n>) and a started campaign
    at `rate` calls/s."""
    from campaigns.outreach import lifecycle
    from campaigns.records.models import Household
    from tests.campaigns.twilio_helpers import live_spec

    spec = live_spec(households={"community": tag},
                     pacing={"calls_per_second": rate, "max_concurrent_calls": 10000})
    with Session(engine) as session:
        session.add_all([Household(id=f"{tag}-{n:05d}", phone=f"+1415{block:03d}{n:04d}",
                                   timezone="UTC", members=3, community=tag, contact_name=f"Resident {n}")
                         for n in range(households)])
        session.commit()
        lifecycle.start_campaign(session, spec=spec, source="bench", now=datetime.now(timezone.utc))
        session.commit()
    return spec.name


def open_attempts(engine, campaign_id: str) -> int:
    from campaigns.records.models import Attempt

    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Attempt).where(
            Attempt.campaign_id == campaign_id, Attempt.status.in_(_OPEN))).one()


class Levels:
    """The dispatcher, ticking once a second, and the emulator process it calls into."""

    def __init__(self, server, postgres, engine, emulator: subprocess.Popen, api_url: str, redis=None):
        from campaigns.carriers.twilio import TwilioCarrier
        from campaigns.outreach.clock import RealClock
        from campaigns.outreach.dispatcher import Dispatcher
        from tests.campaigns.twilio_helpers import settings_for

        self.server, self.postgres, self.engine, self.emulator = server, postgres, engine, emulator
        self.redis = redis
        clock, settings = RealClock(), settings_for(server, SimpleNamespace(api_url=api_url))
        self.dispatcher = Dispatcher(engine, clock=clock,
                                     carrier=lambda d: TwilioCarrier(d.on_status, clock=clock, settings=settings))

    async def ticking(self) -> None:
        while True:
            await self.dispatcher.tick()
            await asyncio.sleep(self.dispatcher.tick_seconds)

    def report(self) -> dict:
        self.emulator.stdin.write("report\n")
        self.emulator.stdin.flush()
        return json.loads(self.emulator.stdout.readline())

    async def level(self, rate: float, households: int, block: int) -> dict:
        campaign_id = start_level(self.engine, rate, households, f"load{block}", block)
        before, emulator_before = cpu_now(self.server, self.postgres, self.redis), self.report()["cpu_s"]
        t0 = time.monotonic()
        await self.dispatcher.housekeeping()  # plans the new campaign's round now, not within the minute
        offered_until, stalled = t0 + households / rate, None
        while (left := open_attempts(self.engine, campaign_id)) and time.monotonic() < offered_until + 600:
            # Past the offered period, calls still open that have not moved for STALL_S are lost
            # (dropped or never answered): the level has failed; stop waiting for them.
            if time.monotonic() > offered_until and stalled and stalled[0] == left:
                if time.monotonic() - stalled[1] > STALL_S:
                    break
            else:
                stalled = (left, time.monotonic())
            await asyncio.sleep(1.0)
        await asyncio.sleep(1.0)  # the last completed callbacks are answered
        after, wall = cpu_now(self.server, self.postgres, self.redis), time.monotonic() - t0
        result = await asyncio.to_thread(self.report)
        result.update(rate=rate, households=households, wall_s=wall, screenings=screened(self.engine, campaign_id),
                      cpu_s={role: after[role] - before[role] for role in after},
                      emulator_cpu_s=result["cpu_s"] - emulator_before)
        return result

    async def run(self, rates: list[float], seconds: float) -> list[dict]:
        ticker = asyncio.create_task(self.ticking())
        try:
            await self.level(1, 2, 0)  # warm-up: the first turns load lazy parts of the model
            results = []
            for n, rate in enumerate(rates, start=1):
                results.append(await self.level(rate, max(1, round(rate * seconds)), n))
                print(f"  {summary_line(results[-1])}", file=sys.stderr, flush=True)
                if not clean(results[-1]):
                    break  # past the knee
            return results
        finally:
            ticker.cancel()
            await self.dispatcher.carrier.close()


def measure(rates: list[float], seconds: float, seed: int, workers: list[int] | None = None) -> dict:
    """The levels against a server with each number of Sanic workers in `workers`, in turn."""
    runs = {str(n): measure_workers(rates, seconds, seed, n) for n in workers or [1]}
    return {"seconds": seconds, "workers": workers or [1], "runs": runs, "load": os.getloadavg()}


def measure_workers(rates: list[float], seconds: float, seed: int, workers: int) -> dict:
    """A server with `workers` Sanic workers (Redis as the lock store past one), its own
    PostgreSQL cluster, the emulator process, the levels; all stopped after."""
    from campaigns.records.db import get_engine
    from tests import live, pg, redis_server

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        postgres = pg.start_server()
        emulator = server = redis = None
        try:
            postgres.create_database("load")
            get_engine(postgres.url("load")).dispose()  # the schema, before the server's processes open it
            env = {"SANIC_WORKERS": str(workers)}
            if workers > 1:
                redis = redis_server.start_server()
                env["SCREENING_REDIS_URL"] = redis.url(1)
            server = live.start(Path(tmp), database_url=postgres.url("load"), startup_seconds=300, extra_env=env)
            emulator = subprocess.Popen([sys.executable, "-m", "bench.load_bench", "--emulator", "--seed", str(seed)],
                                        cwd=live.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            api_url = json.loads(emulator.stdout.readline())["api_url"]
            startup = time.perf_counter() - t0
            print(f"  {workers} Sanic worker(s), started in {startup:.0f} s:", file=sys.stderr, flush=True)
            levels = Levels(server, postgres, get_engine(server.database_url), emulator, api_url, redis)
            results = asyncio.run(levels.run(rates, seconds))
        finally:
            if emulator is not None:
                emulator.stdin.close()
                emulator.wait(timeout=30)
            if server is not None:
                live.stop(server)
            if redis is not None:
                redis.stop()
            postgres.stop()
    return {"startup_s": startup, "levels": results}


# --- figures -------------------------------------------------------------------------------------

def failures(level: dict) -> int:
    return level["errors"] + (level["households"] - level["completed"])


def clean(level: dict) -> bool:
    return bool(level["twiml"]) and level["twiml"]["p99"] < TARGET_P99_MS and not failures(level)


def cpu_ms_per_household(level: dict) -> float:
    return sum(level["cpu_s"].values()) * 1000 / max(1, level["screenings"]["households"])


def summary_line(level: dict) -> str:
    twiml, cpu = level["twiml"] or {"p50": float("nan"), "p99": float("nan")}, level["cpu_s"]
    return (f"{level['rate']:g} households/s: p50 {twiml['p50']:.0f} ms, p99 {twiml['p99']:.0f} ms, "
            f"failures {failures(level)} of {level['households']}, live at once {level['peak']}, "
            f"call {level['call_s']:.0f} s, CPU per household {cpu_ms_per_household(level):.0f} ms ("
            + ", ".join(f"{role} {1000 * s / max(1, level['screenings']['households']):.0f}"
                        for role, s in cpu.items()) + ")")


def report(result: dict) -> None:
    """Per number of workers: a line per rate, then the knee, the CPU per household and the
    calls live at the knee; then the knees side by side."""
    knees = {}
    for workers, run in result["runs"].items():
        levels = run["levels"]
        print(f"  {workers} Sanic worker(s): server started in {run['startup_s']:.0f} s; "
              f"{result['seconds']:g} s of offered load per rate")
        for level in levels:
            print(f"  {summary_line(level)}")
        good = [level for level in levels if clean(level)]
        knee = good[-1] if good else None
        at = knee or levels[0]
        rate = knee["rate"] if knee else 0
        above = "≥ " if knee is levels[-1] else ""  # no rate offered failed: the knee is higher still
        knees[workers] = f"{above}{rate:g}"
        print(f"  knee, {workers} worker(s): {above}{rate:g} households/s (target ≥ {TARGET_KNEE:g})")
        print(f"  CPU per household, {workers} worker(s): {cpu_ms_per_household(at):.0f} ms at {at['rate']:g} "
              f"households/s (target ≤ {TARGET_CPU_MS:.0f})")
        print(f"  calls live at the knee, {workers} worker(s): {knee['peak'] if knee else 0}", flush=True)
    if len(knees) > 1:
        print("  knees side by side: " + ", ".join(f"{n} worker(s) {k}/s" for n, k in knees.items())
              + f" (load average at the end {', '.join(f'{x:.2f}' for x in result.get('load', ()))})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1,2,4,6,8,10", help="offered households/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of offered load per rate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", default="1", help="Sanic workers of the server, comma-separated to "
                        "measure each in turn (e.g. 1,2); past one, Redis is the lock store")
    parser.add_argument("--emulator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.emulator:
        asyncio.run(serve_emulator(args.seed))
        return 0
    rates = sorted({float(rate) for rate in args.rates.split(",")})
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if not workers or min(workers) < 1:
        parser.error("--workers: numbers of workers, at least 1, comma-separated")
    print(json.dumps(measure(rates, args.seconds, args.seed, workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
