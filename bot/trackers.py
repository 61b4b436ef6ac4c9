"""Rasa's SQL tracker store, with the conversations in use kept in memory while they provably match
the database: a turn reads one aggregate row instead of every event of the conversation, and
writes its new events without first counting the stored ones.

The database stays the truth. Per conversation this process remembers what the database held
when it last read or wrote it: how many rows, the highest `events.id` and the newest timestamp.
A retrieve asks the database for those three (one indexed query on `sender_id`); only when they
are unchanged does it hand out a copy of the tracker it keeps, else it loads as Rasa does.
Another replica's turn adds rows (the count and the highest id change), retention deletes them
(the count changes), a restart starts with nothing kept, and a save that fails forgets the
conversation, so the next turn loads it.

On a SQLite file its connections are pooled: SQLAlchemy 1.4 gives such an engine no pool, so
Rasa's store opened a connection (and set its pragmas) for every read and every write of a turn.

The kept tracker is the one Rasa would load: built by Rasa from the rows, then advanced with each
saved event as read back from its stored JSON, never with the caller's objects. It is kept
pickled, so every retrieve hands out a deep copy that Rasa may change freely. The object it was
pickled from is kept too, for the most recent conversations (`BUILT_TRACKERS`): the next save
advances it instead of unpickling the kept bytes again (a retrieve, a save: one unpickling a turn,
not two). Nobody else ever holds it.

A tracker handed out (or saved) here is marked with how many of its events are stored; saving it
writes only the events after those. A tracker without a current mark (a new conversation, or the
conversation changed here since) is saved as Rasa saves it, counting the stored events.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

log = logging.getLogger(__name__)
KEPT_TRACKERS = 4096  # conversations kept; a live call's turns come seconds apart
KEPT_BYTES = 64 * 2**20  # their pickled trackers, in all (a finished screening is ~12 KB)
BUILT_TRACKERS = 512  # conversations whose kept tracker is also kept unpickled: more than calls live at once
BUILT_BYTES = 16 * 2**20  # the pickled size of those, in all (in memory, a few times that)
MARK = "_stored_events"  # on a tracker handed out: (the kept state it came from, events already stored)
_states = itertools.count(1)  # numbers every kept state, across all stores of the process
_NEW_IDS = sa.text("SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, :n)")


@dataclass(frozen=True)
class Rows:
    """A conversation's rows in the database, in brief: enough to see that nothing changed."""

    count: int
    max_id: Optional[int]
    max_timestamp: Optional[float]


@dataclass(frozen=True)
class Kept:
    """A conversation as this process last read or wrote it."""

    rows: Rows
    tracker: bytes  # pickled: the tracker Rasa's retrieve would build from those rows
    events: int  # that tracker's events (the latest session's)
    session_start: Optional[float]  # the newest SessionStarted's timestamp, None if none is stored
    state: int  # from _states; a mark naming another state is out of date


@dataclass(frozen=True)
class Row:
    """One new event, as it is written."""

    values: dict[str, Any]  # the `events` columns

    @property
    def timestamp(self) -> Optional[float]:
        return self.values["timestamp"]

    @property
    def is_session_start(self) -> bool:
        return self.values["type_name"] == SessionStarted.type_name


