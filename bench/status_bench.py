"""Twilio status callbacks, old write path against new, side by side: each status in its own
transaction (the code before group commit, commit BASELINE) against group commit (this tree).

Two Rasa servers (`python -m bot.serve --only rasa`, one worker each, on their own SQLite file)
run at once: one from this tree, one from a copy of it whose carrier-event code is BASELINE's (git
show; nothing in git changes; needs a clone with history). Each round posts N signed voice status callbacks (ringing,
in-progress, busy, no-answer for N/4 attempts; each new) with C in flight at a time, to one server
then the other, in alternating order; the same count of GETs on the channel's health route gives
the per-request floor of the HTTP stack (Sanic, Rasa's app, no database, no signature). Timed: each
request from send to the end of its answer, in this process; the server process's CPU (user+system,
from /proc) over the round, per request.
With --database postgresql both use a database of their own on one throwaway PostgreSQL cluster.
Usage: python -m bench.status_bench [--callbacks 400] [--concurrency 100] [--rounds 3] [--database sqlite]
(prints JSON on its last line)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
OLD_FILES = ("bot/channels/storage.py", "campaigns/records/carrier_events.py", "bot/channels/twilio_base.py",
             "bot/channels/voice.py", "bot/channels/sms.py")
BASELINE = "02afc2c"  # the last commit with one transaction per status callback
STATUSES = ("ringing", "in-progress", "busy", "no-answer")  # "completed" also says goodbye to Rasa: not timed


def old_tree(tmp: Path) -> Path:
    """This tree's tracked files, with BASELINE's carrier-event code, in `tmp`; the model cache shared."""
    tree = tmp / "old"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not name.startswith("models/"):
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    for name in OLD_FILES:
        text = subprocess.run(["git", "show", f"{BASELINE}:{name}"], cwd=ROOT, capture_output=True, check=True).stdout
        (tree / name).write_bytes(text)
    (tree / "models").symlink_to(ROOT / "models")
    return tree


def start(root: Path, tmp: Path, database_url: str = ""):
    """The Rasa server alone (its channels are all a status callback needs), from `root`; on its
    own SQLite file unless `database_url` is given."""
    from tests import live

    tmp.mkdir(parents=True, exist_ok=True)
    port = live.free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = database_url or f"sqlite:///{tmp}/status.db"
    env = live.part_environment(database_url, url, {"PYTHONPATH": str(root)})
    log = tmp / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.serve", "--only", "rasa", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = live.LiveServer(url, database_url, proc, log)
    try:
        live.wait_up(f"{url}/webhooks/voice/", proc, 300)
    except Exception:
        live.stop(server)
        raise
    return server


def add_attempts(database_url: str, count: int) -> list[int]:
    from sqlmodel import Session

    from campaigns.records.db import get_engine
    from campaigns.records.models import Attempt, Campaign, Household

    now = datetime.now(timezone.utc)
    with Session(get_engine(database_url)) as session:
        session.add(Campaign(id="status-bench", status="paused", spec_json=json.dumps({"language": "en"})))
        session.add_all(Household(id=f"SB-{n}", phone=f"+1415888{n:04d}", timezone="UTC") for n in range(count))
        session.flush()
        attempts = [Attempt(campaign_id="status-bench", household_id=f"SB-{n}", day=date.today(), round_no=1,
                            due_at=now, status="dialing") for n in range(count)]
        session.add_all(attempts)
        session.commit()
        return [attempt.id for attempt in attempts]


def stored(database_url: str) -> tuple[int, int]:
    """(carrier events, distinct (reference, status) among them)."""
    import sqlalchemy as sa

    from campaigns.records.db import get_engine

    with get_engine(database_url).connect() as connection:
        rows = connection.execute(sa.text("SELECT carrier_ref, status FROM carrier_events")).all()
    return len(rows), len(set(map(tuple, rows)))


def callbacks(server, attempts: list[int]) -> list[tuple[str, dict, dict]]:
    from twilio.request_validator import RequestValidator

    from campaigns.records.contacts import sign_attempt
    from tests.live import AUTH_TOKEN

    signer, made = RequestValidator(AUTH_TOKEN), []
    for attempt in attempts:
        url = f"{server.url}/webhooks/voice/status?{urlencode({'ref': sign_attempt(attempt, key=AUTH_TOKEN)})}"
        for status in STATUSES:
            fields = {"CallSid": f"CA{attempt:032d}", "CallStatus": status}
            made.append((url, fields, {"X-Twilio-Signature": signer.compute_signature(url, fields)}))
    return made


def cpu_seconds(pid: int) -> float:
    """User+system CPU of the server's processes (the Rasa server is a child of bot.serve)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if entry.name == str(pid) or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def fire(requests: list[tuple[str, dict | None, dict]], concurrency: int) -> tuple[list[float], dict]:
    """Each request, `concurrency` in flight; (ms of each, count by HTTP status)."""
    import aiohttp

    gate, times, codes = asyncio.Semaphore(concurrency), [], {}

    async def one(session, url, fields, headers) -> None:
        async with gate:
            started = time.perf_counter()
            method = session.post(url, data=fields, headers=headers) if fields is not None else session.get(url)
            async with method as answer:
                await answer.read()
            times.append((time.perf_counter() - started) * 1000)
            codes[answer.status] = codes.get(answer.status, 0) + 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(one(session, *request) for request in requests))
    return times, codes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(server, requests: list, concurrency: int) -> dict:
    before, t0 = cpu_seconds(server.proc.pid), time.perf_counter()
    times, codes = asyncio.run(fire(requests, concurrency))
    wall = time.perf_counter() - t0
    time.sleep(0.3)  # the CPU of the last answers' writes
    cpu = cpu_seconds(server.proc.pid) - before
    return {"p50": statistics.median(times), "p99": percentile(times, 0.99), "wall_s": wall,
            "cpu_ms_each": cpu * 1000 / len(requests), "per_s": len(requests) / wall, "codes": codes}


