"""Data functions for screening rows.

Keyword-only, each takes the session; the caller commits."""
from __future__ import annotations

from sqlmodel import Session

from campaigns.records.models import Screening


def add_screening(session: Session, *, screening: Screening) -> Screening:
    session.add(screening)
    session.flush()  # the escalation that follows needs the id
    return screening
