"""Dry runs: a whole campaign on a virtual clock, against simulated residents, through
the real bot. The same dispatcher, planner and carrier interface as a live run; only
the clock and the carrier are simulated, so a health office can rehearse a campaign."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select
from tqdm import tqdm

from campaigns.outreach import lifecycle, planner, schedule
from campaigns.outreach.campaign_file import CampaignSpec
from campaigns.carriers.base import BotClient
from campaigns.carriers.simulated import SimulatedCarrier, Timings
from campaigns.outreach.clock import VirtualClock
from campaigns.outreach.dispatcher import PLAN_EVERY, Dispatcher
from campaigns.household_lists.importer import read_rows
from campaigns.household_lists.rows import HouseholdRow, parse_row
from campaigns.records import counts, screenings
from campaigns.records.counts import Tally
from campaigns.records.models import (PENDING_STATUSES, Attempt, AttemptStatus, Notification,
                                      NotificationStatus)
from campaigns.records.screenings import ChannelCount
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of
from campaigns.carriers.residents import PopulationError, SimResident, resident_from_row

IDLE_STEP = timedelta(hours=1)  # the longest jump of the virtual clock when nothing is due


@dataclass
class Summary:
    households: int
    reached: int
    people_screened: int
    abnormal: int
    urgent: int
    unreachable_days: int
    never_reached: int
    opt_outs: int
    calls_placed: int
    retries: int
    callbacks: int
    alerts: int  # texts to supervisors about urgent escalations
    simulated: timedelta
    wall_seconds: float
    languages: list[tuple[str, Tally]] = field(default_factory=list)  # by the language households are spoken to in
    channels: list[ChannelCount] = field(default_factory=list)  # results by the channel that reached the household
    ticks: int = 0  # the dispatcher's ticks run (in full, or only the claims)
    ticks_skipped: int = 0  # the ticks that would have done nothing (see Ticks)

    def lines(self) -> list[str]:
        speed = self.simulated.total_seconds() / self.wall_seconds if self.wall_seconds else 0.0
        return [
            f"households          {self.households}",
            f"reached             {self.reached}",
            f"people screened     {self.people_screened}",
            f"abnormal            {self.abnormal}",
            f"urgent              {self.urgent}",
            f"unreachable         {self.never_reached} households never reached; "
            f"{self.unreachable_days} household-days sent for a field visit",
            f"opt-outs            {self.opt_outs}",
            f"calls placed        {self.calls_placed}",
            f"retries             {self.retries}",
            f"callbacks           {self.callbacks}",
            f"supervisor alerts   {self.alerts} texts",
            f"simulated time      {_duration(self.simulated)} in {self.wall_seconds:.1f} s of wall time "
            f"({speed:,.0f}x)",
            *self._channel_lines(),
            *self._language_lines(),
        ]

    def _channel_lines(self) -> list[str]:
        """Households reached and result rows (results.csv) per channel: voice, sms, link."""
        if not self.channels:
            return []
        lines = [f"by channel          {'households':>10} {'results':>8}"]
        lines += [f"  {c.channel:<17} {c.households:>10} {c.results:>8}" for c in self.channels]
        return lines

    def _language_lines(self) -> list[str]:
        """Households, reached, screened, abnormal and urgent per language, when there are several."""
        if len(self.languages) < 2:
            return []
        lines = [f"by language         {'households':>10} {'reached':>8} {'screened':>9} {'abnormal':>9} {'urgent':>7}"]
        for code, t in self.languages:
            lines.append(f"  {code:<17} {t.targeted:>10} {t.reached:>8} {t.screened:>9} {t.abnormal:>9} {t.urgent:>7}")
        return lines


def _duration(value: timedelta) -> str:
    hours, rest = divmod(int(value.total_seconds()), 3600)
    return f"{hours // 24}d {hours % 24:02d}h {rest // 60:02d}m"


def load_population(path: Path, *, region: str, default_timezone: str) -> dict[str, SimResident]:
    """Residents by E.164 phone. Rows the import rejects are skipped here too; a malformed
    simulation column fails the whole dry run with its line number."""
    residents, problems = {}, []
    for line, raw in read_rows(path):
        parsed = parse_row(raw, line=line, region=region, default_timezone=default_timezone)
        if not isinstance(parsed, HouseholdRow):
            continue
        try:
            residents[parsed.phone] = resident_from_row(raw)
        except PopulationError as exc:
            problems.append(f"{path}: line {line}: {exc}")
    if problems:
        raise PopulationError("\n".join(problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])))
    return residents


def time_span(session: Session, spec: CampaignSpec) -> tuple[datetime, datetime]:
    """From the first local midnight of the campaign to the close of its last window, over every zone."""
    zones = [ZoneInfo(z) for z in planner.zones(session, campaign_id=spec.name, spec=spec)] or [ZoneInfo("UTC")]
    days, window = spec.days(), spec.window()
    start = min(schedule.local_datetime(days[0], datetime.min.time(), tz) for tz in zones)
    end = max(schedule.window_bounds(days[-1], window, tz)[1] for tz in zones)
    return start, end


async def run(engine, *, spec: CampaignSpec, source: str, residents: dict[str, SimResident], bot: BotClient,
              progress: bool = True, timings: Timings = Timings(),
              skip_idle_ticks: bool = True) -> tuple[Summary, Dispatcher]:
    """Start the campaign at its first day and run it to the end on a virtual clock.
    `skip_idle_ticks=False` ticks the dispatcher in full at every wake-up, as before `Ticks`
    (for tests that check both ways give the same results)."""
    wall = time.perf_counter()
    with Session(engine) as session:
        begin, end = time_span(session, spec)
        lifecycle.start_campaign(session, spec=spec, source=source, now=begin)
        session.commit()
    clock = VirtualClock(begin)
    language = language_of(spec.language) or DEFAULT_LANGUAGE  # residents whose household names none speak it
    dispatcher = Dispatcher(engine, clock=clock, carrier=lambda d: SimulatedCarrier(
        d.on_status, clock=clock, bot=bot, residents=residents, timings=timings, language=language))
    total = (end - begin).total_seconds()
    bar = tqdm(total=round(total / 3600), unit="h", desc=f"dry run {spec.name}", disable=not progress,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} simulated hours {postfix}")
    ticks = Ticks(engine, dispatcher, spec.name, skip_idle=skip_idle_ticks)
    try:
        with bar:
            while True:
                await ticks.tick()
                due = ticks.next_due()
                if due is None and clock.pending() == 0 and clock.now() >= end:
                    with Session(engine) as session:
                        if not _pending(session, spec.name):
                            break
                await clock.run_until(_wake(clock, due, dispatcher.tick_seconds))
                _advance(bar, clock, begin, dispatcher)
            dispatcher.plan(dispatcher.running(), clock.now() + timedelta(days=1))  # the last day's sweep
    finally:
        ticks.close()
    with Session(engine) as session:
        summary = summarize(session, spec.name, dispatcher, clock.now() - begin, time.perf_counter() - wall)
    summary.ticks, summary.ticks_skipped = ticks.full + ticks.claims_only, ticks.skipped
    return summary, dispatcher


# Tables no step of a tick reads outside housekeeping (which runs in full when due): the
# dispatcher's heartbeat, and the results themselves.
UNREAD_BY_TICKS = ("WORKERS", "SCREENINGS")


class Writes:
    """Counts the statements that changed rows in the dry run's database, from any thread (the
    actions write from worker threads): those to `attempts` apart, and every other table's
    together but for UNREAD_BY_TICKS."""

    def __init__(self, engine) -> None:
        self.engine, self.attempts, self.other = engine, 0, 0
        sa.event.listen(engine, "after_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement: str, parameters, context, executemany) -> None:
        if cursor.rowcount == 0:  # an UPDATE or DELETE that matched nothing
            return
        head = statement.lstrip()[:40].upper()
        if head.startswith(("SELECT", "PRAGMA")):
            return
        words = head.split()
        table = words[1] if words[0] == "UPDATE" else words[2] if len(words) > 2 else ""
        if table == "ATTEMPTS":
            self.attempts += 1
        elif table not in UNREAD_BY_TICKS:
            self.other += 1

    def close(self) -> None:
        sa.event.remove(self.engine, "after_cursor_execute", self._seen)


class Ticks:
    """The dispatcher's ticks at each wake-up of the dry run's loop, without the ones that would
    do nothing.

    The loop wakes at every simulated event (each turn of every call) so that the dispatcher
    sees each change at once; live, it ticks once a second whatever the calls do. A tick whose
    every query would come back empty is skipped (its heartbeat is still kept): the last full
    tick wrote nothing (it found no carrier event, alert or proof code to send, and claimed
    nothing), nothing but attempts was written since (and tables no tick reads), no attempt is
    due yet, no alert waits for a confirmation (the one thing a tick does because time passed)
    and housekeeping is not due. Each of those queries then returns what it returned at that
    tick. When attempts are due, only the claims run. So the results are those of ticking in
    full every time (tests/campaigns/outreach/test_dry_run_ticks.py checks it)."""

    def __init__(self, engine, dispatcher: Dispatcher, campaign_id: str, *, skip_idle: bool = True) -> None:
        self.engine, self.dispatcher, self.campaign_id, self.skip_idle = engine, dispatcher, campaign_id, skip_idle
        self.writes = Writes(engine)
        self._idle_at: Optional[int] = None  # `writes.other` after the last full tick that wrote nothing
        self._due: tuple[Optional[tuple[int, int]], Optional[datetime]] = (None, None)  # (writes seen, next due)
        self.full = self.skipped = self.claims_only = 0

    async def tick(self) -> None:
        dispatcher, now = self.dispatcher, self.dispatcher.clock.now()
        if self.skip_idle and self._idle_at == self.writes.other and not self._housekeeping_due(now):
            due = self.next_due()
            if due is None or due > now:
                dispatcher.workers.beat(now)
                self.skipped += 1
            else:  # only the claims have something to do (attempts are due; the line may be full)
                await dispatcher.dispatch(claims_only=True)
                self.claims_only += 1
            return
        before = (self.writes.attempts, self.writes.other)
        await dispatcher.tick()
        self.full += 1
        idle = (self.writes.attempts, self.writes.other) == before and not self._unconfirmed_alerts()
        self._idle_at = self.writes.other if idle else None

    def next_due(self) -> Optional[datetime]:
        """When the campaign's earliest due attempt is due; read again only after a write."""
        seen = (self.writes.attempts, self.writes.other)
        if self._due[0] != seen or not self.skip_idle:
            with Session(self.engine) as session:
                self._due = (seen, _next_due(session, self.campaign_id))
        return self._due[1]

    def _housekeeping_due(self, now: datetime) -> bool:
        planned = self.dispatcher._planned_at
        return planned is None or now - planned >= PLAN_EVERY

    def _unconfirmed_alerts(self) -> bool:
        """Alerts still sending: `alerts.due` sends them again once they are old enough."""
        with Session(self.engine) as session:
            return session.exec(select(Notification.id).where(
                Notification.status == NotificationStatus.sending.value)).first() is not None

    def close(self) -> None:
        self.writes.close()


