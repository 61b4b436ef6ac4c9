"""Every table of the product. Timestamps are timezone-aware UTC.

Rasa's SQL tracker store owns a table called `events`; no table here may use that name.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC, returns aware datetimes, on SQLite (naive storage) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; timestamps must be timezone-aware")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _ts(nullable: bool = True, **kw):
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, **kw))


class Channel(str, Enum):
    voice = "voice"  # an outbound or inbound phone call
    sms = "sms"  # text messages
    chat = "chat"  # web chat: Rasa REST or socket.io
    simulated = "simulated"  # a dry run against simulated residents


class Outcome(str, Enum):
    completed = "completed"  # every question answered (some answers may be unclear)
    partial = "partial"  # the conversation stopped before the end
    refused = "refused"  # the resident declined to take part
    callback_requested = "callback_requested"  # asked to be contacted at another time
    opted_out = "opted_out"  # asked never to be contacted again
    wrong_number = "wrong_number"  # the number does not belong to this household


class EscalationKind(str, Enum):
    abnormal = "abnormal"  # fever or symptoms: a health worker follows up
    urgent = "urgent"  # a red flag: difficulty breathing, chest pain, confusion, bluish lips
    help_request = "help_request"  # asked for help, medicine or food
    staff_callback = "staff_callback"  # asked to talk to a person
    unclear = "unclear"  # the bot could not understand; a person should check
    field_visit = "field_visit"  # unreachable for a whole day


class Severity(str, Enum):
    routine = "routine"  # follow up within the working day
    high = "high"  # follow up soon
    urgent = "urgent"  # follow up now


class EscalationStatus(str, Enum):
    open = "open"  # nobody has taken it yet
    acknowledged = "acknowledged"  # a staff member has taken it
    resolved = "resolved"  # done, with an outcome note



class Household(SQLModel, table=True):
    __tablename__ = "households"

    id: str = Field(primary_key=True, max_length=64)  # the office's household_id
    phone: Optional[str] = Field(default=None, sa_column=sa.Column(sa.String(20), unique=True, index=True))
    contact_name: Optional[str] = None
    members: int = 1
    member_names: Optional[str] = None  # ';'-separated, contact first when known
    language: str = "en"
    timezone: str = "UTC"
    community: Optional[str] = Field(default=None, index=True)
    walk_in: bool = False  # created by a self-report from an unknown number
    opted_out_at: Optional[datetime] = _ts()
    wrong_number_at: Optional[datetime] = _ts()  # flagged for correction
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    updated_at: Optional[datetime] = _ts(nullable=False, default=utcnow, onupdate=utcnow)


class Screening(SQLModel, table=True):
    """One row per person per screening."""

    __tablename__ = "screenings"

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="households.id", index=True)
    person_index: int = 0  # 0 = the household contact
    person_name: Optional[str] = None
    campaign_id: Optional[str] = Field(default=None, index=True)  # empty for self-reports
    channel: str = Field(default=Channel.chat.value, max_length=16)
    conversation_id: str = Field(index=True, max_length=128)
    started_at: Optional[datetime] = _ts(nullable=False)
    finished_at: Optional[datetime] = _ts(nullable=False, index=True)
    temperature_c: Optional[float] = None
    temperature_said: Optional[str] = None  # the raw words, also when unclear
    feels_feverish: Optional[bool] = None  # asked only when there was no thermometer
    symptoms: Optional[str] = None  # ';'-joined codes; None = not answered
    red_flags: Optional[str] = None  # ';'-joined codes; None = not answered
    abnormal: bool = False
    urgent: bool = False
    reason: Optional[str] = None  # why abnormal, or why no judgement could be made
    reported_by_contact: bool = False  # the contact answered for this person
    outcome: str = Field(default=Outcome.completed.value, max_length=32)
    callback_at: Optional[datetime] = _ts()


class Escalation(SQLModel, table=True):
    __tablename__ = "escalations"

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="households.id", index=True)
    screening_id: Optional[int] = Field(default=None, foreign_key="screenings.id", index=True)
    kind: str = Field(max_length=32)
    severity: str = Field(default=Severity.routine.value, max_length=16)
    status: str = Field(default=EscalationStatus.open.value, max_length=16, index=True)
    detail: str = ""
    conversation_id: Optional[str] = Field(default=None, max_length=128)
    assigned_to: Optional[str] = None
    resolution_note: Optional[str] = None
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    acknowledged_at: Optional[datetime] = _ts()
    resolved_at: Optional[datetime] = _ts()


class OptOut(SQLModel, table=True):
    """A resident asked never to be contacted again, on any campaign."""

    __tablename__ = "opt_outs"

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="households.id", index=True)
    phone: Optional[str] = Field(default=None, max_length=20)
    channel: str = Field(max_length=16)
    conversation_id: Optional[str] = Field(default=None, max_length=128)
    said: Optional[str] = None
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
