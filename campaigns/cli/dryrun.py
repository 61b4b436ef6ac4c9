"""`screening campaign dry-run`: rehearse a campaign on a virtual clock with simulated residents.

The dry run writes to a database of its own (OUT/screening.db), never to the live one,
and it needs the bot: the in-process adapter that `bot/` provides is loaded by name.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from sqlmodel import Session

from campaigns.outreach import dryrun
from campaigns.records import export
from campaigns.records.db import get_engine
from campaigns.outreach.campaign_file import CampaignFileError, load_campaign
from campaigns.cli.common import Subparsers, bot_for_the_command, engine_for, fail, plural
from campaigns.household_lists.importer import HouseholdFileError, import_households
from campaigns.settings import get_settings
from campaigns.carriers.residents import PopulationError

MARKER = ".dry-run"  # beside a database a dry run wrote, so the next one may replace it


def add(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "dry-run", help="rehearse a campaign against simulated residents",
        description="Run a whole campaign on a virtual clock against simulated residents, through the "
                    "real model and actions, then print a summary (with the households and results each "
                    "channel reached: voice, sms, link). Writes OUT/screening.db, OUT/results.csv and "
                    "OUT/escalations.csv.")
    parser.add_argument("file", type=Path, metavar="campaigns/NAME.yml")
    parser.add_argument("--population", required=True, type=Path, metavar="FILE.csv",
                        help="households plus pickup and says_* columns (see the README)")
    parser.add_argument("--out", type=Path, default=Path("out/dry-run"), metavar="DIR",
                        help="where the dry run's database and CSV files go (default: out/dry-run)")
    parser.add_argument("--region", help="region for phone numbers without a + prefix (default: settings)")
    parser.add_argument("--days", type=_positive, metavar="N", help="rehearse only the first N days")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days (1 or more)")
    return int(text)


def run(args: argparse.Namespace) -> int:
    try:
        spec = load_campaign(args.file)
    except CampaignFileError as exc:
        return fail(f"invalid campaign file\n{exc}")
    if args.days:
        spec = spec.copy(update={"schedule": spec.schedule.copy(update={"days": min(args.days, len(spec.days())),
                                                                          "end": None})})
    database = args.out / "screening.db"
    problem = _prepare_out(args.out, database)
    if problem:
        return fail(problem)
    url = f"sqlite:///{database}"
    os.environ["SCREENING_DATABASE_URL"] = url  # the bot's actions write where the dry run reads
    get_settings.cache_clear()
    settings = get_settings()
    db = engine_for(url, name="the dry run's database")
    if db is None:
        return 1
    region = args.region or settings.default_region
    try:
        report = import_households(db, path=args.population, region=region,
                                   default_timezone=settings.default_timezone,
                                   rejects_path=args.out / "population.rejects.csv", progress=not args.quiet)
        residents = dryrun.load_population(args.population, region=region,
                                           default_timezone=settings.default_timezone)
    except (HouseholdFileError, PopulationError) as exc:
        return fail(str(exc))
    if report.rejected:
        print(f"{plural(report.rejected, 'population row')} rejected, see {args.out / 'population.rejects.csv'}")
    # Each escalation is counted in the summary and written to escalations.csv, not logged.
    logging.getLogger("campaigns.records.escalations").setLevel(logging.ERROR)
    try:
        with bot_for_the_command() as bot:
            summary, _ = asyncio.run(dryrun.run(db, spec=spec, source=str(args.file), residents=residents,
                                                bot=bot, progress=not args.quiet))
    except dryrun.lifecycle.CampaignError as exc:
        return fail(str(exc))
    with Session(db) as session:
        rows = export.export_to_path(session, path=args.out / "results.csv", campaign_id=spec.name)
        escalations = export.write_atomically(args.out / "escalations.csv",
                                              lambda out: export.export_escalations(session, out=out))
    print(f"\nDry run of {spec.name}:")
    for line in summary.lines():
        print(f"  {line}")
    print(f"\nWrote {database}, {args.out / 'results.csv'} ({plural(rows, 'row')}) and "
          f"{args.out / 'escalations.csv'} ({plural(escalations, 'row')}).")
    return 0


def _prepare_out(out: Path, database: Path) -> str | None:
    """Make room for a fresh database; refuse to replace one a dry run did not write."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {out}: {exc.strerror or exc}"
    marker = out / MARKER
    if database.exists() and not marker.exists():
        return (f"{database} exists and was not written by a dry run; choose another --out "
                "so a live database is never replaced")
    get_engine.cache_clear()  # an engine cached for the old file must not outlive it
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)
    marker.write_text("written by `screening campaign dry-run`; the next dry run may replace this folder's database\n")
    return None
