"""Planning rounds into due attempt rows: local due times per zone, who is selected,
idempotence, late starts, rounds over in one zone, and the planning horizon."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from campaigns.outreach import planner
from campaigns.records.models import Attempt, PlannedRound
from tests.campaigns.engine_helpers import add, household, make_spec, start, utc

# 2024-03-10 is the day New York springs forward (EST UTC-5 -> EDT UTC-4); Shanghai is UTC+8 all year.
DAY1, DAY2 = date(2024, 3, 10), date(2024, 3, 11)
SCHEDULE = {"start": "2024-03-10", "days": 2, "rounds": ["09:00", "16:00"]}
SH_R1, SH_R2 = utc(2024, 3, 10, 1, 0), utc(2024, 3, 10, 8, 0)  # 09:00 and 16:00 in Shanghai
NY_R1, NY_R2 = utc(2024, 3, 10, 13, 0), utc(2024, 3, 10, 20, 0)  # 09:00 and 16:00 EDT, not EST


def spec(**fields):
    return make_spec(schedule=SCHEDULE, **fields)


def two_zones(engine, now: datetime, **fields):
    add(engine, household("ny", "+12025550101", tz="America/New_York"),
        household("sh", "+8613810000001", tz="Asia/Shanghai"))
    start(engine, spec(**fields), now)


def plan(engine, now: datetime, **fields) -> int:
    with Session(engine) as session:
        return planner.plan_due_rounds(session, campaign_id="c1", spec=spec(**fields), now=now)


def planned(engine) -> dict:
    """{(household, day, round): due_at} of every attempt, and {(day, round): households} of planned rounds."""
    with Session(engine) as session:
        attempts = {(a.household_id, a.day, a.round_no): a.due_at for a in session.exec(select(Attempt)).all()}
        rounds = {(r.day, r.round_no): r.households for r in session.exec(select(PlannedRound)).all()}
    return attempts, rounds


@pytest.mark.parametrize("now, attempts, rounds", [
    (SH_R1 - planner.PLAN_AHEAD - timedelta(seconds=1), {}, {}),
    (SH_R1 - planner.PLAN_AHEAD, {("sh", DAY1, 1): SH_R1, ("ny", DAY1, 1): NY_R1}, {(DAY1, 1): 2}),
    (utc(2024, 3, 10, 9, 0),
     {("ny", DAY1, 1): NY_R1, ("sh", DAY1, 2): utc(2024, 3, 10, 9, 0), ("ny", DAY1, 2): NY_R2},
     {(DAY1, 1): 1, (DAY1, 2): 2}),
    (utc(2024, 3, 10, 14, 30),
     {("ny", DAY1, 1): utc(2024, 3, 10, 14, 30), ("ny", DAY1, 2): NY_R2,
      ("sh", DAY2, 1): utc(2024, 3, 11, 1, 0), ("ny", DAY2, 1): utc(2024, 3, 11, 13, 0)},
     {(DAY1, 1): 1, (DAY1, 2): 1, (DAY2, 1): 2}),
], ids=["beyond-plan-ahead", "plan-ahead-edge-dst-day",
        "shanghai-round1-over-round2-starts-now", "new-york-round1-under-way-starts-now"])
def test_plan_due_rounds_due_time_per_household_zone(db, now, attempts, rounds):
    two_zones(db, now)
    assert plan(db, now) == len(attempts)
    assert planned(db) == (attempts, rounds)


def test_plan_due_rounds_same_on_postgres(pg_db):
    now = utc(2024, 3, 10, 9, 0)
    two_zones(pg_db, now)
    assert plan(pg_db, now) == 3
    assert planned(pg_db) == (
        {("ny", DAY1, 1): NY_R1, ("sh", DAY1, 2): now, ("ny", DAY1, 2): NY_R2}, {(DAY1, 1): 1, (DAY1, 2): 2})
    assert plan(pg_db, now) == 0


def test_plan_due_rounds_skips_opted_out_wrong_number_phoneless_and_walk_ins(db):
    now = utc(2024, 3, 9, 0, 0)
    add(db, household("ok", "+12025550101"),
        household("opted", "+12025550102", opted_out_at=now),
        household("wrong", "+12025550103", wrong_number_at=now),
        household("nophone", None),
        household("walkin-1", "+12025550104", walk_in=True))  # only ever texted "yes": not the office's list
    start(db, spec(), now)
    assert plan(db, utc(2024, 3, 10, 8, 0)) == 2
    attempts, rounds = planned(db)
    assert sorted(attempts) == [("ok", DAY1, 1), ("ok", DAY1, 2)]
    assert rounds == {(DAY1, 1): 1, (DAY1, 2): 1}


@pytest.mark.parametrize("selection, selected", [
    ("all", ["a", "b", "c"]),
    ({"community": "Lakeside"}, ["a"]),
    ({"file": "ids.csv"}, ["a", "c"]),
], ids=["all", "community", "file"])
def test_plan_due_rounds_follows_household_selection(db, tmp_path, selection, selected):
    (tmp_path / "ids.csv").write_text("household_id,note\na,x\nc,y\n")
    add(db, household("a", "+12025550101", community="Lakeside"),
        household("b", "+12025550102", community="Hillview"),
        household("c", "+12025550103"))
    fields = {"schedule": {**SCHEDULE, "rounds": ["09:00"]}, "households": selection}
    campaign = make_spec(path=tmp_path / "c1.yml", **fields)
    now = utc(2024, 3, 10, 0, 0)
    start(db, campaign, now)
    with Session(db) as session:
        assert planner.plan_due_rounds(session, campaign_id="c1", spec=campaign, now=now) == len(selected)
    attempts, _ = planned(db)
    assert sorted(h for h, _, _ in attempts) == selected


def test_plan_due_rounds_twice_writes_nothing_new(db):
    now = SH_R1 - planner.PLAN_AHEAD
    two_zones(db, now)
    assert plan(db, now) == 2
    first = planned(db)
    assert plan(db, now) == 0
    assert plan(db, now + timedelta(minutes=30)) == 0  # round 2 is still beyond the horizon
    assert planned(db) == first
    with Session(db) as session:  # even with its planned_rounds mark gone, a round gets no second attempt
        session.delete(session.get(PlannedRound, ("c1", DAY1, 1)))
        session.commit()
    assert plan(db, now) == 0
    assert planned(db) == (first[0], {(DAY1, 1): 0})


def test_plan_due_rounds_dials_a_walk_in_whose_number_was_proved(db):
    from campaigns.records.proofs import PhoneProof

    now = utc(2024, 3, 9, 0, 0)
    add(db, household("walkin-proved", "+12025550105", walk_in=True),
        household("walkin-unproved", "+12025550106", walk_in=True),
        PhoneProof(conversation_id="chat:x", phone="+12025550105", code_hash="h", created_at=now,
                   expires_at=now, proved_at=now),
        PhoneProof(conversation_id="chat:y", phone="+12025550106", code_hash="h", created_at=now, expires_at=now))
    start(db, spec(), now)
    plan(db, utc(2024, 3, 10, 8, 0))
    attempts, _ = planned(db)
    assert {household_id for household_id, _, _ in attempts} == {"walkin-proved"}
