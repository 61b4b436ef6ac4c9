"""`screening poster --community NAME`: a community's poster, a PDF to print (A4) and a PNG to share,
with a QR code to the resident page's walk-in report for that community and a short instruction in
the language most of its households speak (or --language)."""
from __future__ import annotations

import argparse
import difflib
import os
import re
from pathlib import Path

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from campaigns.cli.common import Subparsers, db_reason, engine, fail, plural
from campaigns.records import communities
from campaigns.records.vocabulary import DEFAULT_LANGUAGE, language_of
from campaigns.settings import get_settings

LANGUAGE_NAMES = {"en": "English", "zh": "Mandarin"}
MOST_NAMED = 20  # known communities named in an error; the rest are counted


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("poster", help="a community's QR poster for self-reports, as a PDF and a PNG",
                                 description="A poster for a community: a QR code to <public address>/report?c=NAME, "
                                             "where residents report on their own, and how to use it, in the "
                                             "community's language. Writes a PDF (A4) and a PNG.")
    parser.add_argument("--community", required=True, metavar="NAME", help="as the household list names it")
    parser.add_argument("--language", type=_language, metavar="LANG",
                        help="en or zh (default: the language most of the community's households speak)")
    parser.add_argument("--url", type=_url, metavar="URL",
                        help="the public address residents open (default: SCREENING_PUBLIC_URL)")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="where to write the files (default: the current directory)")
    parser.set_defaults(handler=run_poster)


def _language(text: str) -> str:
    code = language_of(text)
    if code is None or code not in LANGUAGE_NAMES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a poster language; use {', '.join(LANGUAGE_NAMES)}")
    return code


def _url(text: str) -> str:
    if not re.match(r"^https?://[^\s/?#]+", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) address")
    return text.strip().rstrip("/")


def run_poster(args: argparse.Namespace) -> int:
    from campaigns.console import posters  # fpdf2, Pillow, segno and fonts: only for posters

    try:
        public = args.url or get_settings().public_url
    except ValidationError as exc:
        return fail(f"bad settings: {exc}")
    if not public:
        return fail("SCREENING_PUBLIC_URL is not set: the poster needs the public address residents open "
                    "(give it with --url https://..., or set SCREENING_PUBLIC_URL)")
    db = engine()
    if db is None:
        return 1
    try:
        with Session(db) as session:
            known = communities.known_communities(session)
            spoken = communities.spoken_language(session, community=args.community) if args.community in known \
                else None
    except sa.exc.SQLAlchemyError as exc:
        return fail(f"database error: {db_reason(exc)}")
    if args.community not in known:
        return fail(unknown_community(args.community, known))
    settings = get_settings()
    language = args.language or spoken or DEFAULT_LANGUAGE
    poster = posters.Poster(community=args.community, language=language,
                            url=posters.report_url(public, args.community), office=settings.office_name,
                            emergency=settings.emergency_number)
    try:
        files = _write(args.out, poster, posters)
    except posters.NoFont as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write to {args.out}: {exc.strerror or exc}")
    for path, size in files:
        print(f"wrote {path} ({plural(size, 'byte')})")
    print(f"the code opens {poster.url} ({LANGUAGE_NAMES[language]})")
    return 0


def unknown_community(name: str, known: list[str]) -> str:
    """The error for a community no household names: the known ones, the closest first."""
    if not known:
        return f"no community named {name!r}: no household names a community yet (import a household list)"
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
    close += [c for c in known if c.casefold() == name.casefold() and c not in close]
    ordered = close + [c for c in known if c not in close]
    listed = ", ".join(ordered[:MOST_NAMED]) + (f" and {len(ordered) - MOST_NAMED} more"
                                                 if len(ordered) > MOST_NAMED else "")
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return f"no community named {name!r}{hint} Known communities: {listed}"


def _write(directory: Path, poster, posters) -> list[tuple[Path, int]]:
    """Both files, each through `<name>.tmp` renamed when complete: a failure leaves no half a poster."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"poster-{_slug(poster.community)}-{poster.language}"
    written = []
    for suffix, make in ((".pdf", posters.pdf_bytes), (".png", posters.png_bytes)):
        path, body = directory / f"{stem}{suffix}", make(poster)
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_bytes(body)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        written.append((path, len(body)))
    return written


def _slug(name: str) -> str:
    """A file name's part from a community's name: letters of any script and digits, '-' for the rest."""
    return re.sub(r"[^\w]+", "-", name, flags=re.UNICODE).strip("-_")[:60] or "community"
