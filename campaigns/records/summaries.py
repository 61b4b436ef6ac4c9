"""The daily summary: one campaign day per community (households targeted, reached, unreachable and
opted out; people screened, abnormal and urgent; help requests) and their sum, counted by
records/counts.py as the dry run, `campaign status` and the console count. The console shows it,
and `screening report daily` prints it; both write the same CSV lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlmodel import Session

from campaigns.records import counts
from campaigns.records.export import text_cell

TOTAL = "(all communities)"
HEADER = ("day", "campaign", "community", "households_targeted", "reached", "unreachable", "opted_out",
          "people_screened", "abnormal", "urgent", "help_requests")


@dataclass(frozen=True)
class DailyLine:
    community: str  # counts.NO_COMMUNITY for households without one; TOTAL for the sum
    households_targeted: int
    reached: int
    unreachable: int
    opted_out: int
    people_screened: int
    abnormal: int
    urgent: int
    help_requests: int


@dataclass(frozen=True)
class DailySummary:
    day: date
    campaign: Optional[str]  # None: every campaign
    lines: list[DailyLine]  # per community by name, NO_COMMUNITY, then TOTAL

    @property
    def total(self) -> DailyLine:
        return self.lines[-1]


def daily_summary(session: Session, *, day: date, campaign_id: Optional[str] = None) -> DailySummary:
    rows = counts.by_community(session, day=day, campaign_id=campaign_id)
    lines = [_line(name, tally) for name, tally in [*rows, (TOTAL, counts.total(rows))]]
    return DailySummary(day=day, campaign=campaign_id, lines=lines)


def csv_lines(summary: DailySummary) -> list[list]:
    """The CSV's lines after its HEADER, every text through text_cell."""
    return [[summary.day.isoformat(), text_cell(summary.campaign), text_cell(line.community),
             *(getattr(line, name) for name in HEADER[3:])] for line in summary.lines]


def _line(community: str, tally: counts.Tally) -> DailyLine:
    return DailyLine(community=community, households_targeted=tally.targeted, reached=tally.reached,
                     unreachable=tally.unreachable, opted_out=tally.opted_out, people_screened=tally.screened,
                     abnormal=tally.abnormal, urgent=tally.urgent, help_requests=tally.help_requests)
