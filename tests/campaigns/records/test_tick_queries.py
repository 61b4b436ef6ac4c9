"""The queries a dispatcher runs on every tick find a campaign's attempts by status through an
index, so a tick costs the same whether the campaign has a thousand attempts or a million (without
it, SQLite walked every attempt of the campaign: about 95 ms a tick at a million)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.outreach.dryrun import _next_due
from campaigns.records.attempts import claim_due, count_active
from campaigns.records.models import Attempt, AttemptStatus, Campaign, Household

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
INDEX = "ix_attempts_campaign_status"
PICKS = ("WHERE attempts.campaign_id = ?", "WHERE attempts.status = ? AND attempts.campaign_id = ?")


def _plans(db, run) -> list[tuple[str, str]]:
    """Each statement `run` sent that reads attempts, with SQLite's plan for it."""
    sent = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "attempts" in statement:
            sent.append((statement, parameters))

    sa.event.listen(db, "before_cursor_execute", seen)
    try:
        with Session(db) as session:
            run(session)
            session.rollback()
    finally:
        sa.event.remove(db, "before_cursor_execute", seen)
    with db.connect() as connection:
        return [(statement, " / ".join(row[-1] for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))) for statement, parameters in sent]


def _campaign_with_attempts(db) -> None:
    with Session(db) as session:
        session.add(Campaign(id="c", spec_json="{}"))
        session.add_all([Household(id=f"h{n}", phone=f"+1202555{n:04d}") for n in range(50)])
        session.commit()
        for n in range(50):
            session.add(Attempt(campaign_id="c", household_id=f"h{n}", day=date(2026, 12, 1), round_no=1,
                                due_at=T0, status=(AttemptStatus.due if n % 2 else AttemptStatus.completed).value))
        session.commit()


def test_the_lines_held_the_next_due_and_the_claims_use_the_campaign_status_index(db):
    _campaign_with_attempts(db)
    plans = (_plans(db, lambda s: count_active(s, campaign_id="c"))
             + _plans(db, lambda s: _next_due(s, "c"))
             + _plans(db, lambda s: claim_due(s, campaign_id="c", now=T0, limit=5, worker="w")))
    by_campaign = [(statement, plan) for statement, plan in plans if any(pick in statement for pick in PICKS)]
    assert len(by_campaign) == 3  # count_active, _next_due, and claim_due's pick of due rows
    for statement, plan in by_campaign:
        assert INDEX in plan and "SCAN attempts" not in plan, (statement, plan)
