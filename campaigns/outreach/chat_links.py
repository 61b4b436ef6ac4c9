"""Chat links as a campaign sends them: the short text that carries the link, in the household's
language, and when a link stops working (the close of its campaign day's calling window).

The token comes from records/links.py, signed and tied to one attempt. A text is one SMS segment
where it can be: English is GSM-7 (160 characters); Mandarin is UCS-2, 70 characters in all, so
its words are 10 characters and a link of up to 60 still fits (a public URL of up to 33
characters: `https://screening.example.org` is 29).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from campaigns.outreach import schedule
from campaigns.records import links
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of

# Where links point when no public URL is set: the Rasa server's own default address, so a
# rehearsal on one machine still writes links that open there.
LOCAL_URL = "http://localhost:5005"
# The link's text per language; `{url}` is the link. Keep the Mandarin one at 10 characters.
TEXTS = {
    "en": "Please complete today's health screening: {url}",
    "zh": "请今天完成健康筛查：{url}",
}


def expires_at(day: date, window: schedule.Window, tz: ZoneInfo) -> datetime:
    """When a link sent on the household's campaign `day` stops working: as that day's calling
    window closes, when the household's day is over (outreach/unreachable.py)."""
    return schedule.window_bounds(day, window, tz)[1]


def link_text(language: str | None, url: str) -> str:
    """The text that carries the link, in `language` (the default language's words for another)."""
    return TEXTS.get(language_of(language) or DEFAULT_LANGUAGE, TEXTS[DEFAULT_LANGUAGE]).format(url=url)


def compose(session: Session, *, attempt_id: int, language: str | None, expires: datetime,
            public_url: str | None) -> str:
    """Mint the attempt's link and write its text."""
    token = links.mint(session, attempt_id=attempt_id, expires_at=expires)
    return link_text(language, links.link_url(public_url or LOCAL_URL, token))
