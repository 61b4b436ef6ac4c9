"""The voice webhook under load: 100 concurrent simulated calls against the live server, with the
custom actions in the Rasa server's process on one Sanic worker and on two, side by side.

One live server per mode (`tests.live`: the real Rasa server with the `voice` channel, each on a
SQLite file of its own in a temp dir, or with `--database postgres` on a database of its own in
one throwaway PostgreSQL cluster, tests/pg.py), started together and all up throughout:
- `inprocess`: the actions in the Rasa server's process (bot.serve's default), one Sanic worker;
- `inprocess2`: the same with SCREENING_REDIS_URL set (a throwaway redis-server: the lock store)
  and two Sanic workers, each with its own copy of the actions (bot.serve's choice on 2 cores);
- `redis1`: as `inprocess2` with one worker, to tell the lock store's cost from the second worker's;
- `server`: one worker calling an action server over HTTP (`--actions server`);
- `backlog100`: as `inprocess`, with Rasa's own listen backlog (SANIC_BACKLOG=100) instead of
  bot.serve's, to see what the backlog costs.
The calls go to one, then to the next (`--order`), so every mode sees the same machine within
minutes. For each: 100 households (3 members each) in a campaign whose
round is planned into 100 due attempts; each attempt is placed at once, straight through
the Twilio carrier (`TwilioCarrier.place_call`) into the local Twilio emulator, so all 100
calls are live together without the dispatcher's pacing or its database work in this
process. The emulator then drives the answer, gather and status webhooks as Twilio does.

Residents are not a closed loop: each picks up after ringing 1-4 s and thinks 1-3 s
(uniform, seeded per call) before each Gather answer is posted, as a caller takes time to
speak or type, so the calls overlap as they would live. The think time is spent before the
Gather action is requested and is never part of a response time. Each resident follows one
of four whole screenings (4 to 10 speech and keypad answers, 6.5 on average; 3 members per
household, so some report for others too).

Response time: from sending a webhook request to the end of its response body, timed in
this process (the emulator's `_request`); answer+gather (the TwiML webhooks, what a caller
waits on) apart from status callbacks. One warm-up call goes first and is not counted, nor is
its CPU. CPU: user+system time of every process bot.serve started and theirs (the Rasa server
and its workers, the action server if any, the console) and of the Redis server if any, during
the timed calls, and of the PostgreSQL cluster with `--database postgres`, divided by the
households screened in them. Listen overflows: the kernel's
count of connections dropped because a listening socket's queue was full (every socket on the
machine, so another program's can show too), during the timed calls.
Usage: python -m bench.voice_bench [--calls 100] [--seed 7] [--order inprocess,inprocess2] [--database sqlite]
(prints JSON on its last line)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session, select

TARGET_P99_MS = 300.0
TARGET_CPU_MS = 150.0  # server CPU per household at 1M households a day on 2 cores (DESIGN.md, Scale)
MODES = {"inprocess": "actions in the Rasa server, 1 worker",
         "inprocess2": "actions in the Rasa server, 2 workers (Redis lock store)",
         "redis1": "actions in the Rasa server, 1 worker, Redis lock store",
         "server": "action server over HTTP, 1 worker",
         "backlog100": "actions in the Rasa server, 1 worker, listen backlog 100 (Rasa's default)"}
DEFAULT_ORDER = ["inprocess", "inprocess2"]
SCRIPTS = [  # whole screenings, as a resident answers them by voice or keypad
    ["speech:yes", "dtmf:366#", "speech:no symptoms", "dtmf:2"],
    ["dtmf:1", "speech:thirty eight point two", "speech:a little cough and a sore throat", "speech:yes",
     "dtmf:1", "dtmf:379#", "speech:runny nose"],
    ["speech:yes", "speech:we don't have a thermometer", "dtmf:1", "speech:headache and body aches", "speech:no"],
    ["speech:yes please", "dtmf:375#", "speech:a dry cough", "speech:yes", "speech:two", "dtmf:381#",
     "speech:chills", "speech:not measured", "dtmf:1", "speech:none"],
]


def kind_of(url: str) -> str:
    """answer | gather | status: the voice webhook a URL names."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def _emulator_class():
    from tests.twilio_emulator import TwilioEmulator

    class TimedEmulator(TwilioEmulator):
        """The emulator, timing every webhook and letting residents think before answering."""

        def __init__(self, *args, seed: int = 7, think: tuple[float, float] = (1.0, 3.0), **kwargs):
            super().__init__(*args, **kwargs)
            self.seed, self.think = seed, think
            self.timings: list[tuple[str, float, int | None]] = []  # (kind, ms, HTTP status)
            self._rngs: dict[str, random.Random] = {}

        async def _request(self, url, params, **options):
            started = time.perf_counter()
            exchange = await super()._request(url, params, **options)
            self.timings.append((kind_of(url), (time.perf_counter() - started) * 1000, exchange.status))
            return exchange

        async def _fetch(self, call, url, *args, **options):
            if kind_of(url) == "gather":
                rng = self._rngs.setdefault(call.sid, random.Random(f"{self.seed}:{call.to}"))
                await asyncio.sleep(rng.uniform(*self.think))
            return await super()._fetch(call, url, *args, **options)

    return TimedEmulator


