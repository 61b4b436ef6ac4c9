"""Screenshots of the console's main pages for the README, taken in headless Chromium over a
copy of the demo's database (`make demo` writes out/screening.db).

Usage: .venv/bin/python -m scripts.console_screenshots [--db out/screening.db] [--out docs]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from sqlmodel import Session, func, select

from campaigns.records.db import get_engine
from campaigns.console import users
from campaigns.records.models import Attempt, Escalation, Severity
from tests.browser import Browser
from tests.console_server import ConsoleServer

PASSWORD = "screenshots only"
PAGES = [("campaigns", "/campaigns"), ("escalations", "/escalations"), ("results", "/results"),
         ("audit", "/audit"), ("field-visits", "/lists/field-visits?day={day}"), ("follow-ups", "/lists/follow-ups"),
         ("daily", "/reports/daily?day={day}"), ("households", "/households?q=lake")]


def prepare(source: Path, tmp: Path) -> tuple[str, str, str]:
    """A copy of the database with a supervisor; returns its URL, a household with an urgent case and
    the campaign's first day (the lists' day)."""
    copy = tmp / "screening.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    with Session(get_engine(url)) as session:
        if users.find_user(session, name="supervisor") is None:
            users.add_user(session, name="supervisor", role="supervisor", password=PASSWORD)
        urgent = session.exec(select(Escalation).where(Escalation.severity == Severity.urgent.value)).first()
        session.commit()
        household = urgent.household_id if urgent else None
        day = session.exec(select(func.min(Attempt.day))).one()
    return url, household, day.isoformat() if day else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("out/screening.db"))
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"{args.db} is missing: run `make demo` first", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url, household, day = prepare(args.db, Path(tmp))
        server = ConsoleServer(url, Path(tmp) / "console.log")
        browser = Browser(Path(tmp))
        try:
            browser.go(f"{server.url}/login")
            browser.type("input[name=name]", "supervisor")
            browser.type("input[name=password]", PASSWORD)
            browser.click("button[type=submit]")
            browser.wait_for(lambda: "/login" not in browser.url, what="signing in")
            pages = PAGES + ([("household", f"/households/{household}")] if household else [])
            for name, path in pages:
                browser.go(server.url + path.format(day=day))
                browser.screenshot(args.out / f"console-{name}.png")
                print(f"wrote {args.out / f'console-{name}.png'}")
        finally:
            browser.quit()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
