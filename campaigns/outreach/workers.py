"""Dispatcher liveness. Each dispatcher beats a heartbeat row; another one takes back its
claims once the heartbeat is stale, or at once when it ran on this host and its process is gone."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlmodel import Session, select

from campaigns.records.attempts import ACTIVE
from campaigns.records.models import Attempt, Worker

BEAT_EVERY = timedelta(seconds=5)
# A peer is declared dead when its heartbeat is older than stale_after, so a live one must
# beat several times within it: with stale_after=5 s and a beat every 5 s, a tick 0.1 s late
# (or 0.1 s of clock skew between hosts) made a live dispatcher look dead and its calls be redialled.
BEATS_PER_STALE = 3


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


class Workers:
    def __init__(self, engine, *, worker: str, stale_after: timedelta) -> None:
        self.engine = engine
        self.worker = worker
        self.stale_after = stale_after
        self.beat_every = min(BEAT_EVERY, stale_after / BEATS_PER_STALE)
        self.host = socket.gethostname()
        self._beaten: datetime | None = None

    def beat(self, now: datetime) -> None:
        """Record that this dispatcher is alive; written at most every `beat_every`."""
        if self._beaten is not None and timedelta(0) <= now - self._beaten < self.beat_every:
            return
        self._beaten = now
        with Session(self.engine) as session:
            row = session.get(Worker, self.worker)
            if row is None:
                row = Worker(id=self.worker, host=self.host, pid=os.getpid(), started_at=now)
            row.heartbeat_at = now
            session.add(row)
            session.commit()

    def dead(self, now: datetime) -> list[str]:
        """Other dispatchers that stopped: stale heartbeat, or a vanished process on this host."""
        with Session(self.engine) as session:
            rows = session.exec(select(Worker).where(Worker.id != self.worker)).all()
            holders = set(session.exec(select(Attempt.worker).where(
                Attempt.status.in_(ACTIVE), Attempt.worker.is_not(None)).distinct()).all())
        dead = [row.id for row in rows
                if now - row.heartbeat_at > self.stale_after
                or (row.host == self.host and not process_alive(row.pid))]
        orphans = holders - {row.id for row in rows} - {self.worker}  # work of a worker whose row is gone
        return dead + sorted(orphans)

    def forget(self, workers: list[str]) -> None:
        with Session(self.engine) as session:
            for worker_id in workers:
                row = session.get(Worker, worker_id)
                if row is not None:
                    session.delete(row)
            session.commit()

    def stop(self) -> None:
        self.forget([self.worker])
