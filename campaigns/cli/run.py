"""`screening run`: the scheduler process that dials every running campaign."""
from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from campaigns.carriers import CARRIERS
from campaigns.carriers.simulated import SimulatedCarrier, Timings
from campaigns.carriers.twilio import TwilioCarrier, missing_settings
from campaigns.cli.common import Subparsers, engine, fail, load_bot
from campaigns.outreach.clock import RealClock
from campaigns.outreach.dispatcher import Dispatcher
from campaigns.household_lists.importer import HouseholdFileError
from campaigns.settings import get_settings
from campaigns.carriers.residents import PopulationError

# Dispatchers tick (and beat) once a second; a peer must get a few beats in before it is
# declared dead, or a live one's calls are taken back and dialled twice.
MIN_STALE_AFTER = 3.0


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "run", help="the scheduler: dial every running campaign until stopped",
        description="Plan rounds, claim due attempts and dial them through the carrier, paced, "
                    "until Ctrl-C or SIGTERM. Safe to restart at any moment.")
    parser.add_argument("--carrier", choices=sorted(CARRIERS), default="simulated",
                        help="who places the calls: simulated, or twilio (needs TWILIO_ACCOUNT_SID, "
                             "TWILIO_AUTH_TOKEN, SCREENING_PUBLIC_URL and SCREENING_BOT_TOKEN; default: simulated)")
    parser.add_argument("--population", type=Path, metavar="FILE.csv",
                        help="simulated carrier only: how residents pick up and answer")
    parser.add_argument("--sim-speed", type=float, default=1.0, metavar="F",
                        help="simulated carrier only: multiply every simulated duration by F (e.g. 0.1)")
    parser.add_argument("--stale-after", type=float, default=60.0, metavar="SECONDS",
                        help="take back another dispatcher's calls when its heartbeat is this old "
                             f"(at least {MIN_STALE_AFTER:g}; default 60)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The twilio package logs every API request (URLs with the account SID) at INFO: not for operators.
    logging.getLogger("twilio").setLevel(logging.WARNING)
    db = engine()
    if db is None:
        return 1
    if not args.sim_speed > 0:  # also refuses nan
        return fail("--sim-speed must be greater than 0")
    if not args.stale_after >= MIN_STALE_AFTER:  # also refuses nan
        return fail(f"--stale-after must be at least {MIN_STALE_AFTER:g} seconds: dispatchers beat once a "
                    "second, and a shorter wait would take a live dispatcher for dead and dial its calls twice")
    settings = get_settings()
    clock = RealClock()
    if args.carrier == "simulated":
        try:
            residents = {}
            if args.population:
                from campaigns.outreach.dryrun import load_population

                residents = load_population(args.population, region=settings.default_region,
                                            default_timezone=settings.default_timezone)
        except (HouseholdFileError, PopulationError) as exc:
            return fail(str(exc))
        bot = load_bot()
        timings = Timings().scaled(args.sim_speed)

        def carrier(dispatcher):
            return SimulatedCarrier(dispatcher.on_status, clock=clock, bot=bot, residents=residents, timings=timings)
    else:
        missing = missing_settings(settings)
        if missing:
            return fail(f"the Twilio carrier needs {', '.join(missing)} in the environment "
                        "(see \"Going live with Twilio\" in the README)")

        def carrier(dispatcher):
            return TwilioCarrier(dispatcher.on_status, clock=clock, settings=settings)
    dispatcher = Dispatcher(db, carrier=carrier, clock=clock, stale_after=timedelta(seconds=args.stale_after))
    from campaigns.outreach import scheduler

    asyncio.run(scheduler.serve(dispatcher))
    return 0
