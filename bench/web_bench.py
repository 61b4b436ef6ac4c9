"""The residents' web page on the live server: its first load and the time to its first question,
and turns of many web conversations at once.

One live server (`tests.live`: the real Rasa server with the `web` channel, and the action server,
on a SQLite file in a temp dir). First load: the bytes of GET /r/<token> (HTML with its CSS and
script inline: the whole page) and of GET /report. Time to first question: from sending GET
/r/<token> to the end of the POST /r/<token>/start that brings the greeting and its question, as
the page does it, for fresh links one after another (one warm-up first, not counted). Then
`--conversations` links answer a whole screening at once (each resident thinks 1-3 s between
answers), and every turn (POST .../say) is timed.
Usage: python -m bench.web_bench [--first 30] [--conversations 200] [--seed 7]   (prints JSON on its last line)
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import Session

TARGET_BYTES, TARGET_FIRST_MS, TARGET_TURN_P99_MS = 100_000, 300.0, 300.0
ANSWERS = [["yes", "36.6", "none", "no"], ["yes", "38.2", "cough, headache", "no"],
           ["yes", "I don't have a thermometer", "no", "tiredness", "no"]]


def links_for(engine, count: int) -> list[str]:
    from campaigns.records import links
    from campaigns.records.models import Attempt, Campaign, Household

    now, paths = datetime.now(timezone.utc), []
    with Session(engine) as session:
        session.add(Campaign(id="web-bench", spec_json=json.dumps({"language": "en"})))
        session.flush()
        for n in range(count):
            session.add(Household(id=f"WB-{n}", phone=f"+1415777{n:04d}", contact_name=f"Resident {n}", timezone="UTC"))
            session.flush()
            attempt = Attempt(campaign_id="web-bench", household_id=f"WB-{n}", day=date.today(), round_no=1,
                              channel="chat_link", due_at=now, status="dialing", conversation_id=f"WB-{n}:a1")
            session.add(attempt)
            session.flush()
            paths.append("/r/" + links.mint(session, attempt_id=attempt.id, expires_at=now + timedelta(hours=12)))
        session.commit()
    return paths


def fetch(url: str, body: dict | None = None) -> tuple[bytes, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        raw = answer.read()
        return raw, (json.loads(raw) if body is not None else {})


def first_question(url: str) -> float:
    started = time.perf_counter()
    fetch(url)
    _, reply = fetch(url + "/start", {})
    assert reply["question"] == "good_time", reply
    return (time.perf_counter() - started) * 1000


def converse(url: str, answers: list[str], rng: random.Random) -> tuple[list[float], int]:
    """(the times of the turns answered, how many were not: an error or over 120 s)."""
    turns, failed = [], 0
    try:
        fetch(url + "/start", {})
    except OSError:
        return [], len(answers)
    for answer in answers:
        time.sleep(rng.uniform(1, 3))
        started = time.perf_counter()
        try:
            fetch(url + "/say", {"message": answer})
        except OSError:
            failed += 1
            continue
        turns.append((time.perf_counter() - started) * 1000)
    return turns, failed


def measure(first: int, conversations: int, seed: int) -> dict:
    from campaigns.records.db import get_engine
    from tests import live

    with tempfile.TemporaryDirectory() as tmp:
        server = live.start(Path(tmp), startup_seconds=600,
                            extra_env={"SCREENING_CHAT_MESSAGES_PER_MINUTE": "1000"})
        try:
            paths = links_for(get_engine(server.database_url), 1 + first + conversations)
            page, _ = fetch(server.url + paths[0])
            walk_in, _ = fetch(server.url + "/report")
            first_ms = [first_question(server.url + path) for path in paths[:1 + first]][1:]
            rng = random.Random(seed)
            plans = [(server.url + path, ANSWERS[n % len(ANSWERS)], random.Random(rng.random()))
                     for n, path in enumerate(paths[1 + first:])]
            print(json.dumps({"first_question_ms": first_ms}), file=sys.stderr, flush=True)
            with ThreadPoolExecutor(max_workers=max(conversations, 1)) as pool:
                done = list(pool.map(lambda plan: converse(*plan), plans))
            turns, failed = [t for found, _ in done for t in found], sum(f for _, f in done)
        finally:
            live.stop(server)
    ordered = sorted(turns) or [0.0]
    return {"link_page_bytes": len(page), "walk_in_page_bytes": len(walk_in),
            "first_question_p50_ms": statistics.median(first_ms), "first_question_max_ms": max(first_ms),
            "conversations": conversations, "turns": len(turns), "turns_failed": failed, "turn_p50_ms": statistics.median(ordered),
            "turn_p99_ms": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]}


def report(result: dict) -> None:
    def verdict(value: float, target: float) -> str:
        return "met" if value < target else "MISSED"

    print(f"  first load: link page {result['link_page_bytes']:,} B, walk-in page {result['walk_in_page_bytes']:,} B "
          f"(HTML, CSS and script in one response); target < {TARGET_BYTES:,} B: "
          f"{verdict(max(result['link_page_bytes'], result['walk_in_page_bytes']), TARGET_BYTES)}")
    print(f"  time to first question: p50 {result['first_question_p50_ms']:.0f} ms, max "
          f"{result['first_question_max_ms']:.0f} ms; target < {TARGET_FIRST_MS:.0f} ms: "
          f"{verdict(result['first_question_p50_ms'], TARGET_FIRST_MS)}")
    print(f"  {result['conversations']} web conversations at once: {result['turns']} turns, p50 "
          f"{result['turn_p50_ms']:.0f} ms, p99 {result['turn_p99_ms']:.0f} ms, {result['turns_failed']} not "
          f"answered within 120 s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=30, help="links opened one after another")
    parser.add_argument("--conversations", type=int, default=200, help="web conversations at once")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.first, args.conversations, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
