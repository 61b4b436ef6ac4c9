"""Every campaign file shipped in campaign-files/ can be rehearsed: `screening campaign dry-run
FILE --population examples/population-500.csv --days 1`, through the real model and actions
(loaded once for the session), finishes within a wall-clock limit and reaches households.

To keep CI short, a campaign that targets everyone runs over the first 100 rows of the demo
population (the daily check over all 500 takes minutes; 100 is still more households than
its 50 concurrent lines, and a few of them fall back to SMS). A campaign that picks its own
households (a community or a list) runs over the whole demo population, so the community is
complete: the one-off survey texts all 125 households of Riverside, the shape that once hung
(more than 88 SMS-first households in one community; see outreach/test_dry_run_texts.py).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from campaigns.cli import common
from campaigns.cli import main
from campaigns.outreach.campaign_file import CampaignSpec, load_campaign
from campaigns.records.db import get_engine
from campaigns.settings import get_settings
from tests.campaigns.outreach.time_limit import within

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGNS = sorted((ROOT / "campaign-files").glob("*.yml"))
POPULATION = ROOT / "examples" / "population-500.csv"
EVERYONE_ROWS = 100  # more than max_concurrent_calls (50), so calls queue for a free line
WALL_LIMIT = 300  # seconds per campaign; each takes one to two minutes on a busy 2-core machine
# Of the households a campaign targets, at least this share is reached on the day. The demo
# population has some who never pick up or refuse, so not all; a broken rehearsal reaches few.
REACHED_AT_LEAST = 0.75


def test_the_shipped_campaign_files_are_found():
    # An empty glob would parametrize nothing and pass in silence.
    assert {"daily-fever-check.yml", "one-off-survey.yml"} <= {path.name for path in CAMPAIGNS}


def population_for(spec: CampaignSpec, folder: Path) -> tuple[Path, int]:
    """The population file to rehearse `spec` on, and how many of its households the campaign targets."""
    with POPULATION.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    if spec.households.mode == "community":
        return POPULATION, sum(row["community"] == spec.households.community for row in rows)
    if spec.households.mode == "file":
        with spec.households.file.open(newline="", encoding="utf-8-sig") as handle:
            listed = {row["household_id"] for row in csv.DictReader(handle)}
        return POPULATION, sum(row["household_id"] in listed for row in rows)
    path = folder / "population.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows[:EVERYONE_ROWS])
    return path, EVERYONE_ROWS


@pytest.fixture
def command(screening_bot, tmp_path, monkeypatch):
    """The dry-run command with the session's bot; the database URL it sets for the actions is
    put back afterwards, and its cached engine is closed."""
    monkeypatch.setattr(common, "load_bot", lambda: screening_bot)
    monkeypatch.setenv("SCREENING_DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    yield
    get_engine(f"sqlite:///{tmp_path / 'out' / 'screening.db'}").dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.mark.parametrize("path", CAMPAIGNS, ids=[path.stem for path in CAMPAIGNS])
def test_shipped_campaign_dry_run_finishes_and_reaches_households(path, command, tmp_path, capsys):
    population, targeted = population_for(load_campaign(path), tmp_path)
    out = tmp_path / "out"
    argv = ["campaign", "dry-run", str(path), "--population", str(population), "--days", "1",
            "--quiet", "--out", str(out)]
    with within(WALL_LIMIT, f"the dry run of {path.name}"):
        code = main(argv)
    stdout, err = capsys.readouterr()
    assert code == 0, err
    summary = dict(re.findall(r"^  (households|reached|people screened) +(\d+)", stdout, re.M))
    assert int(summary["households"]) == targeted, stdout
    assert int(summary["reached"]) >= REACHED_AT_LEAST * targeted, stdout
    assert int(summary["people screened"]) > 0, stdout
    with (out / "results.csv").open(newline="", encoding="utf-8-sig") as handle:
        results = list(csv.DictReader(handle))
    assert results  # the export has rows, not a header alone
    # Each result names the channel that reached its household, and the summary counts them exactly.
    exported = {channel: (len({r["household_id"] for r in results if r["channel"] == channel}),
                          sum(r["channel"] == channel for r in results))
                for channel in {r["channel"] for r in results}}
    counted = {channel: (int(households), int(rows)) for channel, households, rows
               in re.findall(r"^    (\w+) +(\d+) +(\d+)$", stdout.split("by channel")[1].split("by language")[0], re.M)}
    assert counted == exported, stdout
    assert set(counted) <= {"voice", "sms", "link"}, stdout
    if path.stem == "one-off-survey":
        assert counted == expected_survey_channels(population), stdout


def expected_survey_channels(population: Path) -> dict[str, tuple[int, int]]:
    """The one-off survey (SMS once, then the chat link) over Riverside, from the population's
    pickup column: a first text answered reaches the household by SMS; one left unanswered (busy,
    no answer or a machine: a text is never busy) is followed by a link, which reaches it when
    the resident's next outcome is an answer. An undelivered text waits for a next round there is
    not. Result rows per channel are what this population's answers come to: measured, and fixed
    by the virtual clock."""
    with population.open(newline="", encoding="utf-8") as handle:
        pickups = [row["pickup"].split(";") for row in csv.DictReader(handle) if row["community"] == "Riverside"]
    by_sms = sum(p[0] == "answer" for p in pickups)
    by_link = sum(p[0] in ("busy", "no_answer", "machine") and (p[1:] or p)[0] == "answer" for p in pickups)
    assert (by_sms, by_link) == (92, 22)  # the demo population as shipped
    return {"sms": (by_sms, 235), "link": (by_link, 59)}