def measure(count: int, concurrency: int, rounds: int, database: str) -> dict:
    postgres = None
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        servers, urls = {}, {"old": "", "new": ""}
        try:
            if database == "postgresql":  # a throwaway cluster (tests/pg.py: fsync off), a database each
                from tests import pg

                postgres = pg.start_server()
                for code in urls:
                    postgres.create_database(f"status_{code}")
                    urls[code] = postgres.url(f"status_{code}")
            servers["old"] = start(old_tree(tmp), tmp / "old-run", urls["old"])
            servers["new"] = start(ROOT, tmp / "new-run", urls["new"])
            attempts = {code: add_attempts(server.database_url, (rounds + 1) * count // len(STATUSES))
                        for code, server in servers.items()}
            runs: dict[str, list] = {"old": [], "new": [], "floor": []}
            per_round = count // len(STATUSES)
            for code, server in servers.items():  # warm-up: first requests import and connect
                timed(server, callbacks(server, attempts[code][:per_round])[:count], concurrency)
            for n in range(1, rounds + 1):
                order = ("old", "new") if n % 2 else ("new", "old")
                for code in order:
                    server = servers[code]
                    chosen = attempts[code][n * per_round:(n + 1) * per_round]
                    runs[code].append(timed(server, callbacks(server, chosen), concurrency))
                health = [(f"{servers['new'].url}/webhooks/voice/", None, {})] * count
                runs["floor"].append(timed(servers["new"], health, concurrency))
            kept = {code: stored(server.database_url) for code, server in servers.items()}
        finally:
            from tests import live

            for server in servers.values():
                live.stop(server)
            if postgres is not None:
                postgres.stop()
    return {"callbacks": count, "concurrency": concurrency, "rounds": rounds, "runs": runs, "stored": kept,
            "database": database,
            "expected_rows": (rounds + 1) * count}


def _spread(rows: list[dict], key: str) -> str:
    values = [row[key] for row in rows]
    return f"{statistics.median(values):8.1f} ({min(values):.1f}-{max(values):.1f})"


def report(result: dict) -> None:
    runs = result["runs"]
    print(f"  {result['callbacks']} status callbacks per round, {result['concurrency']} in flight, "
          f"on {result['database']}, "
          f"{result['rounds']} rounds, old and new alternating; median (min-max) over the rounds")
    print(f"  {'':34}{'p50 ms':>22}{'p99 ms':>22}{'CPU ms / request':>24}{'requests/s':>22}")
    labels = {"old": "old: a transaction per status", "new": "new: group commit",
              "floor": "floor: health GET, no database"}
    for code, label in labels.items():
        print(f"  {label:34}" + "".join(f"{_spread(runs[code], key):>22}" for key in ("p50", "p99", "cpu_ms_each"))
              + f"{_spread(runs[code], 'per_s'):>22}")
    for code in ("old", "new"):
        codes = {}
        for row in runs[code]:
            for status, seen in row["codes"].items():
                codes[status] = codes.get(status, 0) + seen
        rows, distinct = result["stored"][code]
        print(f"  {code}: answers {codes}; stored {rows} rows, {distinct} distinct, "
              f"of {result['expected_rows']} sent (warm-up included)")
    ratio = {key: statistics.median(r[key] for r in runs["old"]) / statistics.median(r[key] for r in runs["new"])
             for key in ("p50", "p99", "cpu_ms_each")}
    print("  old / new: " + ", ".join(f"{key} {value:.2f}x" for key, value in ratio.items()), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.callbacks, args.concurrency, args.rounds, args.database)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
