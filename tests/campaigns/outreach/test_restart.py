"""`screening run` killed with SIGKILL mid-round and started again: every household is reached
exactly once, nothing stays claimed or in a call, and interrupted calls are retried.

Real processes, a real SQLite file, the real trained model and actions, the simulated carrier.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.cli import main
from campaigns.household_lists.importer import import_households
from campaigns.records.models import PENDING_STATUSES, Attempt, AttemptStatus, Screening, Worker
from campaigns.outreach.workers import Workers

ROOT = Path(__file__).resolve().parents[3]
HOUSEHOLDS = 60
CAMPAIGN = "restart-check"
PENDING = [s.value for s in PENDING_STATUSES]
RUNNING = (AttemptStatus.claimed.value, AttemptStatus.dialing.value, AttemptStatus.in_progress.value)


def midday_zone(now: datetime) -> str:
    """An Etc zone where it is now between 12:00 and 13:00 local: the round is due and the window open."""
    offset = 12 - now.hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def write_population(path: Path, zone: str) -> None:
    """Everyone answers and is well; every tenth household has two more members, one of them unwell."""
    columns = ["household_id", "phone", "contact_name", "members", "member_names", "timezone", "pickup",
               "says_consent", "says_temperature", "says_symptoms", "says_others_unwell", "others"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for i in range(HOUSEHOLDS):
            big = i % 10 == 3
            writer.writerow({
                "household_id": f"r{i:03d}", "phone": f"+1415556{i:04d}", "contact_name": f"Contact {i}",
                "members": 3 if big else 1, "member_names": f"Contact {i};Ana;Bo" if big else f"Contact {i}",
                "timezone": zone, "pickup": "answer", "says_consent": "yes", "says_temperature": "36.8",
                "says_symptoms": "no", "says_others_unwell": "yes" if big else "no",
                "others": json.dumps([{"temperature": "36.6", "symptoms": "cough"}]) if big else "",
            })


def write_campaign(path: Path, day: str) -> None:
    path.write_text(
        f"name: {CAMPAIGN}\n"
        f"schedule: {{start: \"{day}\", days: 1, rounds: [\"00:00\"]}}\n"
        "calling_window: {start: \"00:00\", end: \"23:59\"}\n"
        "pacing: {calls_per_second: 8, max_concurrent_calls: 100}\n",
        encoding="utf-8")


class Runner:
    """One `screening run` process; its output goes to a file, shown when the test fails."""

    def __init__(self, tmp_path: Path, population: Path, name: str) -> None:
        self.log = tmp_path / f"{name}.log"
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
        command = [sys.executable, "-m", "campaigns.cli", "run", "--carrier", "simulated",
                   "--population", str(population), "--sim-speed", "0.05", "--stale-after", "5"]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT)

    def output(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int, timeout: float = 30) -> int:
        if self.alive():
            os.kill(self.process.pid, sig)
        return self.process.wait(timeout=timeout)  # reaped: a zombie would still look alive to the next run


def wait_for(what: str, condition: Callable[[], bool], runner: Runner, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if not runner.alive():
            pytest.fail(f"screening run exited ({runner.process.returncode}) before {what}:\n{runner.output()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout:.0f} s:\n{runner.output()}")
        time.sleep(0.2)


def counts(engine) -> tuple[int, int]:
    """(households with a completed attempt, attempts still pending)."""
    with Session(engine) as session:
        done = session.execute(sa.select(sa.func.count(sa.distinct(Attempt.household_id)))
                               .where(Attempt.status == AttemptStatus.completed.value)).scalar_one()
        pending = session.execute(sa.select(sa.func.count()).select_from(Attempt.__table__)
                                  .where(Attempt.status.in_(PENDING))).scalar_one()
    return done, pending


def test_run_killed_mid_round_reaches_every_household_exactly_once(db, model_path, tmp_path):
    now = datetime.now(timezone.utc)
    zone = midday_zone(now)
    population, campaign = tmp_path / "population.csv", tmp_path / f"{CAMPAIGN}.yml"
    write_population(population, zone)
    write_campaign(campaign, now.astimezone(ZoneInfo(zone)).date().isoformat())
    report = import_households(db, path=population, region="US", default_timezone="UTC", rejects_path=None)
    assert (report.created, report.rejected) == (HOUSEHOLDS, 0)
    started = subprocess.run([sys.executable, "-m", "campaigns.cli", "campaign", "start", str(campaign)],
                             cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert f"{HOUSEHOLDS} households" in started.stdout

    first = Runner(tmp_path, population, "first")
    try:
        wait_for(f"{HOUSEHOLDS // 3} households reached", lambda: counts(db)[0] >= HOUSEHOLDS // 3, first, 120)
    finally:  # SIGKILL: no clean-up of any kind, as when the machine or the OOM killer stops it
        first.stop(signal.SIGKILL)
    done, pending = counts(db)
    assert done < HOUSEHOLDS and pending > 0, f"the kill came after the round: {done} reached, {pending} pending"

    second = Runner(tmp_path, population, "second")
    try:
        wait_for("end of the round", lambda: counts(db) == (HOUSEHOLDS, 0), second, 120)
        assert second.stop(signal.SIGTERM) == 0, second.output()
    finally:
        second.stop(signal.SIGKILL)
    logs = f"--- first run ---\n{first.output(30)}\n--- second run ---\n{second.output(30)}"

    with Session(db) as session:
        attempts = session.exec(select(Attempt).order_by(Attempt.household_id, Attempt.try_no)).all()
        screenings = session.exec(select(Screening)).all()
    by_household: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_household[attempt.household_id].append(attempt)
    completed = {h: [a for a in tries if a.status == AttemptStatus.completed.value]
                 for h, tries in by_household.items()}
    assert sorted(by_household) == [f"r{i:03d}" for i in range(HOUSEHOLDS)], logs
    assert {h: len(c) for h, c in completed.items() if len(c) != 1} == {}, logs
    assert [a.id for a in attempts if a.status in RUNNING] == [], logs
    assert {a.round_no for a in attempts} == {1}

    rows: dict[str, list[Screening]] = defaultdict(list)
    for row in screenings:
        rows[row.household_id].append(row)
    assert sorted(rows) == sorted(by_household), logs
    for household, its_rows in rows.items():
        conversations = {row.conversation_id for row in its_rows}
        assert conversations == {completed[household][0].conversation_id}, (household, conversations)
        members = 3 if int(household[1:]) % 10 == 3 else 1
        assert sorted(row.person_index for row in its_rows) == list(range(members)), household

    interrupted = [a for a in attempts if a.status == AttemptStatus.interrupted.value]
    for attempt in interrupted:
        later = [a for a in by_household[attempt.household_id] if a.try_no > attempt.try_no]
        assert any(a.status == AttemptStatus.completed.value for a in later), (attempt, later)
    print(f"reached before the kill: {done}; interrupted: {len(interrupted)}; "
          f"recovered: {sum(1 for a in attempts if (a.detail or '').startswith('recovered'))}")


# --- telling a stopped dispatcher from a live one -------------------------------------------------

@pytest.mark.parametrize("late", [0.0, 0.2, 0.9], ids=["ticks-on-time", "tick-0.2s-late", "tick-0.9s-late"])
def test_workers_live_peer_is_never_dead_with_short_stale_after(db, late):
    """`--stale-after 5` (as above): a peer ticking once a second, now and then a little late, stays alive."""
    t0, stale = datetime(2026, 12, 1, 9, tzinfo=timezone.utc), timedelta(seconds=5)
    live = Workers(db, worker="live", stale_after=stale)
    other = Workers(db, worker="other", stale_after=stale)
    for k in range(31):
        tick = t0 + timedelta(seconds=k + (late if k % 5 == 0 and k else 0))
        if k:
            just_before = tick - timedelta(milliseconds=1)
            assert "live" not in other.dead(just_before), f"declared dead at +{(just_before - t0).total_seconds()} s"
        live.beat(tick)
        assert "live" not in other.dead(tick + timedelta(milliseconds=500))


def test_workers_peer_is_dead_when_stale_or_its_process_is_gone(db):
    t0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: the pid names no process now
    me = Workers(db, worker="me", stale_after=timedelta(seconds=5))
    with Session(db) as session:
        session.add(Worker(id="far", host="another-host", pid=os.getpid(), started_at=t0, heartbeat_at=t0))
        session.add(Worker(id="killed", host=me.host, pid=gone.pid, started_at=t0, heartbeat_at=t0))
        session.commit()
    assert me.dead(t0 + timedelta(seconds=1)) == ["killed"]  # same host, no process: at once
    assert me.dead(t0 + timedelta(seconds=5)) == ["killed"]  # exactly stale_after old: not yet
    assert sorted(me.dead(t0 + timedelta(seconds=5.1))) == ["far", "killed"]


@pytest.mark.parametrize("value", ["1", "0", "-5", "nan"])
def test_run_refuses_stale_after_too_short(db, capsys, value):
    assert main(["run", "--stale-after", value]) == 1
    assert "--stale-after must be at least 3 seconds" in capsys.readouterr().err
