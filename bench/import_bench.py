"""Household import at scale: a synthetic CSV into a fresh SQLite file, in a fresh process.

The import runs in a child process (`python -c`) so its time and peak memory are its own:
peak_rss_mb is the child's peak plus, per parsing worker, the largest worker's peak (an upper
bound on what the process tree held at once; ru_maxrss of RUSAGE_CHILDREN is the largest
single child, not a sum).
Usage: python -m bench.import_bench [--rows N]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZONES = ("America/New_York", "America/Chicago", "Asia/Shanghai", "Europe/London", "", "America/Los_Angeles",
         "Africa/Nairobi", "Asia/Kolkata")
US_AREAS = (212, 202, 415, 312, 617, 713, 305, 206, 404, 503, 602, 720)
US_EXCHANGES = tuple(n for n in range(200, 1000) if n % 100 != 11)  # N11 codes are services, not numbers
HEADER = ("household_id", "phone", "contact_name", "members", "member_names", "language", "timezone",
          "community", "pickup")

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from campaigns.household_lists import importer
from campaigns.records.db import get_engine
engine = get_engine("sqlite:///" + sys.argv[1])
started = time.perf_counter()
report = household_import.import_households(engine, path=Path(sys.argv[2]), region="US",
                                            default_timezone="UTC", rejects_path=Path(sys.argv[3]))
seconds = time.perf_counter() - started
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
own, workers = me.ru_maxrss / 1024, kids.ru_maxrss / 1024
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "created": report.created, "updated": report.updated,
                  "rejected": report.rejected, "main_rss_mb": own, "worker_rss_mb": workers,
                  "workers": household_import._workers(Path(sys.argv[2]))}))
"""


def phone(n: int) -> str:
    """A distinct valid number for each n: two US numbers (in three writings) to one Chinese."""
    if n % 3 == 2:
        k = n // 3
        return f"+86 139 {k // 10000:04d} {k % 10000:04d}"
    u = n - n // 3  # the index among the US numbers
    area = US_AREAS[u % len(US_AREAS)]
    rest = u // len(US_AREAS)
    exchange, line = US_EXCHANGES[rest % len(US_EXCHANGES)], rest // len(US_EXCHANGES) % 10000
    writings = (f"({area}) {exchange}-{line:04d}", f"{area}-{exchange}-{line:04d}", f"+1 {area} {exchange} {line:04d}")
    return writings[u % 3]


def synthetic_row(n: int) -> list:
    """Row n of the synthetic list; about 1.6% of rows are invalid in one way or another."""
    members = 1 + n % 6
    names = ";".join(f"P{n}-{i}" for i in range(min(members, 3))) if n % 2 else ""
    row = [f"H{n:08d}", phone(n), f"Contact {n}", str(members), names, ("en", "zh", "es")[n % 3],
           ZONES[n % len(ZONES)], f"community-{n % 200}", "yes"]
    if n % 97 == 13:
        row[1] = "12345"  # invalid phone
    elif n % 211 == 17:
        row[6] = "Mars/Olympus"  # unknown zone
    elif n % 503 == 19:
        row[3] = "0"  # bad members
    elif n % 1009 == 23:
        row[0] = f"H{n - 1:08d}"  # repeated household_id
    return row


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(synthetic_row(n))


def run(rows: int = 1_000_000) -> dict:
    """Write `rows` synthetic households and import them in a fresh child process; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        source, db = Path(tmp) / "households.csv", Path(tmp) / "bench.db"
        write_csv(source, rows)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(db), str(source), str(Path(tmp) / "rejects.csv")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the import child failed:\n{done.stderr}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    peak = child["main_rss_mb"] + child["workers"] * child["worker_rss_mb"]
    return {
        "rows": rows, "seconds": round(child["seconds"], 2), "rows_per_s": round(rows / child["seconds"]),
        "peak_rss_mb": round(peak, 1), "main_rss_mb": round(child["main_rss_mb"], 1),
        "worker_rss_mb": round(child["worker_rss_mb"], 1), "workers": child["workers"],
        "cpu_seconds": round(child["cpu_seconds"], 1), "wall_seconds": round(wall, 2),
        "created": child["created"], "rejected": child["rejected"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="households in the synthetic file")
    print(json.dumps(run(parser.parse_args(argv).rows)))


if __name__ == "__main__":
    main()
