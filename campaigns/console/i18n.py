"""The console's languages: which one a page is shown in, and its translations.

A page's language is the signed-in user's own setting (`screening users language NAME zh`, or the
form in the console's header), else the best the browser asks for in Accept-Language (q-values
honoured), else English. The login page has only the browser to go by. The JSON API is never
translated: it speaks codes and English.

The console is written in English; each other language is a gettext catalogue,
translations/<code>/LC_MESSAGES/messages.po, read with Babel when the app is made (some 50 ms for
the Chinese one) and kept: no compiled file is shipped. Text raised in Python that a page may show (an error, a
flash message) is a `Text`: English for the API and the logs, the reader's language on a page.
"""
from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Optional

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DIRECTORY = Path(__file__).parent / "translations"
DOMAIN = "messages"
DEFAULT = "en"  # the language the console is written in: it needs no catalogue
AUTO = "auto"  # a user without a language of their own: the browser chooses
HTML_TAGS = {"zh": "zh-Hans"}  # <html lang>: naming the script makes browsers pick Simplified glyphs
MAX_HEADER = 1000  # characters of an Accept-Language header read; the rest is ignored
MAX_RANGES = 30  # language ranges of one header considered


class Text(str):
    """A message in English (what the API, the command line and logs show) that a page shows in its
    reader's language: it keeps its msgid and values. Make one with `N_`."""

    msgid: str
    values: dict

    def __new__(cls, msgid: str, values: dict) -> "Text":
        text = super().__new__(cls, msgid % values if values else msgid)
        text.msgid, text.values = msgid, values
        return text

    def translated(self, translations: gettext.NullTranslations) -> str:
        message = translations.gettext(self.msgid)
        return message % self.values if self.values else message


def N_(msgid: str, **values) -> Text:  # noqa: N802 (the name Babel looks for)
    """A message to translate where it is shown: `N_("no household %(id)r", id=household_id)`."""
    return Text(msgid, values)


def shown(text, translations: gettext.NullTranslations) -> str:
    """`text` in the reader's language if it is a `Text`; any other text as it is."""
    return text.translated(translations) if isinstance(text, Text) else text


def message_of(error: BaseException):
    """An exception's message, keeping a `Text` (str(error) would make it plain English)."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Text) else str(error)


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """English, then every language with a catalogue, by code."""
    found = sorted(path.parent.parent.name for path in DIRECTORY.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (DEFAULT, *(code for code in found if code != DEFAULT))


def catalogue_path(language: str) -> Path:
    return DIRECTORY / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The language's translations, read from its .po once; English (or an unknown code) translates nothing."""
    if language == DEFAULT or language not in languages():
        return gettext.NullTranslations()
    with catalogue_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they are not translations yet
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def display_name(language: str) -> str:
    """A language's name in that language (English, 中文), for the language form."""
    return Locale.parse(language).get_display_name(language)


def html_tag(language: str) -> str:
    return HTML_TAGS.get(language, language)


def check_language(text: str) -> Optional[str]:
    """A user's setting from what was typed: a language the console has ("zh", "zh-CN" and "ZH" are zh),
    or None for AUTO. ValueError, with the choices, for anything else."""
    chosen = (text or "").strip().lower()
    if chosen == AUTO:
        return None
    found = _match(chosen) if chosen != "*" else None
    if found is not None:
        return found
    raise ValueError(f"unknown console language {text[:20]!r}: use {', '.join((*languages(), AUTO))}")


def from_accept_language(header: Optional[str]) -> str:
    """The language the browser prefers most among those the console has: the range with the highest
    q-value (the first of equals) that names one, by its full tag or its primary subtag ("zh-TW",
    "zh-Hans" and "zh" are all zh, the console's one Chinese); "*" is English. Nothing usable: English."""
    best, best_q = DEFAULT, 0.0
    for part in (header or "")[:MAX_HEADER].split(",")[:MAX_RANGES]:
        tag, _, parameters = part.partition(";")
        language, q = _match(tag), _quality(parameters)
        if language is not None and q > best_q:
            best, best_q = language, q
    return best


def request_language(request) -> str:
    """The language a request's page is shown in: the user's own (set on `request.state` when the
    user is known), else the browser's."""
    own = getattr(request.state, "user_language", None)
    if own in languages():
        return own
    return from_accept_language(request.headers.get("accept-language"))


def for_request(request) -> gettext.NullTranslations:
    return translations(request_language(request))


def _match(tag: str) -> Optional[str]:
    tag = tag.strip().lower().replace("_", "-")
    if tag == "*":
        return DEFAULT
    known = {code.lower().replace("_", "-"): code for code in languages()}
    return known.get(tag) or known.get(tag.split("-")[0])


def _quality(parameters: str) -> float:
    """The q-value of a range's parameters; 1 when absent; 0 (not acceptable) when unreadable."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0
