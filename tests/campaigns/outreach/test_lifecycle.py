"""Starting, pausing, resuming and stopping campaigns: the data functions."""
from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from campaigns.outreach import lifecycle, planner
from campaigns.records.models import Attempt, Campaign, CampaignMember
from tests.campaigns.engine_helpers import add, attempts, change, household, make_spec, start, utc

NOW = utc(2024, 3, 4, 12, 0)
LATER = utc(2024, 3, 4, 13, 0)


def status_of(engine, campaign_id: str = "c1") -> str:
    with Session(engine) as session:
        return session.get(Campaign, campaign_id).status


def test_start_campaign_stores_spec_and_counts_eligible_households(db):
    add(db, household("a", "+12025550101"), household("b", "+12025550102"), household("c", None),
        household("d", "+12025550104", opted_out_at=NOW))
    spec = make_spec()
    with Session(db) as session:
        campaign, count = lifecycle.start_campaign(session, spec=spec, source="campaigns/c1.yml", now=NOW)
        session.commit()
    assert count == 2
    with Session(db) as session:
        row = session.get(Campaign, "c1")
        assert (row.status, row.source, row.created_at, row.updated_at) == ("running", "campaigns/c1.yml", NOW, NOW)
        assert json.loads(row.spec_json)["schedule"]["rounds"] == ["09:00", "16:00"]


@pytest.mark.parametrize("state", ["running", "paused"])
def test_start_campaign_already_running_or_paused_is_refused(db, state):
    add(db, household("a", "+12025550101"))
    start(db, make_spec(), NOW)
    if state == "paused":
        change(db, "c1", "pause", NOW)
    with Session(db) as session, pytest.raises(lifecycle.CampaignError) as error:
        lifecycle.start_campaign(session, spec=make_spec(), source="x", now=LATER)
    assert str(error.value) == (f"campaign 'c1' is already {state}; use 'screening campaign stop c1' "
                                "first to start it again from the file")


def test_start_campaign_after_stop_starts_again_from_new_file(db):
    add(db, household("a", "+12025550101"))
    start(db, make_spec(), NOW)
    change(db, "c1", "stop", NOW)
    start(db, make_spec(description="fixed"), LATER)
    with Session(db) as session:
        row = session.get(Campaign, "c1")
        assert (row.status, row.created_at, row.updated_at) == ("running", NOW, LATER)
        assert json.loads(row.spec_json)["description"] == "fixed"


@pytest.mark.parametrize("selection, where", [
    ("all", "the household table"),
    ({"community": "Lakeside"}, "community 'Lakeside'"),
    ({"file": "ids.csv"}, "the list {tmp}/ids.csv"),
], ids=["all", "community", "file"])
def test_start_campaign_without_households_is_refused(db, tmp_path, selection, where):
    (tmp_path / "ids.csv").write_text("household_id\nb\n")
    add(db, household("a", "+12025550101", community="Lakeside", opted_out_at=NOW), household("b", None))
    spec = make_spec(path=tmp_path / "c1.yml", households=selection)
    with Session(db) as session, pytest.raises(lifecycle.CampaignError) as error:
        lifecycle.start_campaign(session, spec=spec, source="x", now=NOW)
    assert str(error.value) == (f"no household to contact: {where.format(tmp=tmp_path)} has no household with a "
                                "phone that has not opted out (import a list with 'screening households import')")
    with Session(db) as session:
        assert session.get(Campaign, "c1") is None  # nothing was committed


def test_start_campaign_file_with_unknown_households_is_refused(db, tmp_path):
    (tmp_path / "ids.csv").write_text("household_id\na\nz9\nz1\n\n")
    add(db, household("a", "+12025550101"))
    spec = make_spec(path=tmp_path / "c1.yml", households={"file": "ids.csv"})
    with Session(db) as session, pytest.raises(lifecycle.CampaignError) as error:
        lifecycle.start_campaign(session, spec=spec, source="x", now=NOW)
    assert str(error.value) == f"{tmp_path}/ids.csv: 2 household_id(s) not imported yet: z1, z9"


def test_start_campaign_file_members_are_replaced_on_restart(db, tmp_path):
    ids = tmp_path / "ids.csv"
    ids.write_text("household_id\na\nb\n")
    add(db, household("a", "+12025550101"), household("b", "+12025550102"))
    start(db, make_spec(path=tmp_path / "c1.yml", households={"file": "ids.csv"}), NOW)
    change(db, "c1", "stop", NOW)
    ids.write_text("household_id\nb\n")
    start(db, make_spec(path=tmp_path / "c1.yml", households={"file": "ids.csv"}), LATER)
    with Session(db) as session:
        assert session.exec(select(CampaignMember.household_id)).all() == ["b"]


