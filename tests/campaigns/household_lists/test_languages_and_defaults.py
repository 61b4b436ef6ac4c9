"""A household list's `language` column (normalised, or the row rejected; blank is the campaign's),
and the warnings about rows that took a default time zone or phone region."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session, select

from campaigns.cli import main
from campaigns.household_lists.importer import SHOWN_LINES, import_households
from campaigns.household_lists.rows import REGION_DEFAULTED, TIMEZONE_DEFAULTED, HouseholdRow, Reject, parse_row
from campaigns.records.models import Household


def parse(**cells) -> HouseholdRow | Reject:
    return parse_row({"household_id": "H1", "phone": "+12024561111", "timezone": "UTC", **cells}, line=3,
                     region="US", default_timezone="Asia/Shanghai")


@pytest.mark.parametrize("written, stored", [
    ("zh", "zh"), ("ZH", "zh"), ("zh-CN", "zh"), ("zh_CN", "zh"), ("zh-Hans", "zh"), ("zh-Hans-CN", "zh"),
    ("cmn", "zh"), ("CMN-Hans-CN", "zh"), (" zh ", "zh"), ("zh-TW", "zh"),
    ("en", "en"), ("EN", "en"), ("en-US", "en"), ("en_GB", "en"), ("eng", "en"),
    ("", ""),  # none: the campaign's, decided when the household is contacted
])
def test_language_is_normalised_to_a_language_the_bot_speaks(written, stored):
    assert parse(language=written).language == stored


@pytest.mark.parametrize("written", ["fr", "vi", "yue", "zh-yue", "Chinese", "中文", "e", "zh1"])
def test_a_language_the_bot_does_not_speak_rejects_the_row_naming_the_languages_it_speaks(written):
    rejected = parse(language=written)
    assert isinstance(rejected, Reject)
    assert (rejected.line, rejected.reason) == (3, f"unsupported language {written!r} (the bot speaks en, zh)")


def test_a_bad_language_is_one_reason_among_the_rows_others():
    assert parse(language="fr", phone="1", timezone="Mars/Olympus").reason == (
        "invalid phone number '1' (region US); unsupported language 'fr' (the bot speaks en, zh); "
        "unknown timezone 'Mars/Olympus'")


@pytest.mark.parametrize("cells, defaulted, zone", [
    ({}, (), "UTC"),
    ({"timezone": ""}, (TIMEZONE_DEFAULTED,), "Asia/Shanghai"),
    ({"phone": "(202) 456-1111"}, (REGION_DEFAULTED,), "UTC"),
    ({"phone": "202 456 1111", "timezone": " "}, (TIMEZONE_DEFAULTED, REGION_DEFAULTED), "Asia/Shanghai"),
])
def test_a_row_notes_the_defaults_it_took(cells, defaulted, zone):
    row = parse(**cells)
    assert (row.defaulted, row.timezone) == (defaulted, zone)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


HEADER = ["household_id", "phone", "language", "timezone"]


def test_import_keeps_good_rows_rejects_unspoken_languages_and_leaves_blank_languages_blank(db, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HEADER, ["A", "+12024561111", "ZH", "UTC"],
                                          ["B", "+12024561112", "fr", "UTC"], ["C", "+12024561113", "", "UTC"],
                                          ["D", "+12024561114", "en-US", "UTC"]])
    report = import_households(db, path=path, region="US", default_timezone="UTC", rejects_path=tmp_path / "r.csv")
    assert [(r.line, r.household_id, r.reason) for r in report.rejects] == [
        (3, "B", "unsupported language 'fr' (the bot speaks en, zh)")]
    with Session(db) as session:
        assert {h.id: h.language for h in session.exec(select(Household))} == {"A": "zh", "C": "", "D": "en"}


def test_import_counts_rows_that_took_the_default_timezone_or_region_and_names_their_first_lines(db, tmp_path):
    rows = [HEADER] + [[f"H{n}", f"(202) 456-{1000 + n}" if n % 3 else f"+1202456{1000 + n}", "",
                        "" if n % 2 else "Asia/Tokyo"] for n in range(1, 15)]
    rows += [["X1", "(202) 456-9999", "", "Nowhere/City"]]  # rejected rows are not counted
    report = import_households(db, path=write_csv(tmp_path / "h.csv", rows), region="US",
                               default_timezone="Asia/Shanghai", rejects_path=None)
    assert (report.created, report.rejected) == (14, 1)
    blank_zone = [n + 1 for n in range(1, 15) if n % 2]
    national = [n + 1 for n in range(1, 15) if n % 3]
    assert report.defaulted == {TIMEZONE_DEFAULTED: len(blank_zone), REGION_DEFAULTED: len(national)}
    assert report.defaulted_lines == {TIMEZONE_DEFAULTED: blank_zone[:SHOWN_LINES],
                                      REGION_DEFAULTED: national[:SHOWN_LINES]}
    assert report.warnings() == [
        "7 rows without a timezone: Asia/Shanghai (the default) used (lines 2, 4, 6, 8, 10, ...)",
        "10 rows with a phone number without +country code: read in region US (lines 2, 3, 5, 6, 8, ...)"]
    assert report.warnings(region_chosen=True) == report.warnings()[:1]


def test_a_single_defaulted_row_is_named_alone(db, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HEADER, ["A", "+12024561111", "", ""]])
    report = import_households(db, path=path, region="US", default_timezone="UTC", rejects_path=None)
    assert report.warnings() == ["1 row without a timezone: UTC (the default) used (line 2)"]


def test_cli_import_warns_about_defaults_and_still_succeeds(db, tmp_path, capsys):
    path = write_csv(tmp_path / "h.csv", [HEADER, ["A", "(202) 456-1111", "zh-CN", ""], ["B", "+12024561112", "", ""]])
    assert main(["households", "import", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "warning: 2 rows without a timezone: UTC (the default) used (lines 2, 3)",
        "warning: 1 row with a phone number without +country code: read in region US (line 2)"]
    assert out.strip().splitlines()[-1] == "imported 2 new, updated 0, rejected 0"
    assert main(["households", "import", str(path), "--region", "US"]) == 0  # the region was chosen: no word on it
    assert capsys.readouterr().err.splitlines() == [
        "warning: 2 rows without a timezone: UTC (the default) used (lines 2, 3)"]
