"""Screenshots of the residents' web page for the README, taken in headless Chromium at a phone's
size (390×844) on the live server, as a resident sees it: an English household's link at the
symptoms question, a Mandarin household's at the temperature question, and the walk-in page.

Usage: .venv/bin/python -m scripts.web_screenshots [--out docs]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from campaigns.records.db import get_engine
from tests import live
from tests.bot.test_web_page import asks, bot_says, link_for, phone_browser
from tests.browser import Browser


def shoot(server: live.LiveServer, tmp: Path, out: Path) -> None:
    engine = get_engine(server.database_url)
    browser = phone_browser(tmp)
    try:
        path, _, _ = link_for(engine, name="Ana Diaz")
        browser.go(server.url + path)
        bot_says(browser, "Is now a good time", 60)
        browser.click("#choices .yn button:first-child")
        asks(browser, "temperature", 60)
        browser.type("#answer", "38.4")
        browser.click("#send")
        asks(browser, "symptoms", 60)
        browser.click("#choices button[data-code=cough]")
        _save(browser, out / "web-en.png")
        path, _, _ = link_for(engine, language="zh", name="李雷")
        browser.go(server.url + path)
        bot_says(browser, "现在方便回答", 60)
        browser.click("#choices .yn button:first-child")
        asks(browser, "temperature", 60)
        browser.type("#answer", "37.")
        _save(browser, out / "web-zh.png")
        browser.go(server.url + "/report?c=North")
        browser.wait_for(lambda: browser.find("#start-anon"), 30, what="the walk-in page")
        _save(browser, out / "web-report.png")
    finally:
        browser.quit()


def _save(browser: Browser, path: Path) -> None:
    browser.screenshot(path)
    print(f"wrote {path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = live.start(Path(tmp), startup_seconds=600)
        try:
            shoot(server, Path(tmp), args.out.resolve())
        finally:
            live.stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