def prepare_contacts(engine, calls: int) -> tuple[str, list]:
    """Households, a started campaign and its planned attempts, each made ready to dial."""
    from campaigns.records import attempts as data
    from campaigns.outreach import lifecycle, planner
    from campaigns.carriers.base import Contact
    from campaigns.records.models import Attempt, Household
    from tests.campaigns.twilio_helpers import live_spec

    spec = live_spec(households={"community": "voice-bench"})
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        for n in range(calls):
            session.add(Household(id=f"vb-{n:04d}", phone=f"+1415777{n:04d}", timezone="UTC", members=3,
                                  community="voice-bench", contact_name=f"Resident {n}"))
        session.commit()
        lifecycle.start_campaign(session, spec=spec, source="bench", now=now)
        session.commit()
        planner.plan_due_rounds(session, campaign_id=spec.name, spec=spec, now=now)
        contacts = []
        for attempt in session.exec(select(Attempt).where(Attempt.campaign_id == spec.name).order_by(Attempt.id)):
            attempt.channel, attempt.conversation_id = "voice", f"{attempt.household_id}:a{attempt.id}-bench"
            data.set_status(session, attempt=attempt, status="dialing", at=now)
            household = session.get(Household, attempt.household_id)
            contacts.append(Contact(
                attempt_id=attempt.id, household_id=household.id, to=household.phone, channel="voice",
                conversation_id=attempt.conversation_id, caller_id=spec.caller_id))
        session.commit()
    return spec.name, contacts


def residents(contacts: list, seed: int) -> dict:
    from tests.twilio_emulator import Resident

    rng = random.Random(seed)
    return {c.to: Resident(answers=list(SCRIPTS[n % len(SCRIPTS)]), ring_seconds=rng.uniform(1.0, 4.0))
            for n, c in enumerate(contacts)}


async def dial(server, contacts: list, seed: int, others: dict[str, int] | None = None) -> dict:
    """Place the warm-up call, then every other call at once; wait until all have ended. The
    server's CPU time (and that of the `others` processes, by role) and the kernel's listen
    overflows are read after the warm-up and after the last call."""
    from campaigns.carriers.twilio import TwilioCarrier
    from campaigns.outreach.clock import RealClock
    from tests.campaigns.twilio_helpers import settings_for
    from tests.live import ACCOUNT_SID, AUTH_TOKEN

    async def ignore(_event) -> None:
        return None

    async with _emulator_class()(ACCOUNT_SID, AUTH_TOKEN, seed=seed) as emulator:
        emulator.residents.update(residents(contacts, seed))
        emulator.residents[contacts[0].to].ring_seconds = 0.0
        carrier = TwilioCarrier(ignore, clock=RealClock(), settings=settings_for(server, emulator))
        try:
            await carrier.place_call(contacts[0])  # warm-up: first turns load lazy parts of the model
            await emulator.wait_calls(timeout=60)
            warm = list(emulator.timings)
            emulator.timings.clear()
            before, overflows = cpu_seconds(server.proc.pid, others), listen_overflows()
            started = time.perf_counter()
            await asyncio.gather(*(carrier.place_call(c) for c in contacts[1:]))
            await emulator.wait_calls(timeout=110)
            wall = time.perf_counter() - started
            await asyncio.sleep(0.5)  # the last status callbacks' writes are off the event loop
            after, overflows = cpu_seconds(server.proc.pid, others), listen_overflows() - overflows
        finally:
            await carrier.close()
        timed = [call for call in emulator.calls.values() if call.to != contacts[0].to]
    return {"emulator": emulator, "calls": timed, "warm": warm, "wall": wall, "cpu": (before, after),
            "listen_overflows": overflows}