def _wake(clock: VirtualClock, due: Optional[datetime], tick_seconds: float) -> datetime:
    """When the dispatcher next has something to do: at once (a tick later) while attempts
    are due, else at the next simulated event or due time, at most an hour ahead."""
    now = clock.now()
    if due is not None and due <= now:
        return now + timedelta(seconds=tick_seconds)
    times = [t for t in (clock.next_job_at(), due) if t is not None] + [now + IDLE_STEP]
    return max(min(times), now)


def _advance(bar, clock: VirtualClock, begin: datetime, dispatcher: Dispatcher) -> None:
    hours = int((clock.now() - begin).total_seconds() // 3600)
    if hours > bar.n:
        bar.update(min(hours, bar.total) - bar.n)
        bar.set_postfix_str(f"calls {dispatcher.counters.placed}", refresh=False)


# Asked after every write the dry run's loop sees; built once (building it cost more than running it).
_NEXT_DUE = sa.select(sa.func.min(Attempt.due_at)).where(
    Attempt.campaign_id == sa.bindparam("campaign_id"), Attempt.status == AttemptStatus.due.value)


def _next_due(session: Session, campaign_id: str) -> Optional[datetime]:
    return session.execute(_NEXT_DUE, {"campaign_id": campaign_id}).scalar_one()


def _pending(session: Session, campaign_id: str) -> bool:
    return session.exec(select(Attempt.id).where(
        Attempt.campaign_id == campaign_id, Attempt.status.in_([s.value for s in PENDING_STATUSES]))).first() is not None


def summarize(session: Session, campaign_id: str, dispatcher: Dispatcher, simulated: timedelta,
              wall_seconds: float) -> Summary:
    """The campaign's numbers, counted by records/counts.py as `campaign status` and the console count them."""
    totals = counts.campaign_totals(session, campaign_id=campaign_id)
    households = totals.households
    return Summary(
        households=households.targeted,
        reached=households.reached,
        people_screened=households.screened,
        abnormal=households.abnormal,
        urgent=households.urgent,
        unreachable_days=totals.unreachable_days,
        never_reached=totals.never_reached,
        opt_outs=households.opted_out,
        calls_placed=totals.calls_placed,
        retries=totals.retries,
        callbacks=dispatcher.counters.callbacks,
        alerts=dispatcher.counters.alerts,
        simulated=simulated,
        wall_seconds=wall_seconds,
        languages=counts.by_language(session, campaign_id=campaign_id),
        channels=screenings.count_by_channel(session, campaign_id=campaign_id),
    )
