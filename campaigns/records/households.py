"""Data functions for households: finding them, walk-ins, opt-outs and wrong numbers.

Keyword-only, each takes the session; the caller commits."""
from __future__ import annotations

from typing import Optional

from sqlmodel import Session, select

from campaigns.records.keys import keyed_hash
from campaigns.records.models import Household, OptOut, utcnow


def find_household(session: Session, *, household_id: str) -> Optional[Household]:
    return session.get(Household, household_id)


def find_household_by_phone(session: Session, *, phone: str) -> Optional[Household]:
    return session.exec(select(Household).where(Household.phone == phone)).first()


def get_or_create_walk_in(
    session: Session, *, sender_id: str, phone: Optional[str], timezone: str
) -> Household:
    """The household a self-report from an unknown sender belongs to, created on first contact."""
    if phone:
        found = find_household_by_phone(session, phone=phone)
        if found:
            return found
    # Keyed, so the id (which viewers see) does not give the number back to anyone who hashes
    # candidate numbers; the key lives in the database.
    household_id = "walkin-" + keyed_hash(session, name="walk_in", text=phone or sender_id)
    household = session.get(Household, household_id)
    if household is None:
        household = Household(id=household_id, phone=phone, walk_in=True, timezone=timezone)
        session.add(household)
        session.flush()
    return household


def record_opt_out(
    session: Session, *, household: Household, channel: str, conversation_id: str, said: str
) -> OptOut:
    """No further contact on any campaign: the household is marked and the request kept."""
    now = utcnow()
    if household.opted_out_at is None:
        household.opted_out_at = now
        session.add(household)
    opt_out = OptOut(
        household_id=household.id,
        phone=household.phone,
        channel=channel,
        conversation_id=conversation_id,
        said=said[:200],
        created_at=now,
    )
    session.add(opt_out)
    return opt_out


def flag_wrong_number(session: Session, *, household: Household) -> None:
    """The household's number reached somebody else: staff must correct it."""
    if household.wrong_number_at is None:
        household.wrong_number_at = utcnow()
        session.add(household)


def record_opt_in(session: Session, *, household: Household) -> bool:
    """The resident texted START to the carrier: they may be contacted again. True if it changed."""
    if household.opted_out_at is None:
        return False
    household.opted_out_at = None
    session.add(household)
    return True
