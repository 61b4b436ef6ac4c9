"""A dry run gives the same results with its shortcuts as without them.

The dry run's loop skips the dispatcher's ticks that would do nothing (campaigns.outreach.dryrun.Ticks),
and the in-process bot runs the model's graph node by node instead of through dask
(bot.graph_order.InOrder). Here the same day of real households, through the real model and actions,
is run both ways: the old way (every tick in full, the graph through Rasa's dask runner) and the
dry run's way. Their results, escalations and summaries must be the same, and the shortcuts must
have been taken.
"""
from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.graph_order import InOrder
from campaigns.household_lists.importer import import_households
from campaigns.outreach import dryrun
from campaigns.outreach.campaign_file import load_campaign
from campaigns.records import export
from campaigns.records.db import get_engine
from campaigns.settings import get_settings

ROOT = Path(__file__).resolve().parents[3]
HOUSEHOLDS = 30  # the demo's first 30: busy, unanswered and answered calls, callbacks, opt-outs, urgent cases


@pytest.fixture
def population(tmp_path) -> Path:
    lines = (ROOT / "examples" / "population-500.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "population.csv"
    path.write_text("".join(lines[:HOUSEHOLDS + 1]), encoding="utf-8")
    return path


def rehearse(engine, population: Path, bot, **options) -> tuple[str, str, list[str], dryrun.Summary]:
    """A one-day dry run of the demo's campaign: results.csv, escalations.csv (the random part of
    each conversation id, its claim token, left out), the summary without its wall time."""
    settings = get_settings()
    spec = load_campaign(ROOT / "campaign-files" / "daily-fever-check.yml")
    spec = spec.copy(update={"schedule": spec.schedule.copy(update={"days": 1, "end": None})})
    import_households(engine, path=population, region=settings.default_region,
                      default_timezone=settings.default_timezone, rejects_path=population.with_suffix(".rejects"),
                      progress=False)
    residents = dryrun.load_population(population, region=settings.default_region,
                                       default_timezone=settings.default_timezone)
    summary, _ = asyncio.run(dryrun.run(engine, spec=spec, source="test", residents=residents, bot=bot,
                                        progress=False, **options))
    results, escalations = io.StringIO(), io.StringIO()
    with Session(engine) as session:
        export.export_screenings(session, out=results, campaign_id=spec.name)
        export.export_escalations(session, out=escalations)
    lines = [line for line in summary.lines() if "wall time" not in line]
    return results.getvalue(), re.sub(r"(:a\d+)-[0-9a-f]{6}", r"\1", escalations.getvalue()), lines, summary


def test_the_dry_runs_shortcuts_leave_its_results_as_they_were(db, tmp_path, monkeypatch, population,
                                                                 screening_bot):
    processor = screening_bot.agent.processor
    assert isinstance(processor.graph_runner, InOrder)
    in_order = processor.graph_runner
    processor.graph_runner = in_order.runner  # Rasa's own DaskGraphRunner
    try:
        old = rehearse(db, population, screening_bot, skip_idle_ticks=False)
    finally:
        processor.graph_runner = in_order

    url = f"sqlite:///{tmp_path}/second.db"
    monkeypatch.setenv("SCREENING_DATABASE_URL", url)  # where the actions write
    get_settings.cache_clear()
    new = rehearse(get_engine(url), population, screening_bot)

    assert old[3].ticks_skipped == 0 and new[3].ticks_skipped > new[3].ticks  # most ticks had nothing to do
    assert old[3].ticks == new[3].ticks + new[3].ticks_skipped  # the loop woke as often
    assert new[3].reached > 20 and new[3].urgent >= 1 and new[3].retries > 0  # a day with something in it
    assert new[2] == old[2]
    assert new[1] == old[1]
    assert new[0] == old[0]
