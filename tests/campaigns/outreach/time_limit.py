"""A wall-clock limit for tests that drive the engine on a virtual clock.

A virtual clock that stops moving spins inside one coroutine and never yields to the event
loop, so no asyncio timeout can stop it; a SIGALRM can, between two bytecodes. The failure
is raised as pytest's own outcome (a BaseException), which no `except Exception` in the
engine or the bot swallows, so the test fails instead of hanging CI.
"""
from __future__ import annotations

import signal
import time
from contextlib import contextmanager
from typing import Iterator

import pytest


@contextmanager
def within(seconds: float, what: str) -> Iterator[None]:
    """Fail the test if the block runs longer than `seconds` of wall time (main thread only)."""
    began = time.monotonic()

    def expire(signum, frame) -> None:
        pytest.fail(f"{what} was still running after {time.monotonic() - began:.0f} s of wall time "
                    f"(limit {seconds:g} s): stuck?", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
