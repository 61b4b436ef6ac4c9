"""Turn cost by tracker store: the same English conversations (bot/demo.py) through the lean model
with Rasa's in-memory, SQLite and PostgreSQL tracker stores, interleaved conversation by
conversation in one process pinned to one core, so drift in the machine's load hits all three alike.

Each store is built from its URL as the Rasa server builds it (bot/endpoints.py), wrapped as
Rasa wraps it, and tuned as the channels tune it (bot/channels/storage.py). Only the trackers
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

STORES = ("in-memory", "SQLite", "PostgreSQL")
TARGET = 1.5  # a durable store's p50 turn at most this many times the in-memory one's


def store_for(url: str | None, domain):
    """Rasa's tracker store for a database URL (None: in memory), as `rasa run` makes it."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.endpoints import tracker_store

    if url is None:
        return FailSafeTrackerStore(InMemoryTrackerStore(domain))
    return FailSafeTrackerStore(TrackerStore.create(EndpointConfig.from_dict(tracker_store(url)), domain=domain))


def use(bot, store) -> None:
    bot.agent.tracker_store = store
    bot.agent.processor.tracker_store = store


async def conversations(bot, stores: dict, count: int, first: int = 0) -> dict[str, list[float]]:
    from bot.demo import SCRIPTS

    timings: dict[str, list[float]] = {name: [] for name in stores}
    for n in range(first, first + count):
        _, lines = SCRIPTS[n % len(SCRIPTS)]
        for name, store in stores.items():  # each script on every store in turn
            use(bot, store)
            sender = f"+1415777{n:04d}"
            for line in lines:
                t0 = time.perf_counter()
                await bot.send(sender, line, channel="chat")
                timings[name].append((time.perf_counter() - t0) * 1000)
    return timings


def measure(count: int, pg_url: str) -> dict:
    from bot.inprocess import InProcessBot
    from bot.model import ensure_model

    bot = InProcessBot.load(ensure_model())
    domain = bot.agent.domain
    # SQLite: the project's database file, as `make serve` uses it (its records beside the trackers).
    stores = {"in-memory": store_for(None, domain), "SQLite": store_for(os.environ["SCREENING_DATABASE_URL"], domain),
              "PostgreSQL": store_for(pg_url, domain)}
    loop = asyncio.new_event_loop()
    loop.run_until_complete(conversations(bot, stores, 3, first=9000))  # warm-up: caches, connections
    timings = loop.run_until_complete(conversations(bot, stores, count))
    return {name: {"p50_ms": statistics.median(found), "p99_ms": percentile(found, 0.99), "turns": len(found)}
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
            result = measure(args.conversations, server.url("trackers"))
    finally:
        server.stop()
    print(json.dumps(result))


def report(result: dict) -> None:
    memory = result["in-memory"]["p50_ms"]
    for name in STORES:
        run = result[name]
        target = "the reference" if name == "in-memory" else f"<= {TARGET * memory:.1f} ms, {TARGET}x in-memory"
        print(f"  turn p50, {name}: {run['p50_ms']:.1f} ms (target {target})")
        print(f"  turn p99, {name}: {run['p99_ms']:.1f} ms (target none)")
    for name in STORES[1:]:
        ratio = result[name]["p50_ms"] / memory
        print(f"  {name} / in-memory at p50: {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'MISSED'}")
    print(f"  ({result['in-memory']['turns']} timed turns per store, interleaved)")


if __name__ == "__main__":
    main()
