"""`screening campaign start|pause|resume|stop|status|dry-run`."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.outreach import lifecycle
from campaigns.records import counts, local_times, progress
from campaigns.outreach.campaign_file import CampaignFileError, CampaignSpec, load_campaign, spec_from_json
from campaigns.cli.common import Subparsers, db_reason, engine, fail, plural
from campaigns.records.models import Campaign, Household
from campaigns.settings import get_settings


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("campaign", help="start, follow and rehearse campaigns",
                                 description="Start, pause, resume, stop, follow or rehearse a campaign.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start a campaign from its file",
                               description="Validate a campaign file and start it; `screening run` then dials it.")
    start.add_argument("file", type=Path, metavar="campaigns/NAME.yml")
    start.set_defaults(handler=run_start)
    for action, text in (("pause", "stop dialling; calls in progress finish"), ("resume", "dial again"),
                         ("stop", "end the campaign; attempts still due are canceled")):
        sub = actions.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("name", metavar="NAME", help="the campaign's name")
        sub.set_defaults(handler=run_change, change=action)
    show = actions.add_parser("status", help="progress per round, or one household's attempt log",
                              description="Progress of each round with its estimated time to finish; "
                                          "with --household, why that household was or was not contacted.")
    show.add_argument("name", nargs="?", metavar="NAME", help="one campaign (default: all)")
    show.add_argument("--household", metavar="ID", help="show this household's attempt log")
    show.set_defaults(handler=run_status)
    from campaigns.cli import dryrun  # the dry run has its own module: it needs the bot

    dryrun.add(actions)


def run_start(args: argparse.Namespace) -> int:
    try:
        spec = load_campaign(args.file)
    except CampaignFileError as exc:
        return fail(f"invalid campaign file\n{exc}")
    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            _, count = lifecycle.start_campaign(session, spec=spec, source=str(args.file),
                                                now=datetime.now(timezone.utc))
            session.commit()
    except lifecycle.CampaignError as exc:
        return fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)}")
    days = spec.days()
    print(f"campaign {spec.name} started: {plural(count, 'household')}, {plural(len(days), 'day')} "
          f"from {days[0]} with {plural(len(spec.schedule.rounds), 'round')} a day. "
          "`screening run` dials it.")
    return 0


def run_change(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            campaign, canceled = lifecycle.change_status(session, campaign_id=args.name, action=args.change,
                                                         now=datetime.now(timezone.utc))
            session.commit()
            state = campaign.status
    except lifecycle.CampaignError as exc:
        return fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)}")
    extra = f"; {plural(canceled, 'attempt')} still due canceled" if args.change == "stop" else ""
    print(f"campaign {args.name} is {state}{extra}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    with Session(db) as session:
        if args.household:
            return _household(session, args.household, args.name)
        query = select(Campaign).order_by(Campaign.id)
        if args.name:
            query = query.where(Campaign.id == args.name)
        campaigns = session.exec(query).all()
        if not campaigns:
            return fail(f"no campaign named {args.name!r}" if args.name else "no campaign has been started")
        for campaign in campaigns:
            print_progress(session, campaign, spec_from_json(campaign.spec_json))
    return 0


def print_progress(session: Session, campaign: Campaign, spec: CampaignSpec) -> None:
    cps = spec.pacing.calls_per_second
    print(f"campaign {campaign.id} ({campaign.status}), pacing {cps:g} calls/s")
    rounds = progress.round_progress(session, campaign_id=campaign.id)
    if not rounds:
        print("  no round planned yet: rounds are planned up to 12 hours ahead by `screening run`")
        return
    print(f"  {'day':<10} {'round':>5} {'households':>10} {'reached':>8} {'due':>6} {'dialling':>8} "
          f"{'unreach.':>8} {'abnormal':>8}  done   time to finish")
    for r in rounds:
        done = f"{100 * r.done / r.households:3.0f}%" if r.households else "   -"
        eta = r.eta(cps)
        left = ("finished" if r.due == 0 and r.dialling == 0
                else f"~{eta} at {cps:g}/s" if eta is not None else "calls running")
        print(f"  {r.day.isoformat():<10} {r.round_no:>5} {r.households:>10} {r.reached:>8} {r.due:>6} "
              f"{r.dialling:>8} {r.unreachable:>8} {r.abnormal:>8}  {done}   {left}")
    print_languages(counts.by_language(session, campaign_id=campaign.id))


def print_languages(languages: list[tuple[str, counts.Tally]]) -> None:
    """The campaign so far per language households are spoken to in, when there are several."""
    if len(languages) < 2:
        return
    print(f"  {'language':<10} {'households':>10} {'reached':>8} {'screened':>9} {'abnormal':>9} {'urgent':>7}")
    for code, t in languages:
        print(f"  {code:<10} {t.targeted:>10} {t.reached:>8} {t.screened:>9} {t.abnormal:>9} {t.urgent:>7}")


def _household(session: Session, household_id: str, campaign_id: str | None) -> int:
    household = session.get(Household, household_id)
    if household is None:
        return fail(f"no household {household_id!r}")
    print(f"household {household.id} ({household.timezone}, {plural(household.members, 'member')})")
    office = local_times.zone(get_settings().office_timezone)
    standing = progress.why_not_contacted(household, None, office=office)
    if standing:
        print(f"  not contacted: {standing}")
    log = progress.household_log(session, household_id=household_id, campaign_id=campaign_id)
    if not log:
        print("  no attempt yet" + ("" if standing else ": its rounds are not planned yet, "
                                    "or no campaign selects it"))
    for a in log:
        print(f"  {a.campaign_id} {a.day} round {a.round_no} try {a.try_no} ({a.kind}, {a.channel}) "
              f"{_when(a.placed_at or a.due_at, office)} {a.status}" + (f": {a.detail}" if a.detail else ""))
    return 0


def _when(moment: datetime, office) -> str:
    """The office's time of an attempt: '2024-03-05 09:00:00Z' in UTC, '2024-03-05 17:00:00 CST' elsewhere."""
    shown = moment.astimezone(office)
    return f"{shown:%Y-%m-%d %H:%M:%S}" + ("Z" if office.key == "UTC" else f" {shown.tzname()}")
