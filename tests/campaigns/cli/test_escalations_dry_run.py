"""A dry run of two rounds through the real model and actions leaves at most one open escalation per
household and kind: each later screening updates the household's case, its people named."""
from __future__ import annotations

import csv

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.cli import main
from campaigns.records.db import get_engine
from campaigns.records.export import ESCALATION_HEADER
from campaigns.records.models import Escalation, Screening

CAMPAIGN = """\
name: c1
schedule: {start: 2024-03-05, days: 1, rounds: ["09:00", "16:00"]}
calling_window: {start: "08:00", end: "20:00"}
notify: [{name: Dr A, phone: "+12025550199"}]
"""
POPULATION = """\
household_id,phone,contact_name,members,member_names,timezone,pickup,says_consent,says_temperature,says_symptoms,others
F01,+12025550301,Lena,3,Lena;Jun;Mei,UTC,answer,yes,38.3,a cough,"[{""temperature"": ""37.9"", ""symptoms"": ""no""}, {""temperature"": ""37.5"", ""symptoms"": ""sore throat""}]"
F02,+12025550302,Hal,1,,UTC,answer,yes,36.6,I can't breathe properly and I have chest pain,
F03,+12025550303,Ivy,2,Ivy;Omar,UTC,answer,yes,36.6,no,"[{""temperature"": ""101 F"", ""symptoms"": ""no""}]"
F04,+12025550304,Dan,1,,UTC,no_answer,yes,36.6,no,
F05,+12025550305,Ana,1,,UTC,answer,yes,36.6,no,
"""


def test_dry_run_leaves_one_open_case_per_household_and_kind(db, tmp_path, capsys):
    campaign, population, out = tmp_path / "c1.yml", tmp_path / "population.csv", tmp_path / "out"
    campaign.write_text(CAMPAIGN)
    population.write_text(POPULATION)
    code = main(["campaign", "dry-run", str(campaign), "--population", str(population), "--quiet",
                 "--out", str(out)])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert "  supervisor alerts   1 texts" in stdout.splitlines()  # one urgent case, two urgent screenings
    engine = get_engine(f"sqlite:///{out / 'screening.db'}")
    try:
        with Session(engine) as session:
            duplicated = session.exec(
                select(Escalation.household_id, Escalation.kind, sa.func.count())
                .where(Escalation.status.in_(("open", "acknowledged")))
                .group_by(Escalation.household_id, Escalation.kind).having(sa.func.count() > 1)).all()
            cases = {(e.household_id, e.kind): e for e in session.exec(select(Escalation))}
            names = session.exec(select(Screening.person_name).where(Screening.household_id == "F01")
                                 .order_by(Screening.id)).all()
    finally:
        engine.dispose()
        get_engine.cache_clear()
    assert duplicated == []
    assert {key: case.raised_count for key, case in cases.items()} == {
        ("F01", "abnormal"): 2, ("F02", "urgent"): 2, ("F03", "abnormal"): 2, ("F04", "field_visit"): 1}
    assert cases["F01", "abnormal"].detail == "Lena (contact), 38.3 °C, cough; Jun, 37.9 °C; Mei, 37.5 °C, sore throat"
    assert cases["F02", "urgent"].detail == "Hal (contact), 36.6 °C, difficulty breathing, chest pain"
    assert cases["F03", "abnormal"].detail == "Omar, 38.3 °C"
    assert names == ["Lena", "Jun", "Mei"] * 2
    with open(out / "escalations.csv", newline="", encoding="utf-8") as handle:
        exported = [dict(zip(ESCALATION_HEADER, row)) for row in list(csv.reader(handle))[1:]]
    assert sorted((row["household_id"], row["kind"], row["raised_count"]) for row in exported) == [
        ("F01", "abnormal", "2"), ("F02", "urgent", "2"), ("F03", "abnormal", "2"), ("F04", "field_visit", "1")]
