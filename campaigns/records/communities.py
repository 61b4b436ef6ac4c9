"""Communities as the household lists name them: which exist, and the language most of a community's
households speak. Keyword-only data functions taking the session."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.models import Household
from campaigns.records.vocabulary import LANGUAGES, language_of

_H = Household.__table__.c


def known_communities(session: Session) -> list[str]:
    """Every community a listed household names (walk-ins aside: a resident's choice adds none), by name."""
    query = (sa.select(_H.community).where(_H.community.is_not(None), _H.walk_in.is_(False))
             .distinct().order_by(_H.community))
    return list(session.execute(query).scalars())


def spoken_language(session: Session, *, community: str) -> Optional[str]:
    """The language (a vocabulary.LANGUAGES code) most of the community's listed households speak, as
    the bot reads each one's ("zh-CN" is zh); a tie goes to the earlier of LANGUAGES; None when none of
    them speaks a language the bot has."""
    query = (sa.select(_H.language, sa.func.count()).where(_H.community == community, _H.walk_in.is_(False))
             .group_by(_H.language))
    spoken: Counter[str] = Counter()
    for written, households in session.execute(query):
        code = language_of(written)
        if code is not None:
            spoken[code] += households
    if not spoken:
        return None
    return max(LANGUAGES, key=lambda code: (spoken[code], -LANGUAGES.index(code)))
