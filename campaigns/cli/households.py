"""`screening households import`: a household list (CSV or XLSX) into the database."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import phonenumbers
import sqlalchemy as sa
from pydantic import ValidationError

from campaigns.cli.common import Subparsers, db_reason, engine, fail, plural
from campaigns.household_lists.importer import HouseholdFileError, ImportReport, import_households
from campaigns.household_lists.rows import MAX_ID_LENGTH
from campaigns.settings import get_settings

SHOWN_REJECTS = 20  # on the terminal; the rejects file has them all


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("households", help="manage the household list",
                                 description="Manage the household list.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imports = actions.add_parser(
        "import", help="create or update households from a CSV or XLSX file",
        description="Create or update households from a CSV or XLSX file. Required columns: "
                    "household_id, phone; optional: contact_name, members, member_names (';'-separated), "
                    "language, timezone, community. Rejected rows are listed and written to a rejects file.",
    )
    imports.add_argument("file", type=Path, metavar="FILE", help="the household list, .csv (UTF-8) or .xlsx")
    imports.add_argument("--region", type=str.upper, metavar="CC",
                         help="country for phone numbers written without +prefix (default: settings default_region)")
    imports.add_argument("--rejects", type=Path, metavar="FILE.csv",
                         help="where to write rejected rows (default: <FILE stem>.rejects.csv next to FILE)")
    imports.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:
        return fail(f"bad settings: {exc}")
    db = engine()
    if db is None:
        return 1
    region = args.region or settings.default_region
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return fail(f"unknown region {region!r} for phone numbers; use a country code such as US or CN")
    rejects_path = args.rejects or args.file.with_name(args.file.stem + ".rejects.csv")
    try:
        report = import_households(
            db, path=args.file, region=region,
            default_timezone=settings.default_timezone, rejects_path=rejects_path, progress=True,
        )
    except HouseholdFileError as exc:
        return fail(str(exc))
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)} (batches before the error were imported; a re-run is safe)")
    _print_report(report, rejects_path, region_chosen=args.region is not None)
    return 1 if report.rejected else 0


def _print_report(report: ImportReport, rejects_path: Path, *, region_chosen: bool) -> None:
    if report.ignored_columns:
        print(f"ignored unknown columns: {', '.join(report.ignored_columns)}", file=sys.stderr)
    for reject in report.rejects[:SHOWN_REJECTS]:
        who = f" ({_shortened(reject.household_id)})" if reject.household_id else ""
        print(f"line {reject.line}{who}: {reject.reason}", file=sys.stderr)
    if report.rejected > SHOWN_REJECTS:
        print(f"... and {report.rejected - SHOWN_REJECTS} more", file=sys.stderr)
    for warning in report.warnings(region_chosen=region_chosen):
        print(f"warning: {warning}", file=sys.stderr)
    summary = f"imported {report.created} new, updated {report.updated}, rejected {report.rejected}"
    if report.rejected:
        summary += f" ({plural(report.rejected, 'row')} written to {rejects_path})"
    print(summary)


def _shortened(household_id: str) -> str:
    # An id too long to import may be thousands of characters: its start is enough to find the row.
    return household_id if len(household_id) <= MAX_ID_LENGTH else household_id[:MAX_ID_LENGTH] + "…"
