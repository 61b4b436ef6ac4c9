"""Pacing: never more than `rate` call starts in any one-second window, starts spread
evenly so the carrier sees no bursts. Pure: the caller passes the time in seconds."""
from __future__ import annotations

import math
from collections import deque


# The carrier stamps a call a little after the pacer lets it go (a system call, a thread
# switch); a grid exactly at the limit would let that jitter put one call too many into a
# second. So the pacer keeps 1% under the limit: 10 ms per second of headroom.
MARGIN = 0.01


class Pacer:
    """Start times for new calls under a rate limit.

    Two rules hold together. Starts keep to a grid 1/rate apart, which keeps the rate
    smooth; and no half-open second [t, t+1) ever holds more than floor(rate) starts,
    counted on the real start times, so a late start followed by on-time ones never
    makes a burst. A start that is late by less than one step keeps its place on the
    grid: the wake-up latency of a busy event loop does not slow the whole campaign.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be greater than 0")
        self.rate = rate
        self.per_second = max(1, math.floor(rate))
        self.spacing = (1.0 + MARGIN) / rate
        self._starts: deque[float] = deque()
        self._last: float | None = None

    def next_start(self, now: float) -> float:
        """The earliest time at or after `now` when one more call may start."""
        due = self._due()
        earliest = now if due is None else max(now, due)
        self._forget(earliest)
        if len(self._starts) >= self.per_second:
            earliest = max(earliest, _after(self._starts[-self.per_second], 1.0 + MARGIN))
        return earliest

    def record(self, at: float) -> None:
        """A call started at `at` (never before the previous start)."""
        self._starts.append(at)
        due = self._due()
        if due is not None and due <= at < due + self.spacing:
            self._last = due  # a little late: stay on the grid
        else:
            self._last = at if self._last is None else max(self._last, at)

    def _due(self) -> float | None:
        return None if self._last is None else _after(self._last, self.spacing)

    def may_start(self, now: float) -> bool:
        return self.next_start(now) <= now

    def _forget(self, now: float) -> None:
        while self._starts and now - self._starts[0] >= 1.0 + MARGIN:
            self._starts.popleft()


def _after(at: float, gap: float) -> float:
    """The first float t with t - at >= gap. Plain `at + gap` can round down, and a start
    0.000000000000001 s early is still a start inside the previous one's second."""
    later = at + gap
    while later - at < gap:
        later = math.nextafter(later, math.inf)
    return later


def max_in_any_second(starts: list[float]) -> int:
    """The largest number of starts inside any half-open one-second window."""
    ordered = sorted(starts)
    best, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:  # a second or more apart: never in one window
            first += 1
        best = max(best, last - first + 1)
    return best
