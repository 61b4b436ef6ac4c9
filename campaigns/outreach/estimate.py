"""Capacity planning: how long a campaign's rounds take for N households, on a virtual clock.

No conversation and no database: attempts are modelled in batches ("waves") of expected counts.
Each attempt reaches its household with probability `pickup`; one that does not is retried by
the campaign's own rules. Every rule is the dispatcher's, called, never copied: round times, round
ends, windows and retry times from `schedule`, the channel of each try from `dispatcher.channel_for`,
the pace from a real `Pacer` run, the lanes and their rates from the dispatcher, the retry delays
from the spec. Attempts are served first come first served by due time (the order
`claim_due` takes them), at most `max_concurrent_calls` calls at once (Little's law on the mean
call length), and an attempt still waiting when its window closes is not placed.
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from campaigns.outreach import schedule
from campaigns.outreach.campaign_spec import OUTCOMES, CampaignSpec
from campaigns.outreach.dispatcher import _lane, _rate, channel_for
from campaigns.outreach.pacing import Pacer
from campaigns.records.carrier_events import TEXT_REPLY_WAIT

CALL_SECONDS = 90.0  # an answered call: a greeting and 6-7 questions of about 8-12 s each
RING_SECONDS = 30.0  # an unanswered call: Twilio gives up ringing after about 30 s
MAX_RATE = 1000.0  # the most calls per second a campaign file may ask for
PACED_STARTS = 200  # starts a Pacer is run for to measure its steady rate
_ROUND_DUE = (-1, -1)  # the state of the marker wave that opens a round


@dataclass(frozen=True)
class Assumptions:
    households: int
    pickup: float = 0.7  # the chance that one attempt reaches the household
    call_seconds: float = CALL_SECONDS
    ring_seconds: float = RING_SECONDS
    unreached: str = "no_answer"  # the outcome of an attempt that does not reach: its retry rule applies
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if isinstance(self.households, bool) or not isinstance(self.households, int) or self.households < 1:
            raise ValueError(f"households must be a whole number of at least 1, not {self.households!r}")
        if not 0 < self.pickup <= 1:
            raise ValueError(f"pickup must be more than 0 and at most 1, not {self.pickup!r}")
        if self.call_seconds <= 0 or self.ring_seconds <= 0:
            raise ValueError("call and ring lengths must be more than 0 seconds")
        if self.unreached not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.unreached!r} (known: {', '.join(OUTCOMES)})")


@dataclass
class RoundEstimate:
    day: date
    round_no: int
    due: datetime  # UTC
    ends: datetime  # when the round must be done: the next round, or the window's close (UTC)
    finished: Optional[datetime] = None  # when its last attempt ends, if answered (UTC)
    attempts: float = 0.0
    calls: float = 0.0  # attempts by voice: the rest are texts
    retries: float = 0.0
    reached: float = 0.0
    late: float = 0.0  # attempts still waiting when the window closed: not placed
    used_up: float = 0.0  # round attempts not placed: the household had its attempts for the day
    last_start: float = 0.0  # epoch seconds

    @property
    def on_time(self) -> bool:
        """Every attempt it called for was placed before the round ended."""
        return self.late < 1e-9 and self.last_start < self.ends.timestamp()


@dataclass
class Estimate:
    assumptions: Assumptions
    rounds: list[RoundEstimate]
    attempts: float
    retries: float
    needed_rate: Optional[float] = None  # calls per second for every round to be on time; None: none would do
    needed_concurrent: Optional[int] = None
    seconds_per_call: float = 0.0  # the mean length of an attempt on the calls lane

    @property
    def on_time(self) -> bool:
        return all(r.on_time for r in self.rounds)


@dataclass(order=True)
class _Wave:
    due: float  # epoch seconds of the first attempt due
    order: int
    span: float = field(compare=False)  # the attempts are due evenly from `due` to `due + span`
    count: float = field(compare=False)
    state: tuple[int, int] = field(compare=False)  # (attempts placed today, of which unsuccessful)
    round: RoundEstimate = field(compare=False)
    retry: bool = field(compare=False, default=False)


def estimate(spec: CampaignSpec, assumptions: Assumptions) -> Estimate:
    """The campaign's rounds as the file gives them, and the calls per second it would need."""
    rounds = simulate(spec, assumptions)
    needed = needed_rate(spec, assumptions) if any(r.calls for r in rounds) else 0.0  # 0: it places no calls
    mean = _seconds_per_attempt(assumptions, "voice")
    return Estimate(assumptions, rounds, attempts=sum(r.attempts for r in rounds),
                    retries=sum(r.retries for r in rounds), needed_rate=needed,
                    needed_concurrent=None if needed is None else math.ceil(needed * mean), seconds_per_call=mean)


