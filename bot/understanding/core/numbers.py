"""Number plumbing every language shares: a number found in a token list, and the one-count rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

MAX_COUNT = Decimal(1_000_000)  # beyond any real count; also keeps int() cheap and safe


@dataclass(frozen=True)
class SpokenNumber:
    """A number found in a token list: its value and token span [start, end)."""

    value: Decimal
    start: int
    end: int


def token_at(tokens: list[str], index: int) -> str:
    """The token at index, or "" past either end (saves bounds checks)."""
    return tokens[index] if 0 <= index < len(tokens) else ""


def one_count(values: Iterable[Decimal]) -> int | None:
    """The count when the answer names one whole number of people, else None.

    Two different numbers ("two or three"), fractions and absurdly large numbers are not a count.
    """
    distinct = set(values)
    if len(distinct) != 1:
        return None
    value = distinct.pop()
    if value < 0 or value > MAX_COUNT or value != value.to_integral_value():
        return None
    return int(value)
