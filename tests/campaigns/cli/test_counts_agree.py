"""Counting the same way everywhere: on the database a small dry run made (the real model and
actions), the dry-run summary, `campaign status`, the console and the daily summary give the same
numbers, per language too; and the dry run stamps escalations with its simulated clock, as it
stamps results."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from campaigns.cli import main
from campaigns.console.app import create_app
from campaigns.records.db import get_engine
from campaigns.records.models import Escalation, Household, Screening, UnreachableDay
from campaigns.records.vocabulary import language_of
from campaigns.settings import get_settings
from tests.campaigns.console.conftest import add_staff, api_token

CAMPAIGN = """\
name: c1
schedule: {start: 2024-03-05, days: 1, rounds: ["09:00", "16:00"]}
calling_window: {start: "08:00", end: "20:00"}
"""
POPULATION = """\
household_id,phone,contact_name,members,member_names,language,timezone,community,pickup,says_consent,says_temperature,says_symptoms,others
D01,+12025550301,Ana,1,,,UTC,North,answer,yes,36.6,no,
D02,+12025550302,Ben,1,,,UTC,North,answer,yes,101 F,no,
D03,+12025550303,Cai,1,,,UTC,North,no_answer,yes,36.6,no,
D04,+12025550304,Dan,1,,,America/New_York,South,answer,STOP,,,
D05,+12025550305,Eva,1,,,America/New_York,South,answer,yes,36.6,I can't breathe properly and I have chest pain,
D06,+12025550306,Fay,2,Fay;Gil,,UTC,South,answer,yes,36.6,no,"[{""temperature"": ""38.5"", ""symptoms"": ""no""}]"
D07,+12025550307,Hal,1,,,UTC,,busy;answer,yes,36.6,no,
D08,+12025550308,Ivy,1,,,UTC,North,answer,"not now, call me back at 6pm;yes",36.6,no,
D09,+12025550309,王芳,2,王芳;李强,zh,UTC,North,answer,是的,三十七度八,有点咳嗽,"[{""temperature"": ""三十六度六"", ""symptoms"": ""没有""}]"
D10,+12025550310,陈静,1,,ZH,UTC,South,busy;answer,好的,36度6,没有,
"""
SUMMARY = {"households": "households", "reached": "reached", "people screened": "screened", "abnormal": "abnormal",
           "urgent": "urgent", "opt-outs": "opted_out"}


def run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def dry_run_summary(out: str) -> dict[str, int]:
    found = {SUMMARY[name]: int(value) for name, value in re.findall(r"^  (\w[\w -]+?) {2,}(\d+)$", out, re.M)
             if name in SUMMARY}
    never, days = re.search(r"unreachable +(\d+) households never reached; (\d+) household-days", out).groups()
    return {**found, "never_reached": int(never), "unreachable": int(days)}


def language_tables(out: str, indent: int) -> dict[str, tuple[int, ...]]:
    """(households, reached, screened, abnormal, urgent) per language, from a table indented `indent`."""
    pattern = rf"^ {{{indent}}}(en|zh)((?: +\d+){{5}})$"
    return {code: tuple(int(v) for v in numbers.split()) for code, numbers in re.findall(pattern, out, re.M)}


def status_rounds(out: str) -> list[tuple[int, ...]]:
    """(households, reached, due, dialling, unreachable, abnormal) of each round `campaign status` prints."""
    return [tuple(int(v) for v in line.split()[2:8]) for line in out.splitlines() if re.match(r"  \d{4}-", line)]


def test_every_reader_counts_the_dry_runs_database_alike(db, tmp_path, capsys):
    (tmp_path / "c1.yml").write_text(CAMPAIGN)
    (tmp_path / "population.csv").write_text(POPULATION)
    printed = run(capsys, "campaign", "dry-run", str(tmp_path / "c1.yml"), "--population",
                  str(tmp_path / "population.csv"), "--quiet", "--out", str(tmp_path / "out"))
    summary = dry_run_summary(printed)
    # The dry run points SCREENING_DATABASE_URL at its own database: every reader below reads it.
    get_settings.cache_clear()
    engine = get_engine(get_settings().database_url)
    status = run(capsys, "campaign", "status", "c1")
    rounds = status_rounds(status)
    with Session(engine) as session:
        _per_language_agrees(session, language_tables(printed, 4), language_tables(status, 2), summary)
    daily = list(csv.reader(io.StringIO(run(capsys, "report", "daily", "--day", "2024-03-05", "--csv"))))
    header, total = daily[0], dict(zip(daily[0], daily[-1]))
    add_staff(engine)
    with TestClient(create_app(get_settings())) as client:
        bearer = {"Authorization": f"Bearer {api_token(engine, 'viewer')}"}
        console_rounds = client.get("/api/v1/campaigns", headers=bearer).json()[0]["rounds"]
        console_daily = client.get("/api/v1/reports/daily?day=2024-03-05&campaign=c1", headers=bearer).json()
        page = client.get("/reports/daily.csv?day=2024-03-05&campaign=c1", headers=bearer).text
        rates = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td>", _campaigns_page(client, engine))

    # The console and `campaign status` show the same rounds, counted by the same module.
    assert rounds == [(r["households"], r["reached"], r["due"], r["dialling"], r["unreachable"], r["abnormal"])
                      for r in console_rounds]
    # The daily summary: the CLI's CSV is the console's, line for line (but the campaign cell).
    assert [line[2:] for line in daily[1:]] == [line[2:] for line in csv.reader(io.StringIO(page))][1:]
    assert [line["community"] for line in console_daily["lines"]] == ["North", "South", "(no community)",
                                                                      "(all communities)"]
    day = {name: int(total[name]) for name in header[3:]}
    assert day == {key: value for key, value in console_daily["lines"][-1].items() if key != "community"}
    # And the dry run's summary, for its one day, says the same.
    assert (summary["households"], summary["reached"], summary["unreachable"], summary["opted_out"]) == (
        day["households_targeted"], day["reached"], day["unreachable"], day["opted_out"])
    assert (summary["screened"], summary["abnormal"], summary["urgent"]) == (
        day["people_screened"], day["abnormal"], day["urgent"])
    assert summary["never_reached"] == summary["households"] - summary["reached"] == day["unreachable"]
    assert max(r[0] for r in rounds) == summary["households"] and sum(r[5] for r in rounds) == summary["abnormal"]
    assert (sum(int(s) for s, _ in rates), sum(int(a) for _, a in rates)) == (summary["screened"], summary["abnormal"])
    # Something was counted: D03 unreachable, D04 opted out, D02, D06's second person and D09 abnormal,
    # D05 urgent.
    assert (summary["households"], summary["unreachable"], summary["opted_out"], summary["urgent"]) == (10, 1, 1, 2)
    assert summary["abnormal"] >= 5
    with Session(engine) as session:
        assert len(session.exec(select(UnreachableDay)).all()) == day["unreachable"]  # the field-visit sweep agrees
        _stamped_by_the_simulated_clock(session)


def _per_language_agrees(session: Session, dry_run: dict, status: dict, summary: dict) -> None:
    """The dry run's and `campaign status`'s tables per language match the screening rows; D09 and D10,
    who answer in Mandarin, are reached and screened in it, their answers read and none left unclear."""
    assert dry_run == status and set(dry_run) == {"en", "zh"}
    assert [sum(row[i] for row in dry_run.values()) for i in range(5)] == [
        summary[name] for name in ("households", "reached", "screened", "abnormal", "urgent")]
    # As the bot speaks: the household's language, else the campaign's (c1 names none: English).
    language = {h.id: language_of(h.language) or "en" for h in session.exec(select(Household)).all()}
    rows = session.exec(select(Screening)).all()
    screened = [row for row in rows if row.abnormal or any(value is not None for value in (
        row.temperature_c, row.feels_feverish, row.symptoms, row.red_flags))]
    for code, (_, _, people, abnormal, urgent) in dry_run.items():
        mine = [row for row in screened if language[row.household_id] == code]
        assert (people, abnormal, urgent) == (len(mine), sum(bool(r.abnormal) for r in mine),
                                              sum(bool(r.urgent) for r in mine)), code
    assert dry_run["zh"] == (2, 2, 6, 2, 0)  # D09 (a fever) and 李强, D10: each round
    mandarin = [(r.household_id, r.person_index, r.temperature_c, r.temperature_said, r.symptoms)
                for r in rows if language[r.household_id] == "zh"]
    assert sorted(set(mandarin)) == [
        ("D09", 0, 37.8, "三十七度八", "cough"), ("D09", 1, 36.6, "三十六度六", ""), ("D10", 0, 36.6, "36度6", "")]
    assert len(mandarin) == 6
    assert not [e for e in session.exec(select(Escalation)).all()
                if e.kind == "unclear" and language[e.household_id] == "zh"]


def _campaigns_page(client: TestClient, engine) -> str:
    from tests.campaigns.console.conftest import sign_in

    sign_in(client, "viewer")
    return client.get("/campaigns?campaign=c1").text.split('class="communities"', 1)[1]


def _stamped_by_the_simulated_clock(session: Session) -> None:
    """Results and escalations of a dry run carry its virtual times (March 2024), never the wall clock's."""
    first, last = datetime(2024, 3, 5, tzinfo=timezone.utc), datetime(2024, 3, 7, tzinfo=timezone.utc)
    escalations = session.exec(select(Escalation)).all()
    finished = [row.finished_at for row in session.exec(select(Screening)).all()]
    raised = [t for row in escalations for t in (row.created_at, row.last_raised_at) if t is not None]
    assert {row.kind for row in escalations} >= {"abnormal", "urgent", "field_visit"}
    assert finished and all(first <= t < last for t in finished)
    assert raised and all(first <= t < last for t in raised), sorted(raised)[-1]
