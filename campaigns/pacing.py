"""Pacing: never more than `rate` call starts in any one-second window, starts spread
evenly so the carrier sees no bursts. Pure: the caller passes the time in seconds."""
from __future__ import annotations

import math
from collections import deque


class Pacer:
    """Start times for new calls under a rate limit.

    Two rules hold together. Starts are at least 1/rate apart, which keeps the rate
    smooth; and no half-open second [t, t+1) ever holds more than floor(rate) starts,
    which stays true even when a start is late and the next one is on time.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be greater than 0")
        self.rate = rate
        self.per_second = max(1, math.floor(rate))
        self.spacing = 1.0 / rate
        self._starts: deque[float] = deque()
        self._last: float | None = None

    def next_start(self, now: float) -> float:
        """The earliest time at or after `now` when one more call may start."""
        earliest = now if self._last is None else max(now, self._last + self.spacing)
        self._forget(earliest)
        if len(self._starts) >= self.per_second:
            earliest = max(earliest, self._starts[-self.per_second] + 1.0)
        return earliest

    def record(self, at: float) -> None:
        """A call started at `at` (never before the previous start)."""
        self._starts.append(at)
        self._last = at if self._last is None else max(self._last, at)

    def may_start(self, now: float) -> bool:
        return self.next_start(now) <= now

    def _forget(self, now: float) -> None:
        while self._starts and self._starts[0] <= now - 1.0:
            self._starts.popleft()


def max_in_any_second(starts: list[float]) -> int:
    """The largest number of starts inside any half-open one-second window."""
    ordered = sorted(starts)
    best, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best
