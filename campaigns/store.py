"""Data functions. Each is keyword-only and takes the session; the caller commits."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Optional

import phonenumbers
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from campaigns.models import Attempt, AttemptStatus, Campaign, CarrierEvent, Household, OptOut, Screening, utcnow


@lru_cache(maxsize=8)
def get_engine(url: str) -> sa.engine.Engine:
    """One engine per database URL, with the tables created on first use."""
    kwargs: dict = {}
    if url.startswith("sqlite"):
        _make_sqlite_dir(url)
        # The action server answers from several threads; SQLite needs to be told that's fine.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if not url.rstrip("/").endswith(":memory:") and url != "sqlite://":
            # SQLAlchemy 1.4 opens a new SQLite connection per session by default; the
            # dispatcher opens thousands of sessions, so keep connections pooled.
            kwargs["poolclass"] = sa.pool.QueuePool
    engine = sa.create_engine(url, future=True, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    SQLModel.metadata.create_all(engine)
    return engine


def _make_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the console and exports read while the action server writes. With WAL,
    # synchronous=NORMAL still survives a killed process; only a power cut may lose the
    # last commits, and it spares an fsync per commit (the dispatcher commits often).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def normalize_phone(raw: str, *, region: str) -> Optional[str]:
    """E.164 form of a phone number, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: Optional[str]) -> str:
    """A phone number fit for logs: country code and the last two digits."""
    if not phone:
        return "-"
    if len(phone) <= 5:
        return "*" * len(phone)
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


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
    key = phone or sender_id
    household_id = "walkin-" + hashlib.sha1(key.encode()).hexdigest()[:12]
    household = session.get(Household, household_id)
    if household is None:
        household = Household(id=household_id, phone=phone, walk_in=True, timezone=timezone)
        session.add(household)
        session.flush()
    return household


def add_screening(session: Session, *, screening: Screening) -> Screening:
    session.add(screening)
    session.flush()  # the escalation that follows needs the id
    return screening


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


def screening_rules(session: Session, *, campaign_id: Optional[str]) -> Optional[dict]:
    """The `screening` section of a started campaign (threshold, symptom set, red flags,
    emergency number), or None for a self-report or an unknown campaign."""
    campaign = session.get(Campaign, campaign_id) if campaign_id else None
    if campaign is None:
        return None
    return json.loads(campaign.spec_json).get("screening")


def record_opt_in(session: Session, *, household: Household) -> bool:
    """The resident texted START to the carrier: they may be contacted again. True if it changed."""
    if household.opted_out_at is None:
        return False
    household.opted_out_at = None
    session.add(household)
    return True


def add_carrier_event(session: Session, *, attempt_id: int, status: str, carrier_ref: str,
                      detail: Optional[str] = None, opted_out: bool = False) -> bool:
    """Queue a carrier's status report for the dispatchers; False if it was already queued
    (Twilio may repeat a callback). Unknown attempts are refused by the foreign key."""
    table = CarrierEvent.__table__
    values = dict(attempt_id=attempt_id, status=status, carrier_ref=carrier_ref[:64],
                  detail=detail[:500] if detail else None, opted_out=opted_out, received_at=utcnow())
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def open_text_attempt(session: Session, *, phone: str) -> Optional[tuple[Attempt, Household]]:
    """The SMS conversation a campaign has open with this phone number, newest first."""
    household = find_household_by_phone(session, phone=phone)
    if household is None:
        return None
    attempt = session.exec(
        select(Attempt).where(Attempt.household_id == household.id, Attempt.channel == "sms",
                              Attempt.status.in_((AttemptStatus.dialing.value, AttemptStatus.in_progress.value)))
        .order_by(Attempt.id.desc())
    ).first()
    return (attempt, household) if attempt is not None else None
