"""`make bench`: the conversation (lean vs stock model) and the campaign engine.

Conversation: whole scripted conversations through the model in-process; each configuration
runs in its own process pinned to one core, one after the other in the same run, so the
ratios compare like with like on a shared, noisy machine.
Engine: importing 1M households (time, peak memory), planning a round for 1M households,
and the dispatch rate against the configured calls per second, each in its own process.
Voice: p50/p99 response time of the voice webhooks under 100 concurrent simulated calls
against the live server (bench/voice_bench.py, in its own process).
Edge: a turn's p50 with and without the public channels' edge checks, in one process (bench/edge_bench.py).
Export: the console's CSV and XLSX exports of 1M screenings through a live console: time, rows/s,
bytes and peak memory growth, each format in a fresh process (bench/export_bench.py).
Usage: python -m bench.run [--conversations N] [--only conversation|edge|engine|voice|export] [--households N]
                           [--calls N] [--screenings N] [--xlsx-fifth]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {"lean (config.yml)": ROOT / "config.yml", "stock (rasa init)": ROOT / "bench" / "stock_config.yml"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def converse(bot, conversations: int) -> tuple[list[float], float]:
    from bot.demo import SCRIPTS

    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(conversations):
        _, lines = SCRIPTS[n % len(SCRIPTS)]
        sender = f"+1415666{n:04d}"
        for line in lines:
            t0 = time.perf_counter()
            await bot.send(sender, line)
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, time.perf_counter() - started


async def heldout_accuracy(bot) -> float:
    from tests.bot.test_rasa_checks import HELDOUT, _examples

    pairs = _examples(HELDOUT)
    hits = 0
    for text, intent in pairs:
        hits += (await bot.agent.parse_message(text))["intent"]["name"] == intent
    return hits / len(pairs)


def measure_one(config: Path, conversations: int) -> dict:
    """Runs in a child process: load, warm up, converse, parse the held-out file."""
    os.sched_setaffinity(0, {0})  # conversations per second on one core
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SCREENING_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        from bot.inprocess import InProcessBot
        from bot.model import ensure_model

        model = ensure_model(config)
        t0 = time.perf_counter()
        bot = InProcessBot.load(model)
        load_s = time.perf_counter() - t0
        loop = asyncio.new_event_loop()
        loop.run_until_complete(converse(bot, 3))  # warm-up: first calls compile and cache
        latencies, wall = loop.run_until_complete(converse(bot, conversations))
        accuracy = loop.run_until_complete(heldout_accuracy(bot))
    return {"load_s": load_s, "p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99),
            "turns": len(latencies), "conv_per_s": conversations / wall, "accuracy": accuracy}


def run_child(config: Path, conversations: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.run", "--child", str(config), "--conversations",
                          str(conversations)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"benchmark of {config.name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(results: dict[str, dict]) -> None:
    (lean_name, lean), (stock_name, stock) = results.items()
    rows = [("p50 turn latency (ms)", "p50_ms", "{:.1f}"), ("p99 turn latency (ms)", "p99_ms", "{:.1f}"),
            ("conversations/s, one core", "conv_per_s", "{:.2f}"), ("model load (s)", "load_s", "{:.2f}"),
            ("held-out intent accuracy", "accuracy", "{:.3f}")]
    print(f"\n{'':28}{lean_name:>20}{stock_name:>20}{'ratio':>10}")
    for label, key, fmt in rows:
        better_low = key in ("p50_ms", "p99_ms", "load_s")
        ratio = stock[key] / lean[key] if better_low else lean[key] / stock[key]
        print(f"{label:28}{fmt.format(lean[key]):>20}{fmt.format(stock[key]):>20}{ratio:>9.2f}x")
    print(f"\n(ratio > 1 means the lean configuration is better; {lean['turns']} timed turns each)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("conversation", "edge", "engine", "voice", "export"))
    parser.add_argument("--households", type=int, default=1_000_000, help="rows for the import and plan benchmarks")
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls for the voice benchmark")
    parser.add_argument("--screenings", type=int, default=1_000_000, help="rows for the export benchmark")
    parser.add_argument("--xlsx-fifth", action="store_true", help="export benchmark: XLSX of a fifth of the rows")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_one(args.child, args.conversations)))
        return 0
    if args.only in (None, "conversation"):
        conversation(args.conversations)
    if args.only in (None, "edge"):
        edge()
    if args.only in (None, "engine"):
        engine(args.households)
    if args.only in (None, "voice"):
        voice(args.calls)
    if args.only in (None, "export"):
        export(args.screenings, args.xlsx_fifth)
    return 0


def conversation(conversations: int) -> None:
    from bot.model import ensure_model

    for name, config in CONFIGS.items():
        print(f"model for {name}: {ensure_model(config).name}", flush=True)
    results = {}
    for name, config in CONFIGS.items():
        print(f"benchmarking {name} ...", flush=True)
        results[name] = run_child(config, conversations)
    report(results)


def engine_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def engine(households: int) -> None:
    print(f"\nCampaign engine ({households:,} households)", flush=True)
    imported = engine_child("bench.import_bench", "--rows", str(households))
    print(f"  import:   {imported['seconds']:.1f} s ({imported['rows_per_s']:,.0f} rows/s), "
          f"peak memory {imported['peak_rss_mb']:.0f} MB; targets 60 s, 500 MB: "
          f"{60 / imported['seconds']:.2f}x under time, {500 / imported['peak_rss_mb']:.2f}x under memory", flush=True)
    planned = engine_child("bench.engine_bench", "plan", "--households", str(households))
    print(f"  plan a round: {planned['attempts_written']:,} attempts in {planned['seconds']:.1f} s "
          f"({planned['attempts_per_s']:,} attempts/s), memory grew {planned['rss_growth_mb']} MB", flush=True)
    for cps in (20, 100):
        rate = engine_child("bench.engine_bench", "dispatch", "--cps", str(cps), "--seconds", "8")
        print(f"  dispatch at {cps} calls/s: achieved {rate['achieved_cps']:.2f}/s = {rate['ratio']:.3f} of the "
              f"configured rate (target >= 0.95); at most {rate['max_in_any_second']} starts in any second", flush=True)


def edge() -> None:
    from bench.edge_bench import report

    print("\nEdge checks (lean model, one core, with and without, interleaved) ...", flush=True)
    report(engine_child("bench.edge_bench"))


def voice(calls: int) -> None:
    from bench.voice_bench import report

    print(f"\nVoice webhooks ({calls} concurrent simulated calls, live server) ...", flush=True)
    report(engine_child("bench.voice_bench", "--calls", str(calls)))



def export(screenings: int, xlsx_fifth: bool) -> None:
    from bench.export_bench import report

    print(f"\nConsole exports ({screenings:,} screenings, live console, a fresh process per format) ...", flush=True)
    report(engine_child("bench.export_bench", "all", "--rows", str(screenings), *(["--xlsx-fifth"] * xlsx_fifth)))


if __name__ == "__main__":
    sys.exit(main())
