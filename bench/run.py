"""`make bench`: the conversation (lean vs stock model) and the campaign engine.

Conversation: whole scripted conversations through the model in-process, English and Mandarin
interleaved (bot/demo.py); each configuration runs in its own process pinned to one core, one
after the other in the same run, so the ratios compare like with like on a shared, noisy machine.
Engine: importing 1M households (time, peak memory), planning a round for 1M households,
and the dispatch rate against the configured calls per second, each in its own process.
Voice: p50/p99 response time of the voice webhooks and CPU per household under 100 concurrent
simulated calls against the live server, with one Sanic worker and with two (Redis lock store),
side by side (bench/voice_bench.py, in its own process; --voice-order picks the servers).
Edge: a turn's p50 with and without the public channels' edge checks, in one process (bench/edge_bench.py).
Export: the console's CSV and XLSX exports of 1M screenings through a live console: time, rows/s,
bytes and peak memory growth, each format in a fresh process (bench/export_bench.py).
Web: the residents' page's first-load bytes and time to first question, and turns of 200 web
conversations at once, against the live server (bench/web_bench.py, in its own process).
Workers: voice-webhook throughput and p99 with 1 Sanic worker against 2 (Redis lock store,
PostgreSQL), the same calls at each level of concurrent calls (bench/workers_bench.py).
Stores: a turn's p50 and p99 with the in-memory, SQLite and PostgreSQL tracker stores, interleaved in
one process (bench/store_bench.py).
Load: households offered at rising rates through the real dispatcher, calls as long as real ones,
against the live server on PostgreSQL, with one Sanic worker and then two (Redis lock store): the
knee, CPU per household, calls live at the knee, for each (bench/load_bench.py; --workers).
Status: status callbacks' p50/p99 and server CPU, old write path against group commit (bench/status_bench.py).
Usage: python -m bench.run [--conversations N] [--only conversation|edge|engine|voice|export|web|workers|stores|load|status]
                           [--households N] [--calls N] [--screenings N] [--xlsx-fifth] [--levels 10,25,...]
                           [--rates 1,2,4,...] [--load-seconds S] [--workers 1,2]
                           [--voice-order inprocess,inprocess2]
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
LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "Mandarin"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def mandarin_phones(first: int, count: int) -> list[str]:
    """A fresh Mandarin household per conversation (as each English conversation is a fresh
    walk-in), created in the bench database before the clock starts."""
    from sqlmodel import Session

    from bot.demo import mandarin_household
    from campaigns.records.db import get_engine
    from campaigns.settings import get_settings

    phones = [f"+86139{n:08d}" for n in range(first, first + count)]
    with Session(get_engine(get_settings().database_url)) as session:
        for phone in phones:
            mandarin_household(session, phone)
        session.commit()
    return phones


async def converse(bot, conversations: int, first: int = 0) -> dict[str, dict]:
    """English and Mandarin scripts, interleaved one conversation each, so drift in the machine's
    load hits both languages alike. A Mandarin conversation is Mandarin because its household
    is (the server sets the language from the session metadata's phone), never from its text."""
    from bot.demo import SCRIPTS, ZH_SCRIPTS, send_mandarin

    phones = mandarin_phones(first, conversations)
    runs = {language: {"latencies": [], "wall": 0.0} for language in LANGUAGES}
    for n in range(first, first + conversations):
        for language, scripts in (("en", SCRIPTS), ("zh", ZH_SCRIPTS)):
            _, lines = scripts[n % len(scripts)]
            run = runs[language]
            started = time.perf_counter()
            for line in lines:
                t0 = time.perf_counter()
                if language == "en":
                    await bot.send(f"+1415666{n:04d}", line)
                else:
                    await send_mandarin(bot, phones[n - first], line)
                run["latencies"].append((time.perf_counter() - t0) * 1000)
            run["wall"] += time.perf_counter() - started
    return runs


async def heldout_accuracy(bot, path: Path) -> float:
    from tests.bot.test_rasa_checks import _examples

    pairs = _examples(path)
    hits = 0
    for text, intent in pairs:
        hits += (await bot.agent.parse_message(text))["intent"]["name"] == intent
    return hits / len(pairs)


def measure_model(model: Path, conversations: int) -> dict:
    """Load, warm up, converse in both languages, parse the held-out files; in this process."""
    from bot.inprocess import InProcessBot
    from tests.bot.test_rasa_checks import HELDOUT

    t0 = time.perf_counter()
    bot = InProcessBot.load(model)
    load_s = time.perf_counter() - t0
    loop = asyncio.new_event_loop()
    loop.run_until_complete(converse(bot, 3, first=9000))  # warm-up: first calls compile and cache
    runs = loop.run_until_complete(converse(bot, conversations))
    result: dict = {"load_s": load_s}
    for language, run in runs.items():
        latencies = run["latencies"]
        result[language] = {"p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99),
                            "turns": len(latencies), "conv_per_s": conversations / run["wall"],
                            "accuracy": loop.run_until_complete(heldout_accuracy(bot, HELDOUT[language]))}
    return result


def measure_one(config: Path, conversations: int) -> dict:
    """Runs in a child process, pinned to one core, on a fresh database."""
    os.sched_setaffinity(0, {0})  # conversations per second on one core
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SCREENING_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        from bot.model import ensure_model

        return measure_model(ensure_model(config), conversations)


def run_child(config: Path, conversations: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.run", "--child", str(config), "--conversations",
                          str(conversations)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"benchmark of {config.name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(results: dict[str, dict]) -> None:
    """English beside Mandarin, lean and stock, each target on the line of its figures."""
    (lean_label, lean), (stock_label, stock) = results.items()
    lean_name, stock_name = lean_label.split()[0], stock_label.split()[0]
    share = lean["zh"]["p50_ms"] / lean["en"]["p50_ms"]
    print(f"\n{'':32}{'English':>10}{'Mandarin':>10}   target")
    for name, run in ((lean_name, lean), (stock_name, stock)):
        for key in ("p50_ms", "p99_ms"):
            target = f"Mandarin/English {share:.2f}x <= 1.50x: {_verdict(share <= 1.5)}" \
                if run is lean and key == "p50_ms" else ""
            _row(f"{key[:3]} turn latency (ms), {name}", run, key, "{:.1f}", target)
    for key in ("p50_ms", "p99_ms"):
        speedup = {language: stock[language][key] / lean[language][key] for language in LANGUAGES}
        print(f"{key[:3] + ' ' + lean_name + ' speed-up over ' + stock_name:32}"
              + "".join(f"{speedup[language]:>9.2f}x" for language in LANGUAGES)
              + f"   >= 3x in both: {_verdict(min(speedup.values()) >= 3)}")
    for label, key, fmt in (("held-out intent accuracy", "accuracy", "{:.3f}"),
                            ("conversations/s one core", "conv_per_s", "{:.2f}")):
        for name, run in ((lean_name, lean), (stock_name, stock)):
            _row(f"{label}, {name}", run, key, fmt)
    print(f"{'model load (s), lean / stock':32}{lean['load_s']:>10.2f}{stock['load_s']:>10.2f}   (both languages)")
    print(f"\n(lean = {lean_label}, stock = {stock_label}; "
          f"{lean['en']['turns']} English and {lean['zh']['turns']} Mandarin timed turns each)")


def _row(label: str, run: dict, key: str, fmt: str, target: str = "") -> None:
    print(f"{label:32}" + "".join(f"{fmt.format(run[language][key]):>10}" for language in LANGUAGES)
          + (f"   {target}" if target else ""))


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("conversation", "edge", "engine", "voice", "export", "web", "workers",
                                           "stores", "load", "status"))
    parser.add_argument("--households", type=int, default=1_000_000, help="rows for the import and plan benchmarks")
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls for the voice benchmark")
    parser.add_argument("--screenings", type=int, default=1_000_000, help="rows for the export benchmark")
    parser.add_argument("--levels", default="10,25,50,100,150", help="concurrent calls for the workers benchmark")
    parser.add_argument("--rates", default="1,2,4,6,8,10", help="offered households/s for the load benchmark")
    parser.add_argument("--load-seconds", type=float, default=60, help="seconds of offered load per rate")
    parser.add_argument("--workers", default="1,2", help="load benchmark: Sanic workers, each in turn")
    parser.add_argument("--voice-order", default="inprocess,inprocess2", help="voice benchmark: the servers, "
                        "in order (inprocess, inprocess2, redis1, server, backlog100)")
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
        voice(args.calls, args.voice_order)
    if args.only in (None, "export"):
        export(args.screenings, args.xlsx_fifth)
    if args.only in (None, "web"):
        web()
    if args.only in (None, "workers"):
        workers(args.levels)
    if args.only in (None, "stores"):
        stores()
    if args.only in (None, "load"):
        load(args.rates, args.load_seconds, args.workers)
    if args.only in (None, "status"):
        status()
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


def engine_child(*args: str, progress: bool = False) -> dict:
    """The child's last stdout line, as JSON; with `progress`, its stderr (a line per step) is
    shown as it goes rather than kept for a failure's message."""
    out = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=None if progress else subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed" + (":\n" + out.stderr[-3000:] if out.stderr else " (its output is above)"))
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
    estimated = engine_child("bench.engine_bench", "estimate", "--households", str(households))
    print(f"  estimate {households / 1e6:g}M households: {estimated['seconds']:.1f} s (target < 60 s); "
          f"{estimated['rounds']} rounds, {estimated['attempts']:,} attempts", flush=True)
    for cps in (20, 100):
        rate = engine_child("bench.engine_bench", "dispatch", "--cps", str(cps), "--seconds", "8")
        print(f"  dispatch at {cps} calls/s: achieved {rate['achieved_cps']:.2f}/s = {rate['ratio']:.3f} of the "
              f"configured rate (target >= 0.95); at most {rate['max_in_any_second']} starts in any second", flush=True)


def edge() -> None:
    from bench.edge_bench import report

    print("\nEdge checks (lean model, one core, with and without, interleaved) ...", flush=True)
    report(engine_child("bench.edge_bench"))


def voice(calls: int, order: str) -> None:
    from bench.voice_bench import report

    print(f"\nVoice webhooks ({calls} concurrent simulated calls, live servers: {order}) ...", flush=True)
    report(engine_child("bench.voice_bench", "--calls", str(calls), "--order", order))



def export(screenings: int, xlsx_fifth: bool) -> None:
    from bench.export_bench import report

    print(f"\nConsole exports ({screenings:,} screenings, live console, a fresh process per format) ...", flush=True)
    report(engine_child("bench.export_bench", "all", "--rows", str(screenings), *(["--xlsx-fifth"] * xlsx_fifth)))


def web() -> None:
    from bench.web_bench import report

    print("\nResidents' web page (live server) ...", flush=True)
    report(engine_child("bench.web_bench"))


def workers(levels: str) -> None:
    from bench.workers_bench import report

    print(f"\nWorkers: voice webhooks, 1 Sanic worker against 2 (Redis), at {levels} concurrent calls ...", flush=True)
    report(engine_child("bench.workers_bench", "--levels", levels))


def stores() -> None:
    from bench.store_bench import report

    print("\nTurn cost by tracker store (lean model, one core, interleaved) ...", flush=True)
    report(engine_child("bench.store_bench"))


def load(rates: str, seconds: float, workers: str) -> None:
    from bench.load_bench import report

    print(f"\nRealistic load: households offered at {rates}/s, {seconds:g} s each, through the dispatcher, "
          f"Sanic workers {workers} ...", flush=True)
    report(engine_child("bench.load_bench", "--rates", rates, "--seconds", str(seconds), "--workers", workers,
                        progress=True))


def status() -> None:
    from bench.status_bench import report

    print("\nStatus callbacks: a transaction each (before group commit) against group commit, two live servers ...", flush=True)
    report(engine_child("bench.status_bench"))


if __name__ == "__main__":
    sys.exit(main())