def row_of(sender_id: str, event) -> Row:
    """The row Rasa's SQLTrackerStore.save writes for `event`."""
    data = event.as_dict()
    return Row({"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data)})


class KeptSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that keeps recently used trackers while the database provably holds them."""

    def __init__(self, *args: Any, kept_trackers: int = KEPT_TRACKERS, kept_bytes: int = KEPT_BYTES,
                 **kwargs: Any) -> None:
        self._kept: "OrderedDict[str, Kept]" = OrderedDict()
        self._kept_bytes = 0
        self._built: "OrderedDict[str, tuple[int, DialogueStateTracker, int]]" = OrderedDict()  # state, tracker, bytes
        self._built_bytes = 0
        self._kept_limits = (int(kept_trackers), int(kept_bytes))
        self._kept_lock = threading.Lock()
        self.kept_reads = self.loads = 0  # retrieves served from memory, and loaded from the rows
        self.built_advances = 0  # saves that advanced the kept object instead of unpickling
        super().__init__(*args, **kwargs)
        self._pool_a_sqlite_file()
        events = self.SQLEvent
        self._rows_query = sa.select(sa.func.count(events.id), sa.func.max(events.id),
                                     sa.func.max(events.timestamp)).where(events.sender_id == sa.bindparam("sender"))

    def _pool_a_sqlite_file(self) -> None:
        """Replace an unpooled engine on a SQLite file by a pooled one, tuned as the channels tune
        the tracker store's engine (WAL, synchronous=NORMAL on each new connection)."""
        engine = self.engine
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not isinstance(engine.pool, sa.pool.NullPool) \
                or not database or database == ":memory:" or database.startswith("file:"):
            return
        from bot.channels.storage import tune_tracker_engine

        # check_same_thread: a pooled connection may be handed out on another thread than the one
        # that opened it (one at a time); the project's own engine is made the same way.
        pooled = sa.create_engine(engine.url, poolclass=sa.pool.QueuePool,
                                  connect_args={"check_same_thread": False})
        tune_tracker_engine(pooled)  # before its first connection
        engine.dispose()
        self.engine = pooled
        self.sessionmaker.configure(bind=pooled)

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        domain = domain or Domain.empty()
        if domain is not self._domain:
            self.forget_all()  # kept trackers hold the old domain's slots
        self._domain = domain

    # --- reading -------------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        with self._reading() as connection:
            rows = self._rows(connection, sender_id)
        if rows.count == 0:
            self.forget(sender_id)
            return None
        kept = self._get(sender_id)
        if kept is not None and kept.rows == rows:
            self.kept_reads += 1
            tracker = pickle.loads(kept.tracker)
            setattr(tracker, MARK, (kept.state, kept.events))
            return tracker
        # Counted before loading: rows added in between make the next count differ (a reload).
        self.loads += 1
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            kept = self._keep(sender_id, rows, tracker)
            if kept is not None:
                setattr(tracker, MARK, (kept.state, kept.events))
        return tracker

    def _rows(self, connection, sender_id: str) -> Rows:
        count, max_id, max_timestamp = connection.execute(self._rows_query, {"sender": sender_id}).one()
        return Rows(count, max_id, max_timestamp)

    @contextlib.contextmanager
    def _reading(self):
        """A connection for one read: on PostgreSQL outside any transaction (no BEGIN and
        ROLLBACK round trips), elsewhere a session's, as Rasa reads."""
        if self._autocommits():
            with self._autocommit() as connection:
                yield connection
        else:
            with self.session_scope() as session:
                yield session.connection()

    def _autocommits(self, rows: int = 1) -> bool:
        """Whether to run without a transaction: on PostgreSQL, where one statement is whole by
        itself, for a read or an INSERT that psycopg2 sends as one statement (execute_values)."""
        dialect = self.engine.dialect
        return dialect.name == "postgresql" and (rows == 1 or bool(
            getattr(dialect, "executemany_mode", 0) & 2 and rows <= getattr(dialect, "executemany_values_page_size", 0)))

    @contextlib.contextmanager
    def _autocommit(self):
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    # --- writing -------------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        kept, mark = self._get(sender_id, touch=False), getattr(tracker, MARK, None)
        try:
            if (kept is not None and mark is not None and mark[0] == kept.state and tracker.events.maxlen is None
                    and len(tracker.events) >= mark[1]):
                self._save_after(tracker, kept, mark[1])
            else:
                self._save_counting(tracker)
        except BaseException:  # a failed or interrupted commit: what the database holds is unknown
            self.forget(sender_id)
            raise

    def _save_after(self, tracker: DialogueStateTracker, kept: Kept, stored: int) -> None:
        """Write the events after the first `stored`, which the database holds as `kept` says."""
        new = [row_of(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
        if not new:
            return
        last_id = None
        if self._autocommits(len(new)):  # one INSERT, whole by itself: no BEGIN and COMMIT round trips
            with self._autocommit() as connection:
                last_id = self._insert(connection, new, one_statement=True)
        if last_id is None:
            with self.session_scope() as session:
                last_id = self._insert(session.connection(), new)
                session.commit()
        self._advance(tracker, kept, new, last_id)

    def _save_counting(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save: the stored events of the latest session are counted and skipped. A new
        conversation's tracker is then kept; any other is left for the next retrieve to load."""
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            before = self._rows(session.connection(), sender_id)
            events = tracker.events if before.count == 0 else self._additional_events(session, tracker)
            new = [row_of(sender_id, event) for event in events]
            last_id = self._insert(session.connection(), new) if new else None
            session.commit()
        self.forget(sender_id)
        if before.count == 0 and new:
            self._start(tracker, new, last_id)

    def _insert(self, connection, rows: list[Row], one_statement: bool = False) -> Optional[int]:
        """Insert the rows with ids in event order (Rasa loads them by id); returns the last id.
        On PostgreSQL the ids are drawn from the table's sequence first and given out in order,
        so all rows go in one statement (one round trip, not one per event). With `one_statement`
        and no sequence found, nothing is written and None returned."""
        insert = self.SQLEvent.__table__.insert()
        if connection.dialect.name == "postgresql" and len(rows) > 1:
            ids = sorted(i for i in connection.execute(_NEW_IDS, {"n": len(rows)}).scalars() if i is not None)
            if len(ids) == len(rows):
                connection.execute(insert, [{**row.values, "id": id_} for row, id_ in zip(rows, ids)])
                return ids[-1]
            if one_statement:
                return None
        for row in rows:  # SQLite (in-process, no round trips), or a table without a sequence
            result = connection.execute(insert, row.values)
        return result.inserted_primary_key[0]

    # --- the kept trackers -----------------------------------------------------------------------

    def _advance(self, tracker: DialogueStateTracker, kept: Kept, new: list[Row], last_id: int) -> None:
        """After a commit: keep the tracker Rasa would now load, built from the stored JSON."""
        try:
            rows = _rows_after(kept.rows, new, last_id)
            starts = [row.timestamp for row in new if row.is_session_start]
            if not starts and _all_at_or_after(new, kept.session_start):
                built = self._take_built(tracker.sender_id, kept.state)
                if built is None:
                    built = pickle.loads(kept.tracker)
                for event in deserialise_events([json.loads(row.values["data"]) for row in new]):
                    built.update(event)
                self._store(tracker, rows, built, kept.session_start)
            elif starts and None not in starts and (kept.rows.max_timestamp is None
                                                    or kept.rows.max_timestamp < max(starts)):
                # A new session: Rasa loads only the rows stamped at or after its start.
                self._rebuild(tracker, rows, [row for row in new if _at_or_after(row, max(starts))])
            else:
                self.forget(tracker.sender_id)  # an order of timestamps only a reload gets right
        except Exception:  # the turn is stored; only keeping it failed
            log.exception("conversation %s: could not keep its tracker; it will be reloaded", tracker.sender_id)
            self.forget(tracker.sender_id)

    def _start(self, tracker: DialogueStateTracker, new: list[Row], last_id: int) -> None:
        """A conversation whose every row this save wrote."""
        try:
            rows = _rows_after(Rows(0, None, None), new, last_id)
            starts = [row.timestamp for row in new if row.is_session_start]
            if starts and None in starts:
                return
            start = max(starts) if starts else None
            self._rebuild(tracker, rows, [row for row in new if start is None or _at_or_after(row, start)])
        except Exception:
            log.exception("conversation %s: could not keep its tracker; it will be reloaded", tracker.sender_id)
            self.forget(tracker.sender_id)

    def _rebuild(self, tracker: DialogueStateTracker, rows: Rows, session_rows: list[Row]) -> None:
        """Keep the tracker Rasa builds from these rows (the latest session's, in order)."""
        built = DialogueStateTracker.from_dict(tracker.sender_id, [json.loads(row.values["data"]) for row in session_rows],
                                               self.domain.slots)
        self._store(tracker, rows, built, _session_start(built))

    def _store(self, tracker: DialogueStateTracker, rows: Rows, built: DialogueStateTracker,
               session_start: Optional[float]) -> None:
        kept = self._put(tracker.sender_id, Kept(rows, pickle.dumps(built, pickle.HIGHEST_PROTOCOL),
                                                 len(built.events), session_start, next(_states)))
        if kept is not None:  # the saved tracker's events are all stored now
            setattr(tracker, MARK, (kept.state, len(tracker.events)))
            self._keep_built(tracker.sender_id, kept, built)

    def _keep(self, sender_id: str, rows: Rows, tracker: DialogueStateTracker) -> Optional[Kept]:
        """Keep a tracker just loaded by Rasa, before anyone changes it."""
        return self._put(sender_id, Kept(rows, pickle.dumps(tracker, pickle.HIGHEST_PROTOCOL),
                                         len(tracker.events), _session_start(tracker), next(_states)))

    def _get(self, sender_id: str, touch: bool = True) -> Optional[Kept]:
        with self._kept_lock:
            kept = self._kept.get(sender_id)
            if kept is not None and touch:
                self._kept.move_to_end(sender_id)
            return kept

    def _put(self, sender_id: str, kept: Kept) -> Optional[Kept]:
        """Keep `kept`, dropping the least recently used beyond the limits; None if it is too big."""
        most, most_bytes = self._kept_limits
        with self._kept_lock:
            self._drop(sender_id)
            if len(kept.tracker) > most_bytes or most < 1:
                return None
            self._kept[sender_id] = kept
            self._kept_bytes += len(kept.tracker)
            while len(self._kept) > most or self._kept_bytes > most_bytes:
                self._drop(next(iter(self._kept)))
            return kept

    def _drop(self, sender_id: str) -> None:
        gone = self._kept.pop(sender_id, None)
        if gone is not None:
            self._kept_bytes -= len(gone.tracker)
        self._drop_built(sender_id)

    def _keep_built(self, sender_id: str, kept: Kept, built: DialogueStateTracker) -> None:
        """Keep the object `kept.tracker` was pickled from, to be advanced by the next save."""
        size = len(kept.tracker)
        with self._kept_lock:
            self._drop_built(sender_id)
            if size > BUILT_BYTES or self._kept.get(sender_id) is not kept:
                return
            self._built[sender_id] = (kept.state, built, size)
            self._built_bytes += size
            while len(self._built) > BUILT_TRACKERS or self._built_bytes > BUILT_BYTES:
                self._drop_built(next(iter(self._built)))

    def _take_built(self, sender_id: str, state: int) -> Optional[DialogueStateTracker]:
        """The kept object of this state, now the caller's alone; None if it is not kept."""
        with self._kept_lock:
            found = self._built.get(sender_id)
            if found is None or found[0] != state:
                return None
            self._drop_built(sender_id)
            self.built_advances += 1
            return found[1]

    def _drop_built(self, sender_id: str) -> None:
        gone = self._built.pop(sender_id, None)
        if gone is not None:
            self._built_bytes -= gone[2]

    def forget(self, sender_id: str) -> None:
        """Load this conversation from the database next time."""
        with self._kept_lock:
            self._drop(sender_id)

    def forget_all(self) -> None:
        with self._kept_lock:
            self._kept.clear()
            self._kept_bytes = 0
            self._built.clear()
            self._built_bytes = 0

    def kept_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """A copy of the tracker kept for this conversation, if any (for checks)."""
        kept = self._get(sender_id, touch=False)
        return None if kept is None else pickle.loads(kept.tracker)

    def kept_size(self) -> tuple[int, int]:
        """(conversations kept, bytes of their pickled trackers)."""
        with self._kept_lock:
            return len(self._kept), self._kept_bytes


def _rows_after(before: Rows, new: list[Row], last_id: int) -> Rows:
    stamps = [row.timestamp for row in new if row.timestamp is not None]
    if before.max_timestamp is not None:
        stamps.append(before.max_timestamp)
    return Rows(before.count + len(new), last_id, max(stamps) if stamps else None)


def _at_or_after(row: Row, start: float) -> bool:
    return row.timestamp is not None and row.timestamp >= start


def _all_at_or_after(rows: list[Row], start: Optional[float]) -> bool:
    """Whether Rasa's load (rows stamped at or after the session's start) takes all of `rows`."""
    return start is None or all(_at_or_after(row, start) for row in rows)


def _session_start(tracker: DialogueStateTracker) -> Optional[float]:
    starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
    return max(starts) if starts else None