@pytest.mark.parametrize("before, action, after", [
    ("running", "pause", "paused"),
    ("running", "stop", "stopped"),
    ("paused", "resume", "running"),
    ("paused", "stop", "stopped"),
    ("running", "resume", "campaign 'c1' is running; cannot resume it"),
    ("paused", "pause", "campaign 'c1' is paused; cannot pause it"),
    ("stopped", "resume", "campaign 'c1' is stopped; cannot resume it"),
    ("stopped", "pause", "campaign 'c1' is stopped; cannot pause it"),
    ("stopped", "stop", "campaign 'c1' is stopped; cannot stop it"),
    ("finished", "resume", "campaign 'c1' is finished; cannot resume it"),
])
def test_change_status_allowed_and_refused_transitions(db, before, action, after):
    add(db, household("a", "+12025550101"))
    start(db, make_spec(), NOW)
    with Session(db) as session:
        session.get(Campaign, "c1").status = before
        session.commit()
    if " " in after:
        with pytest.raises(lifecycle.CampaignError) as error:
            change(db, "c1", action, LATER)
        assert (str(error.value), status_of(db)) == (after, before)
    else:
        change(db, "c1", action, LATER)
        assert status_of(db) == after


@pytest.mark.parametrize("started, message", [
    ([], "no campaign named 'nope'; none has been started"),
    (["c1", "a-survey"], "no campaign named 'nope'; known: a-survey, c1"),
], ids=["none-started", "lists-known"])
def test_change_status_unknown_campaign_names_the_known_ones(db, started, message):
    add(db, household("a", "+12025550101"))
    for name in started:
        start(db, make_spec(name=name), NOW)
    with pytest.raises(lifecycle.CampaignError) as error:
        change(db, "nope", "pause", NOW)
    assert str(error.value) == message


def test_change_status_stop_cancels_only_due_attempts(db):
    add(db, household("a", "+12025550101"))
    start(db, make_spec(), NOW)
    with Session(db) as session:
        for round_no, status in ((1, "completed"), (2, "due")):
            session.add(Attempt(campaign_id="c1", household_id="a", day=NOW.date(), round_no=round_no,
                                due_at=NOW, status=status))
        session.add(Attempt(campaign_id="c1", household_id="a", day=NOW.date(), round_no=1, try_no=2,
                            due_at=NOW, status="dialing"))
        session.commit()
    assert change(db, "c1", "stop", LATER) == 1
    assert [(a.round_no, a.try_no, a.status, a.ended_at) for a in attempts(db)] == [
        (1, 1, "completed", None), (1, 2, "dialing", None), (2, 1, "canceled", LATER)]
    assert attempts(db)[2].detail == "canceled: the campaign was stopped"


def test_start_campaign_after_stop_plans_stopped_rounds_again(db):
    add(db, household("a", "+12025550101"), household("b", "+12025550102"))
    spec = make_spec()
    start(db, spec, utc(2024, 3, 5, 7, 0))
    with Session(db) as session:
        assert planner.plan_due_rounds(session, campaign_id="c1", spec=spec, now=utc(2024, 3, 5, 8, 0)) == 4
        reached = session.exec(select(Attempt).where(Attempt.household_id == "a", Attempt.round_no == 1)).one()
        reached.status, reached.placed_at = "completed", utc(2024, 3, 5, 8, 0)
        session.add(reached)
        session.commit()
    assert change(db, "c1", "stop", utc(2024, 3, 5, 8, 30)) == 3
    start(db, spec, utc(2024, 3, 5, 8, 45))
    with Session(db) as session:
        assert planner.plan_due_rounds(session, campaign_id="c1", spec=spec, now=utc(2024, 3, 5, 8, 45)) == 3
    assert [(a.household_id, a.round_no, a.try_no, a.status, a.due_at) for a in attempts(db)] == [
        ("a", 1, 1, "completed", utc(2024, 3, 5, 9, 0)), ("a", 2, 1, "due", utc(2024, 3, 5, 16, 0)),
        ("b", 1, 1, "due", utc(2024, 3, 5, 9, 0)), ("b", 2, 1, "due", utc(2024, 3, 5, 16, 0))]
