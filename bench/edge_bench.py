"""The edge checks' cost per turn: the same conversations through the lean model with and without
them, interleaved in one process pinned to one core, and the checks alone, timed directly.

Usage: python -m bench.edge_bench [--conversations N]   (prints one JSON line)
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

TEXT = "I have a dry cough and a sore throat since yesterday"


def edge(limiter, sender: str, text: str) -> str:
    """What the chat channel does before the bot sees a message."""
    from bot.channels.edge import clean_text, too_long

    if not limiter.allow(f"sender:{sender}") or not limiter.allow("ip:127.0.0.1"):
        raise RuntimeError("the bench is not meant to hit the rate limit")
    text = clean_text(text)
    if too_long(text):
        raise RuntimeError("no bench line is too long")
    return text


async def conversations(bot, count: int) -> dict[str, list[float]]:
    from bot.channels.edge import RateLimiter
    from bot.demo import SCRIPTS

    limiter = RateLimiter(per_minute=10**9, burst=10**9)
    timings: dict[str, list[float]] = {"without": [], "with": []}
    for n in range(count):
        _, lines = SCRIPTS[(n // 2) % len(SCRIPTS)]
        checked = n % 2 == 1  # each script both ways, in turn, so drift in the machine's load hits both alike
        sender = f"bench-{n}"
        for line in lines:
            t0 = time.perf_counter()
            text = edge(limiter, sender, line) if checked else line
            await bot.send(sender, text, channel="chat")
            timings["with" if checked else "without"].append((time.perf_counter() - t0) * 1000)
    return timings


def checks_alone(repeat: int = 100_000) -> float:
    from bot.channels.edge import RateLimiter

    limiter = RateLimiter(per_minute=10**9, burst=10**9)
    t0 = time.perf_counter()
    for n in range(repeat):
        edge(limiter, f"s{n % 1000}", TEXT)
    return (time.perf_counter() - t0) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=120)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SCREENING_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        from bot.inprocess import InProcessBot
        from bot.model import ensure_model

        bot = InProcessBot.load(ensure_model())
        loop = asyncio.new_event_loop()
        loop.run_until_complete(conversations(bot, 4))  # warm-up
        timings = loop.run_until_complete(conversations(bot, args.conversations))
    print(json.dumps({"p50_without_ms": statistics.median(timings["without"]),
                      "p50_with_ms": statistics.median(timings["with"]),
                      "p99_without_ms": percentile(timings["without"], 0.99),
                      "p99_with_ms": percentile(timings["with"], 0.99),
                      "turns": len(timings["with"]) + len(timings["without"]),
                      "checks_us": checks_alone()}))


def report(result: dict) -> None:
    ratio = result["p50_with_ms"] / result["p50_without_ms"]
    print(f"  turn p50 without edge checks: {result['p50_without_ms']:.2f} ms")
    print(f"  turn p50 with edge checks: {result['p50_with_ms']:.2f} ms")
    print(f"  edge-check cost, p50 ratio: {ratio:.3f} (target <= 1.05; {result['turns']} turns, interleaved)")
    print(f"  edge checks alone: {result['checks_us']:.1f} us per message "
          f"(target < 1% of the p50 turn, {result['p50_without_ms'] * 10:.0f} us)")
    print(f"  turn p99 without / with: {result['p99_without_ms']:.1f} / {result['p99_with_ms']:.1f} ms")


if __name__ == "__main__":
    main()
