"""The residents' web page and its notices as HTML: one self-contained document each (styles and
script inline, nothing from elsewhere, under 100 kB), with headers that keep a link's token to
the page: no referrer, no cache, a content security policy that allows only this script."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.channels.web_texts import NOTICES, REPORT_PAGE, TEXTS, signs_for
from campaigns.records.escalations import HELP_CATEGORIES

FILES = Path(__file__).parent / "web_page"
_SLOT = re.compile(r"\{(\w+)\}")
REPORT_PATH = "/report"


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@dataclass(frozen=True)
class Pages:
    page_html: str
    notice_html: str
    css: str
    js: str

    @classmethod
    def load(cls) -> "Pages":
        """Read once, when the channel is made (never at import)."""
        return cls(*(FILES.joinpath(name).read_text(encoding="utf-8")
                     for name in ("page.html", "notice.html", "page.css", "page.js")))

    def headers(self) -> dict[str, str]:
        policy = (f"default-src 'none'; script-src {_hash(self.js)}; style-src {_hash(self.css)}; "
                  "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        return {"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8"}

    def chat(self, *, language: str, mode: str, base: str, sender: Optional[str] = None,
             communities: tuple[str, ...] = (), community: str = "", prove: str = "") -> str:
        """The chat page: for a link (`base` "/r/<token>") or a walk-in (`base` "/report", with a sender)."""
        texts = TEXTS[language]
        config = {"mode": mode, "base": base, "sender": sender, "language": language, "texts": TEXTS,
                  "signs": {code: signs_for(code) for code in TEXTS}, "help": HELP_CATEGORIES,
                  "communities": list(communities), "community": community, "prove": prove}
        return _fill(self.page_html, {
            **{key: html.escape(texts[key]) for key in ("title", "switch", "switch_label", "intro", "answer",
                                                         "placeholder", "send", "help")},
            "lang": language, "other": "en" if language == "zh" else "zh", "css": self.css, "js": self.js,
            # Inside <script type="application/json">: "<" escaped, so no text can close the element.
            "config": json.dumps(config, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c"),
        })

    def notice(self, *, language: str, kind: str) -> str:
        title, text = NOTICES[language][kind]
        report = f'<a href="{REPORT_PATH}">{html.escape(REPORT_PAGE[language])}</a>'
        body = html.escape(text).replace("{report}", report)
        return _fill(self.notice_html, {"lang": language, "title": html.escape(title), "text": body, "css": self.css})


def notice_texts(language: str, kind: str) -> tuple[str, str]:
    """(title, text) of a notice, with the walk-in page named in words (for JSON answers)."""
    title, text = NOTICES[language][kind]
    return title, text.replace("{report}", REPORT_PAGE[language])


def _fill(template: str, values: dict[str, str]) -> str:
    # One pass: a value is never searched for slots itself.
    return _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), template)
