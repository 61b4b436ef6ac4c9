"""`screening campaign start|pause|resume|stop|status|dry-run`: exit codes, messages, files."""
from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from campaigns.outreach import planner
from campaigns.records.db import get_engine
from campaigns.cli import main
from campaigns.records.export import ESCALATION_HEADER, EXPORT_HEADER
from campaigns.records.models import Attempt, Campaign, Household, Screening
from campaigns.records.progress import RoundProgress
from tests.campaigns.engine_helpers import add, household, make_spec, start, utc

CAMPAIGN = """\
name: c1
schedule: {start: 2024-03-05, days: 1, rounds: ["09:00", "16:00"]}
calling_window: {start: "08:00", end: "20:00"}
"""


@pytest.fixture
def campaign_file(tmp_path):
    path = tmp_path / "c1.yml"
    path.write_text(CAMPAIGN)
    return path


@pytest.fixture
def households(db):
    add(db, household("h1", "+12025550101"), household("h2", "+12025550102"))
    return db


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["campaign", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_campaign_start_prints_what_was_started(households, campaign_file, capsys):
    assert run(capsys, "start", str(campaign_file)) == (
        0, "campaign c1 started: 2 households, 1 day from 2024-03-05 with 2 rounds a day. "
           "`screening run` dials it.\n", "")
    with Session(households) as session:
        assert session.get(Campaign, "c1").status == "running"


def test_campaign_start_already_running_is_an_error(households, campaign_file, capsys):
    assert run(capsys, "start", str(campaign_file))[0] == 0
    assert run(capsys, "start", str(campaign_file)) == (
        1, "", "screening: campaign 'c1' is already running; use 'screening campaign stop c1' first "
               "to start it again from the file\n")


def test_campaign_start_invalid_file_names_each_field(households, tmp_path, capsys):
    path = tmp_path / "bad.yml"
    path.write_text(CAMPAIGN.replace('"16:00"', '"25:00"') + "pacing: {calls_per_second: 0}\n")
    code, out, err = run(capsys, "start", str(path))
    assert (code, out) == (1, "")
    assert err == (f"screening: invalid campaign file\n"
                   f"{path}: schedule.rounds[1]: '25:00' is not a time of day (HH:MM)\n"
                   f"{path}: pacing.calls_per_second: must be greater than 0\n")
    with Session(households) as session:
        assert session.exec(select(Campaign)).all() == []


def test_campaign_start_missing_file_is_an_error(db, tmp_path, capsys):
    path = tmp_path / "none.yml"
    assert run(capsys, "start", str(path)) == (1, "", f"screening: invalid campaign file\n{path}: no such file\n")


def test_campaign_start_without_households_is_an_error(db, campaign_file, capsys):
    assert run(capsys, "start", str(campaign_file)) == (
        1, "", "screening: no household to contact: the household table has no household with a phone that "
               "has not opted out (import a list with 'screening households import')\n")
    with Session(db) as session:
        assert session.exec(select(Campaign)).all() == []


@pytest.mark.parametrize("actions, expected", [
    (["pause"], [(0, "campaign c1 is paused\n", "")]),
    (["pause", "resume"], [(0, "campaign c1 is paused\n", ""), (0, "campaign c1 is running\n", "")]),
    (["stop"], [(0, "campaign c1 is stopped; 0 attempts still due canceled\n", "")]),
    (["resume"], [(1, "", "screening: campaign 'c1' is running; cannot resume it\n")]),
    (["stop", "pause"], [(0, "campaign c1 is stopped; 0 attempts still due canceled\n", ""),
                         (1, "", "screening: campaign 'c1' is stopped; cannot pause it\n")]),
], ids=["pause", "resume", "stop", "resume-running", "pause-stopped"])
def test_campaign_pause_resume_stop_messages(households, campaign_file, capsys, actions, expected):
    run(capsys, "start", str(campaign_file))
    assert [run(capsys, action, "c1") for action in actions] == expected


def test_campaign_stop_counts_canceled_attempts(households, campaign_file, capsys):
    run(capsys, "start", str(campaign_file))
    with Session(households) as session:
        planner.plan_due_rounds(session, campaign_id="c1", spec=make_spec(), now=utc(2024, 3, 5, 8, 0))
    assert run(capsys, "stop", "c1") == (0, "campaign c1 is stopped; 4 attempts still due canceled\n", "")


@pytest.mark.parametrize("action", ["pause", "resume", "stop"])
def test_campaign_change_unknown_lists_known(households, campaign_file, capsys, action):
    run(capsys, "start", str(campaign_file))
    assert run(capsys, action, "nope") == (1, "", "screening: no campaign named 'nope'; known: c1\n")


# --- status ---------------------------------------------------------------------------------------

def started_with_progress(db, cps: float) -> None:
    """Four households; round 1 of 2024-03-05: h1 reached (one abnormal person), h2 being called,
    h3 still due, h4 unreachable. Round 2 all still due."""
    add(db, *(household(f"h{n}", f"+1202555010{n}") for n in range(1, 5)))
    spec = make_spec(pacing={"calls_per_second": cps})
    start(db, spec, utc(2024, 3, 5, 7, 0))
    at = utc(2024, 3, 5, 9, 0)
    with Session(db) as session:
        planner.plan_due_rounds(session, campaign_id="c1", spec=spec, now=utc(2024, 3, 5, 8, 0))
        round_one = {a.household_id: a for a in session.exec(select(Attempt).where(Attempt.round_no == 1))}
        for household_id, status in (("h1", "completed"), ("h2", "dialing"), ("h4", "no_answer")):
            attempt = round_one[household_id]
            attempt.status, attempt.placed_at = status, at
            attempt.conversation_id = f"{household_id}:a{attempt.id}"
            session.add(attempt)
        session.add(Screening(household_id="h1", conversation_id="h1:a1", campaign_id="c1", abnormal=True,
                              started_at=at, finished_at=at + timedelta(minutes=1)))
        session.commit()


@pytest.mark.parametrize("cps, eta1, eta2", [
    (0.5, "~0:00:02 at 0.5/s", "~0:00:08 at 0.5/s"),
    (10, "~0:00:01 at 10/s", "~0:00:01 at 10/s"),
], ids=["slow", "fast-rounds-up"])
def test_campaign_status_prints_each_round_with_eta(db, capsys, cps, eta1, eta2):
    started_with_progress(db, cps)
    code, out, err = run(capsys, "status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"campaign c1 (running), pacing {cps:g} calls/s"
    assert lines[1].split() == ["day", "round", "households", "reached", "due", "dialling", "unreach.",
                                "abnormal", "done", "time", "to", "finish"]
    assert [line.split(None, 8) for line in lines[2:]] == [
        ["2024-03-05", "1", "4", "1", "1", "1", "1", "1", f"50%   {eta1}"],
        ["2024-03-05", "2", "4", "0", "4", "0", "0", "0", f"0%   {eta2}"],
    ]


@pytest.mark.parametrize("due, cps, eta", [
    (0, 10, None),
    (1, 10, timedelta(seconds=1)),
    (25, 10, timedelta(seconds=3)),
    (3, 0.5, timedelta(seconds=6)),
], ids=["nothing-due", "under-a-second-rounds-up", "half-second-rounds-up", "slow"])
def test_round_progress_eta_at_campaign_pacing(due, cps, eta):
    progress = RoundProgress(utc(2024, 3, 5).date(), 1, 40, 0, due, 0, 0, 0)
    assert progress.eta(cps) == eta


def test_campaign_status_finished_round_and_unknown_campaign(db, capsys):
    assert run(capsys, "status") == (1, "", "screening: no campaign has been started\n")
    add(db, household("h1", "+12025550101"))
    start(db, make_spec(schedule={"start": "2024-03-05", "days": 1, "rounds": ["09:00"]}), utc(2024, 3, 5, 7, 0))
    assert run(capsys, "status", "nope") == (1, "", "screening: no campaign named 'nope'\n")
    code, out, _ = run(capsys, "status", "c1")
    assert (code, out.splitlines()[1:]) == (
        0, ["  no round planned yet: rounds are planned up to 12 hours ahead by `screening run`"])
    with Session(db) as session:
        session.add(Attempt(campaign_id="c1", household_id="h1", day=utc(2024, 3, 5).date(), round_no=1,
                            due_at=utc(2024, 3, 5, 9, 0), placed_at=utc(2024, 3, 5, 9, 0), status="completed"))
        session.commit()
    assert run(capsys, "status", "c1")[1].splitlines()[2].split(None, 8) == [
        "2024-03-05", "1", "1", "1", "0", "0", "0", "0", "100%   finished"]


def test_campaign_status_household_prints_attempt_log(db, capsys):
    started_with_progress(db, 10)
    assert run(capsys, "status", "--household", "h4") == (0, (
        "household h4 (UTC, 1 member)\n"
        "  c1 2024-03-05 round 1 try 1 (round, voice) 2024-03-05 09:00:00Z no_answer\n"
        "  c1 2024-03-05 round 2 try 1 (round, voice) 2024-03-05 16:00:00Z due\n"), "")
    assert run(capsys, "status", "--household", "zz") == (1, "", "screening: no household 'zz'\n")


def test_campaign_status_household_opted_out_says_why(db, capsys):
    add(db, household("h1", "+12025550101"), household("h2", "+12025550102", members=3))
    spec = make_spec()
    start(db, spec, utc(2024, 3, 5, 7, 0))
    with Session(db) as session:
        planner.plan_due_rounds(session, campaign_id="c1", spec=spec, now=utc(2024, 3, 5, 8, 0))
        session.get(Household, "h2").opted_out_at = utc(2024, 3, 5, 8, 30)
        attempt = session.exec(select(Attempt).where(Attempt.household_id == "h2", Attempt.round_no == 1)).one()
        attempt.status, attempt.detail = "skipped", "not placed: the household opted out"
        session.add(attempt)
        session.commit()
    assert run(capsys, "status", "--household", "h2") == (0, (
        "household h2 (UTC, 3 members)\n"
        "  not contacted: opted out on 2024-03-05 08:30 UTC: never contacted again\n"
        "  c1 2024-03-05 round 1 try 1 (round, voice) 2024-03-05 09:00:00Z skipped: "
        "not placed: the household opted out\n"
        "  c1 2024-03-05 round 2 try 1 (round, voice) 2024-03-05 16:00:00Z due\n"), "")
    add(db, household("h3", "+12025550103", wrong_number_at=utc(2024, 3, 5, 8, 45)))
    assert run(capsys, "status", "--household", "h3") == (0, (
        "household h3 (UTC, 1 member)\n"
        "  not contacted: number marked wrong on 2024-03-05 08:45 UTC: fix the number to contact it\n"
        "  no attempt yet\n"), "")


# --- dry run: the real bot, loaded by the command itself ------------------------------------------

POPULATION = """\
household_id,phone,contact_name,members,timezone,pickup,says_consent,says_temperature,says_symptoms,others
D01,+12025550201,Ana,1,America/New_York,answer,yes,36.6,no,
D02,+12025550202,Ben,1,America/New_York,answer,yes,101 F,no,
D03,+12025550203,Cai,1,America/New_York,busy;answer,yes,36.6,no,
D04,+12025550204,Dan,1,America/New_York,no_answer,yes,36.6,no,
D05,+12025550205,Eva,1,America/New_York,answer,STOP,,,
D06,+12025550206,Fay,1,America/New_York,answer,"not now, call me back at 6pm;yes",36.6,no,
D07,+12025550207,Gus,1,UTC,machine;answer,yes,36.6,no,
D08,+12025550208,Hal,1,UTC,answer,yes,36.6,I can't breathe properly and I have chest pain,
D09,+12025550209,Ivy,2,UTC,answer,yes,36.6,no,"[{""temperature"": ""101 F"", ""symptoms"": ""no""}]"
D10,+12025550210,Jon,1,Asia/Shanghai,failed;answer,yes,36.6,no,
D11,+8613810000011,Kim,1,Asia/Shanghai,answer,yes,36.6,no,
D12,12345,Lee,1,UTC,answer,yes,36.6,no,
"""


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # the byte-order mark every CSV file has
        return list(csv.reader(handle))


def test_campaign_dry_run_summary_files_and_replacing_its_database(db, tmp_path, capsys):
    campaign = tmp_path / "c1.yml"
    campaign.write_text(CAMPAIGN.replace("days: 1", "days: 3") + 'notify: [{name: Dr A, phone: "+12025550199"}]\n')
    population = tmp_path / "population.csv"
    population.write_text(POPULATION)
    out = tmp_path / "out"
    argv = ["dry-run", str(campaign), "--population", str(population), "--days", "1", "--quiet", "--out", str(out)]
    code, stdout, err = run(capsys, *argv)
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0] == f"1 population row rejected, see {out / 'population.rejects.csv'}"
    assert lines[1:18] == [
        "",
        "Dry run of c1:",
        "  households          11",
        "  reached             10",  # all but D04, who never answers
        "  people screened     17",  # two rounds each, D09 for two people; D05 stopped, D06/D07/D10 once
        "  abnormal            6",  # D02 and D09's other person twice, D08 (red flags) twice
        "  urgent              2",
        "  unreachable         1 households never reached; 1 household-days sent for a field visit",
        "  opt-outs            1",
        "  calls placed        24",  # D04 four times (no answer every 2 h), D03 once more (busy), D05 once
        "  retries             4",
        "  callbacks           1",
        "  supervisor alerts   1 texts",  # one per urgent case: D08's second round updates the first
        "  simulated time      1d 09h 00m in " + lines[14].split(" in ", 1)[1],  # Shanghai 00:00 to 20:00 EST
        "  by channel          households  results",  # every result names the channel that reached it
        "    voice                     10       19",  # results.csv's 19 rows, all by call
        "",
    ]
    assert lines[18:] == [f"Wrote {out / 'screening.db'}, {out / 'results.csv'} (19 rows) and "
                          f"{out / 'escalations.csv'} (4 rows)."]
    results, escalations = read_csv(out / "results.csv"), read_csv(out / "escalations.csv")
    assert (tuple(results[0]), len(results)) == (EXPORT_HEADER, 20)
    assert (tuple(escalations[0]), len(escalations)) == (ESCALATION_HEADER, 5)
    kinds = sorted((row[2], row[5]) for row in escalations[1:])  # one case per household and kind
    assert kinds == [("D02", "abnormal"), ("D04", "field_visit"), ("D08", "urgent"), ("D09", "abnormal")]

    population.write_text("\n".join(POPULATION.splitlines()[:3]) + "\n")  # D01 and D02 only
    # A second dry run in the same process: the cached engine's pooled connections would still
    # point at the deleted database file (each CLI run is a fresh process in real use).
    get_engine(f"sqlite:///{out / 'screening.db'}").dispose()
    get_engine.cache_clear()
    code, stdout, err = run(capsys, *argv)
    assert code == 0, err
    assert stdout.splitlines()[2:4] == ["  households          2", "  reached             2"]
    with Session(get_engine(f"sqlite:///{out / 'screening.db'}")) as session:
        assert sorted(session.exec(select(Household.id)).all()) == ["D01", "D02"]


def test_campaign_dry_run_refuses_a_database_it_did_not_write(db, tmp_path, capsys):
    campaign = tmp_path / "c1.yml"
    campaign.write_text(CAMPAIGN)
    population = tmp_path / "population.csv"
    population.write_text(POPULATION)
    live = tmp_path / "live"
    live.mkdir()
    (live / "screening.db").write_bytes(b"live data")
    code, stdout, err = run(capsys, "dry-run", str(campaign), "--population", str(population), "--quiet",
                            "--out", str(live))
    assert (code, stdout) == (1, "")
    assert err == (f"screening: {live / 'screening.db'} exists and was not written by a dry run; "
                   "choose another --out so a live database is never replaced\n")
    assert (live / "screening.db").read_bytes() == b"live data"
    assert sorted(p.name for p in live.iterdir()) == ["screening.db"]