def peak_concurrency(calls: list) -> int:
    """The most calls answered and not yet ended at the same moment."""
    edges = sorted([(c.answered_at, 1) for c in calls if c.answered_at] +
                   [(c.ended_at, -1) for c in calls if c.answered_at and c.ended_at])
    live = peak = 0
    for _, step in edges:
        live += step
        peak = max(peak, live)
    return peak


def screened(engine, campaign_id: str, warm_up: str = "") -> dict:
    """Screening rows per household for the campaign (one per person; the contact is person 0);
    `timed_households`: those screened in the timed calls (not the warm-up household)."""
    from campaigns.records.models import Screening

    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.campaign_id == campaign_id)).all()
    contacts = [r for r in rows if r.person_index == 0]
    households = {r.household_id for r in rows}
    return {"rows": len(rows), "households": len(households), "timed_households": len(households - {warm_up}),
            "contact_rows": len(contacts), "completed": sum(r.outcome == "completed" for r in contacts),
            "voice": all(r.channel == "voice" for r in rows)}


def cpu_seconds(root_pid: int, others: dict[str, int] | None = None) -> dict[str, float]:
    """CPU time (user+system) of the processes under `root_pid` (its children and theirs: a
    Rasa server's Sanic workers are its children), by role, and of each `others` process, from /proc."""
    tick, parent, stats, cmdlines = os.sysconf("SC_CLK_TCK"), {}, {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdlines[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        pid = int(entry.name)
        parent[pid], stats[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    found: dict[str, float] = {}
    for pid, seconds in stats.items():
        role = _role_under(pid, root_pid, parent, cmdlines)
        if role:
            found[role] = found.get(role, 0.0) + seconds
    for role, pid in (others or {}).items():  # and theirs: PostgreSQL's backends are the postmaster's children
        tree = {pid} | {child for child in stats if _role_under(child, pid, parent, cmdlines)}
        found[role] = found.get(role, 0.0) + sum(stats.get(one, 0.0) for one in tree)
    return found


def _role_under(pid: int, root_pid: int, parent: dict[int, int], cmdlines: dict[int, str]) -> str | None:
    """actions | console | rasa for a process under `root_pid` (by its top-most ancestor below the
    root), None for any other."""
    top, seen = pid, 0
    while parent.get(top) not in (root_pid, None, 0, 1) and seen < 64:
        top, seen = parent[top], seen + 1
    if top == root_pid or parent.get(top) != root_pid:
        return None
    cmdline = cmdlines.get(top, "")
    return "actions" if "run actions" in cmdline else "console" if "campaigns.console" in cmdline else "rasa"


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen queue was full (TcpExt
    ListenOverflows, for every socket in this network namespace)."""
    lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines() if line.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1])).get("ListenOverflows", 0))


def figures(ms: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(ms), "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99), "max": max(ms)}


def summarize(run: dict, screenings: dict) -> dict:
    timings = run["emulator"].timings
    twiml = [ms for kind, ms, _ in timings if kind in ("answer", "gather")]
    status = [ms for kind, ms, _ in timings if kind == "status"]
    errors = Counter(f"{kind} {code}" for kind, _, code in timings if code is None or not 200 <= code < 300)
    calls = run["calls"]
    before, after = run["cpu"]
    cpu = {role: after.get(role, 0) - before.get(role, 0) for role in after}
    return {
        "calls": len(calls), "completed": sum(c.status == "completed" and c.ended_by == "app" for c in calls),
        "app_errors": sum(bool(c.errors) for c in calls), "peak_concurrent": peak_concurrency(calls),
        "requests": Counter(kind for kind, _, _ in timings), "twiml_ms": figures(twiml),
        "status_ms": figures(status), "errors": dict(errors), "wall_s": run["wall"],
        "warmup_ms": [round(ms) for kind, ms, _ in run["warm"] if kind != "status"],
        "screenings": screenings,
        "cpu_s": cpu,
        "cpu_ms_per_household": 1000 * sum(cpu.values()) / max(1, screenings["timed_households"]),
        "listen_overflows": run["listen_overflows"],
    }


def start_servers(base: Path, order: list[str], postgres=None) -> tuple[dict, object]:
    """One live server per mode in `order`, started together, each on a SQLite file of its own
    (or a database of its own on `postgres`), and a Redis server when a mode needs one:
    ({mode: (server, startup seconds)}, redis or None)."""
    from concurrent.futures import ThreadPoolExecutor

    from campaigns.records.db import get_engine
    from tests import live, redis_server

    databases = {mode: None for mode in order}
    if postgres is not None:
        for mode in order:
            postgres.create_database(f"voice_{mode}")
            databases[mode] = postgres.url(f"voice_{mode}")
            get_engine(databases[mode]).dispose()  # the schema, before the server's processes open it
    redis = redis_server.start_server() if {"inprocess2", "redis1"} & set(order) else None
    environments = {"inprocess": {}, "server": {}, "backlog100": {"SANIC_BACKLOG": "100"},
                    "inprocess2": {"SCREENING_REDIS_URL": redis.url(1), "SANIC_WORKERS": "2"} if redis else {},
                    "redis1": {"SCREENING_REDIS_URL": redis.url(2), "SANIC_WORKERS": "1"} if redis else {}}

    def start(mode: str):
        (base / mode).mkdir()
        t0 = time.perf_counter()
        server = live.start(base / mode, actions="server" if mode == "server" else "inprocess",
                            database_url=databases[mode], extra_env=environments[mode], startup_seconds=600,
                            log_name=f"serve-{mode}.log")
        return server, time.perf_counter() - t0

    with ThreadPoolExecutor(len(order)) as pool:
        futures = {mode: pool.submit(start, mode) for mode in order}
    servers = {mode: future.result() for mode, future in futures.items() if future.exception() is None}
    failed = [future.exception() for future in futures.values() if future.exception() is not None]
    if failed:
        for server, _ in servers.values():
            live.stop(server)
        if redis is not None:
            redis.stop()
        raise failed[0]
    return servers, redis


def measure(calls: int, seed: int, order: list[str], database: str = "sqlite") -> dict:
    """Start the live servers, run the calls against each in `order`, check the screenings, stop them."""
    from campaigns.records.db import get_engine
    from tests import live, pg

    with tempfile.TemporaryDirectory() as tmp:
        postgres = pg.start_server() if database == "postgres" else None
        try:
            servers, redis = start_servers(Path(tmp), order, postgres)
        except BaseException:
            if postgres is not None:
                postgres.stop()
            raise
        results = {}
        try:
            for mode in order:
                server, startup = servers[mode]
                engine = get_engine(server.database_url)
                campaign_id, contacts = prepare_contacts(engine, calls + 1)
                others = {"redis": redis.proc.pid} if mode in ("inprocess2", "redis1") else {}
                if postgres is not None:
                    others["postgres"] = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
                run = asyncio.run(dial(server, contacts, seed, others))
                results[mode] = summarize(run, screened(engine, campaign_id, contacts[0].household_id))
                results[mode]["startup_s"] = startup
        finally:
            for server, _ in servers.values():
                live.stop(server)
            if redis is not None:
                redis.stop()
            if postgres is not None:
                postgres.stop()
    return {"order": order, "database": database, "modes": results, "load": os.getloadavg()}


def report(result: dict) -> None:
    """Print each mode's figures in the style of bench.run, then all side by side (ratios to the
    first mode), and PASS or FAIL against the targets."""
    modes, order = result["modes"], result["order"]
    for mode in order:
        print(f"\n  {MODES[mode]} ({mode}):")
        report_mode(modes[mode])
    if len(order) < 2:
        return
    first = modes[order[0]]
    print(f"\n  side by side, on {result.get('database', 'sqlite')} (load average at the end "
          f"{', '.join(f'{x:.2f}' for x in result.get('load', ()))}):")
    print(f"  {'mode':12}{'TwiML p50':>10}{'p99':>8}{'status p50':>11}{'p99':>8}{'CPU/household':>14}"
          f"{'overflows':>10}{'p99 ratio':>10}")
    for mode in order:
        run = modes[mode]
        print(f"  {mode:12}{run['twiml_ms']['p50']:>10.0f}{run['twiml_ms']['p99']:>8.0f}"
              f"{run['status_ms']['p50']:>11.0f}{run['status_ms']['p99']:>8.0f}"
              f"{run['cpu_ms_per_household']:>11.0f} ms{run.get('listen_overflows', 0):>10}"
              f"{run['twiml_ms']['p99'] / first['twiml_ms']['p99']:>10.2f}")
    for mode in order:
        print(f"  voice p99 {mode}: {modes[mode]['twiml_ms']['p99']:.0f} ms (target < {TARGET_P99_MS:.0f} ms)")
    for mode in order:
        print(f"  CPU per screened household {mode}: {modes[mode]['cpu_ms_per_household']:.0f} ms "
              f"(target < {TARGET_CPU_MS:.0f} ms)", flush=True)


def report_mode(result: dict) -> None:
    """One mode's figures, and PASS or FAIL against the target."""
    requests, twiml, status, shots = result["requests"], result["twiml_ms"], result["status_ms"], result["screenings"]
    print(f"  calls: {result['calls']} placed at once, {result['completed']} completed by the bot's hang-up, "
          f"peak {result['peak_concurrent']} answered at once; wall {result['wall_s']:.1f} s "
          f"(server start {result['startup_s']:.0f} s)")
    print(f"  webhook requests: {requests.get('answer', 0)} answer, {requests.get('gather', 0)} gather, "
          f"{requests.get('status', 0)} status; errors (non-2xx or none): {result['errors'] or 0}")
    print(f"\n  {'response time (ms)':28}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, row in (("answer + gather (TwiML)", twiml), ("status callbacks", status)):
        print(f"  {label:28}" + "".join(f"{row[key]:>9.1f}" for key in ("p50", "p95", "p99", "max")))
    print(f"\n  screenings: {shots['households']}/{result['calls'] + 1} households (warm-up call included), "
          f"{shots['contact_rows']} contact rows ({shots['completed']} completed), {shots['rows']} rows in all, "
          f"channel voice: {shots['voice']}")
    cpu, wall = result["cpu_s"], result["wall_s"]
    print("  server CPU during the calls: " + ", ".join(
        f"{role} {seconds:.1f} s ({seconds / wall:.0%} of a core)" for role, seconds in sorted(cpu.items())))
    print(f"  CPU per screened household: {result['cpu_ms_per_household']:.0f} ms (target < {TARGET_CPU_MS:.0f} ms)")
    print(f"  warm-up call (not counted): {result['warmup_ms']} ms; listen overflows during the calls: "
          f"{result.get('listen_overflows', 0)}")
    ok = twiml["p99"] < TARGET_P99_MS and not result["errors"] and result["completed"] == result["calls"] \
        and shots["households"] == result["calls"] + 1
    verdict = "PASS" if ok else "FAIL"
    print(f"  {verdict}: voice webhook p99 {twiml['p99']:.0f} ms (target < {TARGET_P99_MS:.0f} ms, "
          f"{TARGET_P99_MS / twiml['p99']:.2f}x), {result['completed']}/{result['calls']} calls completed",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--order", type=modes_in_order, default=DEFAULT_ORDER,
                        help=f"the modes to measure, in order, of {', '.join(MODES)} "
                             f"(default {','.join(DEFAULT_ORDER)})")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help="each server on a SQLite file of its own (default), or on a database of its own "
                             "in one throwaway PostgreSQL cluster (its CPU counted with the server's)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.calls, args.seed, args.order, args.database)))
    return 0


def modes_in_order(text: str) -> list[str]:
    order = [mode.strip() for mode in text.split(",") if mode.strip()]
    if not order or len(set(order)) != len(order) or not set(order) <= set(MODES):
        raise argparse.ArgumentTypeError(f"a comma-separated order of {', '.join(MODES)}")
    return order


if __name__ == "__main__":
    sys.exit(main())
