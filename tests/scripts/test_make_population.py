"""The demo population (scripts/make_population.py): the shipped file is the generator's output, a
third of it Mandarin, and its Mandarin answers read as their English counterparts do."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from bot.understanding import readers_for
from scripts import make_population as generator

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "examples" / "population-500.csv"
FLAG_AT = 37.3  # the demo campaign's fever threshold


def generated(count: int = 500) -> str:
    out = io.StringIO(newline="")
    generator.write(count, out)
    return out.getvalue()


def test_the_shipped_population_is_the_generators_output():
    with SHIPPED.open(newline="", encoding="utf-8") as handle:
        assert handle.read() == generated(), "run: python scripts/make_population.py"


def test_the_generator_is_deterministic_and_a_longer_run_extends_a_shorter_one():
    assert generated(50) == generated(50)
    assert generated(500).startswith(generated(50))


def test_about_a_third_speak_mandarin_with_chinese_names_in_every_community():
    rows = list(csv.DictReader(io.StringIO(generated())))
    languages = Counter(row["language"] for row in rows)
    assert set(languages) == {"en", "zh"} and 0.30 <= languages["zh"] / len(rows) <= 0.37
    mandarin = [row for row in rows if row["language"] == "zh"]
    assert {row["community"] for row in mandarin} == {community for _, _, community in generator.ZONES}
    assert all(row["language"] == "zh" for row in rows if row["community"] in generator.MANDARIN_COMMUNITIES)
    names = generator.SAYS["zh"]["names"]
    for row in mandarin:
        members = row["member_names"].split(";")
        assert set(members) <= set(names) and row["contact_name"] == members[0] and len(members) == int(row["members"])
    others = [item for row in mandarin if row["others"] for item in json.loads(row["others"])]
    assert others and all(item["temperature"] in dict(generator.SAYS["zh"]["temperature"]) for item in others)


def _weights(language: str, table: str) -> list[int]:
    return [weight for _, weight in generator.SAYS[language][table]]


@pytest.mark.parametrize("table", ["consent", "temperature", "symptoms"])
def test_each_mandarin_table_weighs_as_much_as_the_english_one(table):
    # One draw per answer either way, so the English rows stay as they were and both languages
    # answer in the same proportions.
    assert sum(_weights("zh", table)) == sum(_weights("en", table))


def _temperature(language: str, said: str) -> str:
    read = readers_for(language)
    reading = read.temperature(said)
    if reading is None:
        return "not measured" if read.not_measured(said) else "not understood"
    return "implausible" if not reading.plausible else "flagged" if reading.celsius >= FLAG_AT else "not flagged"


def test_mandarin_temperatures_read_as_the_english_ones_entry_for_entry():
    english = [(weight, _temperature("en", said)) for said, weight in generator.SAYS["en"]["temperature"]]
    mandarin = [(weight, _temperature("zh", said)) for said, weight in generator.SAYS["zh"]["temperature"]]
    assert mandarin == english
    assert "not understood" not in {kind for _, kind in english}


def _symptoms(language: str, said: str):
    report = readers_for(language).symptoms(said)
    return None if report is None else (sorted(report.symptoms), sorted(report.red_flags))


def test_mandarin_symptoms_read_as_the_english_ones_entry_for_entry():
    english = [(weight, _symptoms("en", said)) for said, weight in generator.SAYS["en"]["symptoms"]]
    mandarin = [(weight, _symptoms("zh", said)) for said, weight in generator.SAYS["zh"]["symptoms"]]
    assert mandarin == english
    assert all(reading is not None for _, reading in english)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_other_answers_read_as_meant(language):
    read, says = readers_for(language), generator.SAYS[language]
    yes, no = says["others_unwell"]
    assert (read.yes_no(yes), read.yes_no(no)) == (True, False)
    assert [read.yes_no(said) for said in says["feverish"]] == [False, True]
    for consent, callbacks in says["callback_later"].items():
        assert read.mentions_callback(consent.split(";")[0])
        assert all(read.mentions_callback(said) for said in callbacks)
