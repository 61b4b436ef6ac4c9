"""The voice webhook under load: 100 concurrent simulated calls against the live server.

One live server (`tests.live`: the real Rasa server with the `voice` channel, and the action
server, on a SQLite file in a temp dir). 100 households (3 members each) in a campaign whose
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
waits on) apart from status callbacks. One warm-up call goes first and is not counted.
Usage: python -m bench.voice_bench [--calls 100] [--seed 7]   (prints JSON on its last line)
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


async def dial(server, contacts: list, seed: int) -> dict:
    """Place the warm-up call, then every other call at once; wait until all have ended."""
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
            started = time.perf_counter()
            await asyncio.gather(*(carrier.place_call(c) for c in contacts[1:]))
            await emulator.wait_calls(timeout=110)
            wall = time.perf_counter() - started
        finally:
            await carrier.close()
        timed = [call for call in emulator.calls.values() if call.to != contacts[0].to]
    return {"emulator": emulator, "calls": timed, "warm": warm, "wall": wall}


def peak_concurrency(calls: list) -> int:
    """The most calls answered and not yet ended at the same moment."""
    edges = sorted([(c.answered_at, 1) for c in calls if c.answered_at] +
                   [(c.ended_at, -1) for c in calls if c.answered_at and c.ended_at])
    live = peak = 0
    for _, step in edges:
        live += step
        peak = max(peak, live)
    return peak


def screened(engine, campaign_id: str) -> dict:
    """Screening rows per household for the campaign (one per person; the contact is person 0)."""
    from campaigns.records.models import Screening

    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.campaign_id == campaign_id)).all()
    contacts = [r for r in rows if r.person_index == 0]
    return {"rows": len(rows), "households": len({r.household_id for r in rows}),
            "contact_rows": len(contacts), "completed": sum(r.outcome == "completed" for r in contacts),
            "voice": all(r.channel == "voice" for r in rows)}


def cpu_seconds(root_pid: int) -> dict[str, float]:
    """CPU time (user+system) of the server's processes, by role, from /proc."""
    tick, found = os.sysconf("SC_CLK_TCK"), {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == root_pid:  # ppid
            role = "actions" if "run actions" in cmdline else "console" if "campaigns.console" in cmdline else "rasa"
            found[role] = found.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


def figures(ms: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(ms), "p95": percentile(ms, 0.95), "p99": percentile(ms, 0.99), "max": max(ms)}


def summarize(run: dict, screenings: dict, cpu: tuple[dict, dict]) -> dict:
    timings = run["emulator"].timings
    twiml = [ms for kind, ms, _ in timings if kind in ("answer", "gather")]
    status = [ms for kind, ms, _ in timings if kind == "status"]
    errors = Counter(f"{kind} {code}" for kind, _, code in timings if code is None or not 200 <= code < 300)
    calls = run["calls"]
    before, after = cpu
    return {
        "calls": len(calls), "completed": sum(c.status == "completed" and c.ended_by == "app" for c in calls),
        "app_errors": sum(bool(c.errors) for c in calls), "peak_concurrent": peak_concurrency(calls),
        "requests": Counter(kind for kind, _, _ in timings), "twiml_ms": figures(twiml),
        "status_ms": figures(status), "errors": dict(errors), "wall_s": run["wall"],
        "warmup_ms": [round(ms) for kind, ms, _ in run["warm"] if kind != "status"],
        "screenings": screenings,
        "cpu_s": {role: after.get(role, 0) - before.get(role, 0) for role in after},
    }


def measure(calls: int, seed: int) -> dict:
    """Start the live server, run the calls, check the screenings, stop the server."""
    from campaigns.records.db import get_engine
    from tests import live

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        server = live.start(Path(tmp))
        startup = time.perf_counter() - t0
        try:
            engine = get_engine(server.database_url)
            campaign_id, contacts = prepare_contacts(engine, calls + 1)
            before = cpu_seconds(server.proc.pid)
            run = asyncio.run(dial(server, contacts, seed))
            after = cpu_seconds(server.proc.pid)
            time.sleep(0.5)  # the last status callbacks' writes are off the event loop
            result = summarize(run, screened(engine, campaign_id), (before, after))
        finally:
            live.stop(server)
    result["startup_s"] = startup
    return result


def report(result: dict) -> None:
    """Print the figures in the style of bench.run, and PASS or FAIL against the target."""
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
    print(f"  warm-up call (not counted): {result['warmup_ms']} ms")
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
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.calls, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