def needed_rate(spec: CampaignSpec, assumptions: Assumptions, *, precision: float = 0.01) -> Optional[float]:
    """The fewest calls per second (to `precision`, as a fraction) at which every round is on time,
    with as many calls at once as that takes; None if even MAX_RATE is not enough."""
    def on_time(rate: float) -> bool:
        pacing = spec.pacing.copy(update={"calls_per_second": rate, "max_concurrent_calls": math.inf})
        return all(r.on_time for r in simulate(spec.copy(update={"pacing": pacing}), assumptions))

    if not on_time(MAX_RATE):
        return None
    low, high = 0.0, MAX_RATE
    while high - low > precision * high:
        middle = (low + high) / 2
        low, high = (low, middle) if on_time(middle) else (middle, high)
    # From 1/s up, the pacer starts at most floor(rate) calls in any second: a whole rate is as fast.
    return float(math.floor(high)) if high >= 1 and on_time(float(math.floor(high))) else high


def simulate(spec: CampaignSpec, a: Assumptions) -> list[RoundEstimate]:
    """Every round of every day, its waves served in due order on each lane."""
    tz, window = ZoneInfo(a.timezone), spec.window()
    queue: list[_Wave] = []
    order = itertools.count()
    rounds = []
    # Households by (attempts placed today, of which unsuccessful), per local day.
    states = {day: {(0, 0): float(a.households)} for day in spec.days()}
    for day in spec.days():
        times = schedule.round_times(day, spec.schedule.rounds, window, tz)
        for number, due in enumerate(times, 1):
            ends = schedule.round_end(day, number, spec.schedule.rounds, window, tz)
            rounds.append(RoundEstimate(day, number, due, ends))
            # Every household gets each round's attempt; its state is read when the round comes due.
            heapq.heappush(queue, _Wave(due.timestamp(), next(order), 0.0, 0.0, _ROUND_DUE, rounds[-1]))
    free: dict[str, float] = defaultdict(float)  # when each lane may start its next attempt
    while queue:
        wave = heapq.heappop(queue)
        if wave.state == _ROUND_DUE:  # one wave per state the day's households are in
            for state, count in sorted(states[wave.round.day].items()):
                if count > 0:
                    heapq.heappush(queue, _Wave(wave.due, next(order), 0.0, count, state, wave.round))
            continue
        for retry in _serve(spec, a, wave, states[wave.round.day], free, tz):
            heapq.heappush(queue, _Wave(retry[0], next(order), retry[1], retry[2], retry[3], wave.round, True))
    return rounds


