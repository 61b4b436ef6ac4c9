"""`screening campaign start|pause|resume|stop|status|estimate|dry-run`."""
from __future__ import annotations

import argparse
import math
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.outreach import estimate, lifecycle
from campaigns.records import counts, local_times, progress
from campaigns.outreach.campaign_file import OUTCOMES, CampaignFileError, CampaignSpec, load_campaign, spec_from_json
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
    add_estimate(actions)
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


# --- capacity planning ---------------------------------------------------------------


def add_estimate(actions: Subparsers) -> None:
    plan = actions.add_parser(
        "estimate", help="how long each round takes for N households, and the pace it needs",
        description="Plan a campaign file for N households on a virtual clock with the dispatcher's own rules "
                    "(windows, pacing, calls at once, retries), without calling anyone: each round's end, the "
                    "expected attempts and retries, and the calls per second every round needs to end in time.")
    plan.add_argument("file", type=Path, metavar="campaigns/NAME.yml")
    plan.add_argument("--households", required=True, type=_households, metavar="N")
    plan.add_argument("--pickup", type=_pickup, default=0.7, metavar="P",
                      help="the chance that one attempt reaches the household, more than 0 and at most 1 "
                           "(default 0.7); the others are retried by the campaign's rules")
    plan.add_argument("--call-seconds", type=_seconds, default=estimate.CALL_SECONDS, metavar="S",
                      help=f"how long an answered call lasts (default {estimate.CALL_SECONDS:g})")
    plan.add_argument("--ring-seconds", type=_seconds, default=estimate.RING_SECONDS, metavar="S",
                      help=f"how long an unanswered call rings (default {estimate.RING_SECONDS:g})")
    plan.add_argument("--unreached", choices=OUTCOMES, default="no_answer",
                      help="the outcome of an attempt that does not reach, whose retry rule applies "
                           "(default no_answer)")
    plan.add_argument("--timezone", type=_zone, metavar="ZONE",
                      help="the households' time zone (default: SCREENING_DEFAULT_TIMEZONE)")
    plan.set_defaults(handler=run_estimate)


def _households(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of households (a whole number, 1 or more)")
    return int(text)


def _pickup(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text!r} is not a pickup rate: give a number more than 0 and at most 1, "
                                         "such as 0.7")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (more than 0, under a day)")
    return value


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ValueError, ZoneInfoNotFoundError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time zone name like Asia/Shanghai") from None
    return text


def run_estimate(args: argparse.Namespace) -> int:
    try:
        spec = load_campaign(args.file)
    except CampaignFileError as exc:
        return fail(f"invalid campaign file\n{exc}")
    zone = args.timezone or get_settings().default_timezone
    assumptions = estimate.Assumptions(households=args.households, pickup=args.pickup, call_seconds=args.call_seconds,
                                       ring_seconds=args.ring_seconds, unreached=args.unreached, timezone=zone)
    result = estimate.estimate(spec, assumptions)
    for line in estimate_lines(spec, result):
        print(line)
    return 0


def estimate_lines(spec: CampaignSpec, result: estimate.Estimate) -> list[str]:
    """The estimate as printed: the assumptions, a line per round, the totals and the pace needed."""
    a, pacing, tz = result.assumptions, spec.pacing, ZoneInfo(result.assumptions.timezone)
    lines = [f"campaign {spec.name}: {a.households:,} households in {a.timezone}, pickup {a.pickup:g}, "
             f"{pacing.calls_per_second:g} calls/s, {pacing.max_concurrent_calls} at once, "
             f"answered call {a.call_seconds:g} s, unanswered {a.ring_seconds:g} s",
             f"  {'day':<10} {'round':>5} {'due':>5}  {'last call ends':<16} {'attempts':>11} {'retries':>11} "
             f"{'reached':>11} {'not placed':>11}  in time"]
    for r in result.rounds:
        ends = f"{r.finished.astimezone(tz):%m-%d %H:%M:%S}" if r.finished else "-"
        lines.append(f"  {r.day.isoformat():<10} {r.round_no:>5} {r.due.astimezone(tz):%H:%M}  {ends:<16} "
                     f"{r.attempts:>11,.0f} {r.retries:>11,.0f} {r.reached:>11,.0f} {r.late:>11,.0f}  "
                     f"{'yes' if r.on_time else 'no'}")
    lines.append(f"expected attempts {result.attempts:,.0f}, of which retries {result.retries:,.0f}")
    if result.needed_rate is None:
        lines.append(f"no pace up to {estimate.MAX_RATE:g} calls/s ends every round in time (texts go at "
                     f"sms_per_second, {pacing.sms_per_second:g}/s)")
    elif result.needed_rate == 0:
        lines.append(f"it places no calls: its texts go at sms_per_second, {pacing.sms_per_second:g}/s")
    else:
        lines.append(f"needs {result.needed_rate:.3g} calls/s and {result.needed_concurrent:,} calls at once "
                     f"(at {result.seconds_per_call:g} s a call) to end every round in time; the file gives "
                     f"{pacing.calls_per_second:g}/s and {pacing.max_concurrent_calls}")
    return lines
