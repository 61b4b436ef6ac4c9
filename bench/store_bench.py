"""Turn cost by tracker store: the same English conversations (bot/demo.py) through the lean model
with Rasa's in-memory tracker store, and on SQLite and on PostgreSQL both Rasa's own SQL tracker
store and the one the Rasa server uses (bot/trackers.py, "kept": the conversations in use kept in
memory while the database provably holds them), interleaved conversation by conversation in one
process pinned to one core, so drift in the machine's load hits all five alike.

Each store is built from its URL as the Rasa server builds it (bot/endpoints.py; Rasa's own with
the endpoint's type set back to "SQL"), wrapped as Rasa wraps it, and tuned as the channels tune
it (bot/channels/storage.py). Each store has senders of its own. Besides the wall time, a turn's
CPU: this process's (the bot, and SQLite's work), and the PostgreSQL server's. Only the trackers
move: the actions write to the project's SQLite file in every case, and the SQLite trackers live
in that file too, as with `make serve` by default.
PostgreSQL is a throwaway cluster on 127.0.0.1 (tests/pg.py: installed if missing, fsync off as
in the tests, so the figure is the store's work, not the disk's).

Usage: python -m bench.store_bench [--conversations N]   (prints one JSON line)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time

from bench.run import percentile

STORES = ("in-memory", "SQLite", "SQLite, kept", "PostgreSQL", "PostgreSQL, kept")
TARGET = 1.5  # a durable store's p50 turn at most this many times the in-memory one's


def store_for(url: str | None, domain, *, rasas_own: bool = False):
    """The tracker store for a database URL (None: in memory), as `rasa run` makes it from the
    endpoints; `rasas_own`: Rasa's SQLTrackerStore instead of the project's."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.endpoints import tracker_store

    if url is None:
        return FailSafeTrackerStore(InMemoryTrackerStore(domain))
    config = {**tracker_store(url), **({"type": "SQL"} if rasas_own else {})}
    return FailSafeTrackerStore(TrackerStore.create(EndpointConfig.from_dict(config), domain=domain))


def use(bot, store) -> None:
    bot.agent.tracker_store = store
    bot.agent.processor.tracker_store = store


async def conversations(bot, stores: dict, count: int, first: int = 0,
                        server_cpu=lambda: 0.0) -> dict[str, dict[str, list[float]]]:
    """Per store: each turn's wall time and this process's CPU (ms), and the server's CPU (s) per
    conversation (read before and after it: /proc counts in clock ticks)."""
    from bot.demo import SCRIPTS

    timings = {name: {"wall": [], "cpu": [], "server_s": []} for name in stores}
    for n in range(first, first + count):
        _, lines = SCRIPTS[n % len(SCRIPTS)]
        for index, (name, store) in enumerate(stores.items()):  # each script on every store in turn
            use(bot, store)
            sender = f"+1415{index}7{n:05d}"  # the SQL stores share a database: senders of their own
            server_before = server_cpu()
            for line in lines:
                t0, c0 = time.perf_counter(), time.process_time()
                await bot.send(sender, line, channel="chat")
                timings[name]["wall"].append((time.perf_counter() - t0) * 1000)
                timings[name]["cpu"].append((time.process_time() - c0) * 1000)
            timings[name]["server_s"].append(server_cpu() - server_before)
    return timings


def measure(count: int, pg_url: str, server_cpu=lambda: 0.0) -> dict:
    from bot.inprocess import InProcessBot
    from bot.model import ensure_model

    bot = InProcessBot.load(ensure_model())
    domain = bot.agent.domain
    # SQLite: the project's database file, as `make serve` uses it (its records beside the trackers).
    sqlite = os.environ["SCREENING_DATABASE_URL"]
    stores = {"in-memory": store_for(None, domain), "SQLite": store_for(sqlite, domain, rasas_own=True),
              "SQLite, kept": store_for(sqlite, domain), "PostgreSQL": store_for(pg_url, domain, rasas_own=True),
              "PostgreSQL, kept": store_for(pg_url, domain)}
    loop = asyncio.new_event_loop()
    loop.run_until_complete(conversations(bot, stores, 3, first=9000))  # warm-up: caches, connections
    timings = loop.run_until_complete(conversations(bot, stores, count, server_cpu=server_cpu))
    return {name: {"p50_ms": statistics.median(found["wall"]), "p99_ms": percentile(found["wall"], 0.99),
                   "cpu_ms": statistics.fmean(found["cpu"]),
                   "server_cpu_ms": sum(found["server_s"]) * 1000 / len(found["wall"]), "turns": len(found["wall"])}
            for name, found in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=36)
    args = parser.parse_args()
    from tests import pg

    server = pg.start_server()  # before pinning: initdb and the server run on their own
    try:
        server.create_database("trackers")
        os.sched_setaffinity(0, {0})
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["SCREENING_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
            result = measure(args.conversations, server.url("trackers"), server_cpu=lambda: _server_cpu(server))
    finally:
        server.stop()
    print(json.dumps(result))


def _server_cpu(server) -> float:
    """CPU seconds of the PostgreSQL server: its postmaster and every backend."""
    from bench.load_bench import tree_cpu

    return tree_cpu(int((server.data_dir / "postmaster.pid").read_text().split()[0]))


def report(result: dict) -> None:
    memory = result["in-memory"]["p50_ms"]
    for name in STORES:
        run = result[name]
        target = "the reference" if name == "in-memory" else f"<= {TARGET * memory:.1f} ms, {TARGET}x in-memory"
        print(f"  turn p50, {name}: {run['p50_ms']:.1f} ms (target {target})")
        print(f"  turn p99, {name}: {run['p99_ms']:.1f} ms (target none)")
        if "cpu_ms" in run:
            print(f"  turn CPU, {name}: {run['cpu_ms']:.1f} ms in the bot's process"
                  + (f", {run['server_cpu_ms']:.1f} ms in PostgreSQL" if name.startswith("PostgreSQL") else ""))
    for name in STORES[1:]:
        ratio = result[name]["p50_ms"] / memory
        print(f"  {name} / in-memory at p50: {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'MISSED'}")
    print(f"  ({result['in-memory']['turns']} timed turns per store, interleaved)")


if __name__ == "__main__":
    main()
