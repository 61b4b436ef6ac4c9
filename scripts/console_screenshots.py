"""Screenshots of the console's main pages for the README, taken in headless Chromium over a
copy of the demo's database (`make demo` writes out/screening.db): in English, and two in Chinese
(the queue and a Mandarin household), as a member of staff whose console language is zh sees them.
The office is in America/Chicago (unless SCREENING_OFFICE_TIMEZONE says otherwise), and the copy's
households, which the demo gives no address, get made-up ones for the field-visit list.

Usage: .venv/bin/python -m scripts.console_screenshots [--db out/screening.db] [--out docs]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

from sqlmodel import Session, func, select

from campaigns.records.db import get_engine
from campaigns.console import users
from campaigns.records.models import Attempt, Escalation, Household, Severity
from tests.browser import Browser
from tests.console_server import ConsoleServer

PASSWORD = "screenshots only"
STAFF, CHINESE_STAFF = "supervisor", "王主任"
STREETS = ("Elm Street", "Lake Road", "Mill Lane", "Hill Avenue")
PAGES = [("campaigns", "/campaigns"), ("escalations", "/escalations"), ("results", "/results"),
         ("audit", "/audit"), ("field-visits", "/lists/field-visits?day={day}"), ("follow-ups", "/lists/follow-ups"),
         ("daily", "/reports/daily?day={day}"), ("households", "/households?q=lake")]


def prepare(source: Path, tmp: Path) -> tuple[str, Optional[str], str, Optional[str]]:
    """A copy of the database with a supervisor and one whose console is in Chinese; returns its URL,
    a household with an urgent case, the campaign's first day (the lists' day) and a Mandarin
    household with a case (None without)."""
    copy = tmp / "screening.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    with Session(get_engine(url)) as session:
        for name, language in ((STAFF, None), (CHINESE_STAFF, "zh")):
            if users.find_user(session, name=name) is None:
                users.add_user(session, name=name, role="supervisor", password=PASSWORD, language=language)
        for number, row in enumerate(session.exec(select(Household).where(Household.address.is_(None))), 1):
            row.address = f"{number} {STREETS[number % len(STREETS)]}"  # made up: the demo's lists have none
            session.add(row)
        urgent = session.exec(select(Escalation).where(Escalation.severity == Severity.urgent.value)).first()
        mandarin = session.exec(select(Escalation.household_id).join(Household, Household.id == Escalation.household_id)
                                .where(Household.language == "zh").order_by(Escalation.severity.desc())).first()
        session.commit()
        household = urgent.household_id if urgent else None
        day = session.exec(select(func.min(Attempt.day))).one()
    return url, household, day.isoformat() if day else "", mandarin


def shoot(server: ConsoleServer, tmp: Path, out: Path, name: str, pages: list[tuple[str, str]]) -> None:
    """Sign in as `name` in a browser of its own and take each page."""
    browser = Browser(tmp)
    try:
        browser.go(f"{server.url}/login")
        browser.type("input[name=name]", name)
        browser.type("input[name=password]", PASSWORD)
        browser.click("button[type=submit]")
        browser.wait_for(lambda: "/login" not in browser.url, what="signing in")
        for shot, path in pages:
            browser.go(server.url + path)
            browser.screenshot(out / f"console-{shot}.png")
            print(f"wrote {out / f'console-{shot}.png'}")
    finally:
        browser.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("out/screening.db"))
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"{args.db} is missing: run `make demo` first", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SCREENING_OFFICE_TIMEZONE", "America/Chicago")  # the console server's, as pictured
    with tempfile.TemporaryDirectory() as tmp:
        url, household, day, mandarin = prepare(args.db, Path(tmp))
        server = ConsoleServer(url, Path(tmp) / "console.log")
        try:
            pages = [(name, path.format(day=day)) for name, path in PAGES]
            shoot(server, Path(tmp), args.out, STAFF, pages + ([("household", f"/households/{household}")]
                                                             if household else []))
            shoot(server, Path(tmp), args.out, CHINESE_STAFF, [("zh-escalations", "/escalations")] + (
                [("zh-household", f"/households/{mandarin}")] if mandarin else []))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
