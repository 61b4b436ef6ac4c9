"""Checks at the edge of the public port, before any NLU: clean text, answer length, rate limits."""
from __future__ import annotations

import re
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

MAX_ANSWER_CHARS = 500  # longer than any real answer; past it the question is asked again, unparsed
# C0 and C1 control characters except tab and newline, and the lone halves of surrogate pairs.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """What a resident wrote, without control characters, NFC-normalised and trimmed."""
    return unicodedata.normalize("NFC", _CONTROL.sub("", text or "")).strip()


def too_long(text: str) -> bool:
    return len(text) > MAX_ANSWER_CHARS


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key (a sender, an address): `burst` at once, then `per_minute`.
    In memory, per process: a replica limits what reaches it."""

    def __init__(self, *, per_minute: float, burst: int, keys_kept: int = 50_000) -> None:
        self.rate, self.burst, self.keys_kept = per_minute / 60.0, burst, keys_kept
        self._buckets: "OrderedDict[str, _Bucket]" = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[key] = bucket  # most recently used last, so the oldest are dropped first
        while len(self._buckets) > self.keys_kept:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def retry_after(self) -> int:
        """Seconds until one more message is allowed for a key that was refused."""
        return max(1, round(1 / self.rate))