def _serve(spec: CampaignSpec, a: Assumptions, wave: _Wave, states: dict, free: dict,
           tz: ZoneInfo) -> list[tuple]:
    """Place a wave's attempts; returns the retries it calls for as (due, span, count, state)."""
    placed, failed = wave.state
    round_ = wave.round
    if placed >= spec.retries.max_attempts_per_day:  # the dispatcher cancels it: the day's tries are used
        round_.used_up += wave.count
        return []
    channel = channel_for(spec, failed=_failed_channels(spec, failed))
    lane = _lane(channel)
    seconds = _seconds_per_attempt(a, channel)
    rate = _paced_rate(_rate(spec, channel))
    if lane == "calls":
        rate = min(rate, spec.pacing.max_concurrent_calls / seconds)  # calls at once = rate x length
    start = max(wave.due, free[lane])
    closes = schedule.window_bounds(round_.day, spec.window(), tz)[1].timestamp()
    served = wave.count if start + max(wave.count - 1, 0) / rate < closes else max(0.0, (closes - start) * rate)
    served = min(served, wave.count)
    round_.late += wave.count - served
    if served <= 0:
        return []
    last = max(start + max(served - 1, 0) / rate, wave.due + wave.span * served / wave.count)
    free[lane] = max(free[lane], last + 1 / rate)
    round_.attempts += served
    round_.calls += served if lane == "calls" else 0.0
    round_.retries += served if wave.retry else 0.0
    round_.reached += served * a.pickup
    round_.last_start = max(round_.last_start, last)
    answered = a.call_seconds if channel == "voice" else 0.0
    round_.finished = max(round_.finished or datetime.min.replace(tzinfo=timezone.utc),
                          datetime.fromtimestamp(last + answered, timezone.utc))
    missed = served * (1 - a.pickup)
    states[wave.state] -= served
    states[(placed + 1, failed)] = states.get((placed + 1, failed), 0.0) + served - missed
    states[(placed + 1, failed + 1)] = states.get((placed + 1, failed + 1), 0.0) + missed
    if missed <= 0 or placed + 1 >= spec.retries.max_attempts_per_day:
        return []
    return _retries(spec, a, channel, (start, last), missed, (placed + 1, failed + 1), round_, tz)


def _retries(spec: CampaignSpec, a: Assumptions, channel: str, starts: tuple[float, float], missed: float,
             state: tuple[int, int], round_: RoundEstimate, tz: ZoneInfo) -> list[tuple]:
    """The retries of the unreached: due by schedule.retry_at after each attempt ended; those it
    puts past the round's end wait for the next round."""
    outcome = a.unreached if channel == "voice" else "no_answer"  # an unanswered text expires as no answer
    delay = spec.retry_delay(outcome)
    if delay is None:
        return []
    length = a.ring_seconds if channel == "voice" else TEXT_REPLY_WAIT.total_seconds()
    window = spec.window()
    first, last = (schedule.retry_at(datetime.fromtimestamp(s + length, timezone.utc), delay,
                                     round_ends_at=round_.ends, window=window, tz=tz) for s in starts)
    if first is None:
        return []
    if last is None:  # only those that ended early enough: the attempts ended evenly over the span
        span = starts[1] - starts[0]
        share = 1.0 if span <= 0 else (round_.ends.timestamp() - delay.total_seconds() - length - starts[0]) / span
        missed *= min(max(share, 0.0), 1.0)
        last_due = round_.ends.timestamp()
    else:
        last_due = last.timestamp()
    return [(first.timestamp(), max(last_due - first.timestamp(), 0.0), missed, state)] if missed > 0 else []


def _failed_channels(spec: CampaignSpec, failed: int) -> list[str]:
    """The channels of a household's unsuccessful attempts today, as the dispatcher chose them."""
    channels: list[str] = []
    for _ in range(failed):
        channels.append(channel_for(spec, failed=channels))
    return channels


def _seconds_per_attempt(a: Assumptions, channel: str) -> float:
    """The mean time an attempt holds its line: answered or not, weighted by the pickup."""
    unanswered = a.ring_seconds if channel == "voice" else TEXT_REPLY_WAIT.total_seconds()
    return a.pickup * a.call_seconds + (1 - a.pickup) * unanswered


_PACED: dict[float, float] = {}


def _paced_rate(rate: float) -> float:
    """Starts per second a real Pacer lets go when every start is due at once (its grid, its
    per-second cap and its margin, measured rather than restated)."""
    if rate not in _PACED:
        if math.isinf(rate):
            return rate
        pacer, at, first = Pacer(rate), 0.0, None
        for _ in range(PACED_STARTS):
            at = pacer.next_start(at)
            pacer.record(at)
            first = at if first is None else first
        _PACED[rate] = (PACED_STARTS - 1) / (at - first)
    return _PACED[rate]
