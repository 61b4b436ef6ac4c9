"""Every table of the product. Timestamps are timezone-aware UTC.

Rasa's SQL tracker store owns a table called `events`; no table here may use that name.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
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
    # Added after the first release (migrations/legacy.py adds them to an older database): for field visits.
    address: Optional[str] = None  # where a field worker finds the household, as the list wrote it
    notes: Optional[str] = None  # the office's own notes from the list: directions, a landmark
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
    """A case for staff: while it is open or acknowledged there is one per household and kind, and
    later screenings or requests of the household update it (records/escalations.py)."""

    __tablename__ = "escalations"
    __table_args__ = (
        # The database's own guarantee: two dispatchers or Rasa workers never open the same case twice.
        sa.Index("uq_escalations_open_case", "household_id", "kind", unique=True,
                 sqlite_where=sa.text("status IN ('open', 'acknowledged')"),
                 postgresql_where=sa.text("status IN ('open', 'acknowledged')")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="households.id", index=True)
    screening_id: Optional[int] = Field(default=None, foreign_key="screenings.id", index=True)  # the first one
    kind: str = Field(max_length=32)
    severity: str = Field(default=Severity.routine.value, max_length=16)
    status: str = Field(default=EscalationStatus.open.value, max_length=16, index=True)
    detail: str = ""
    conversation_id: Optional[str] = Field(default=None, max_length=128, index=True)  # the latest one
    assigned_to: Optional[str] = None
    resolution_note: Optional[str] = None
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    acknowledged_at: Optional[datetime] = _ts()
    resolved_at: Optional[datetime] = _ts()
    # Added after the first release: migrations/legacy.py adds them to an older database.
    raised_count: int = Field(default=1, sa_column_kwargs={"server_default": sa.text("1")})  # screenings or requests
    last_raised_at: Optional[datetime] = _ts()  # the latest of them; empty on rows written before it
    people: Optional[str] = None  # JSON: each person's latest reading (records/case_people.py)
    merged_into: Optional[int] = Field(default=None, foreign_key="escalations.id")  # resolved by a merge


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


class CampaignStatus(str, Enum):
    running = "running"  # the scheduler plans its rounds and dials them
    paused = "paused"  # nothing new is dialled; calls already in progress finish
    stopped = "stopped"  # ended by staff; attempts still due were canceled
    finished = "finished"  # every round of every day is done


class AttemptStatus(str, Enum):
    due = "due"  # waiting for its due time
    claimed = "claimed"  # taken by a dispatcher, about to be placed
    dialing = "dialing"  # the carrier accepted it and is ringing
    in_progress = "in_progress"  # answered: the conversation is running
    completed = "completed"  # answered and the conversation ended: the household was reached
    busy = "busy"  # the line was busy
    no_answer = "no_answer"  # nobody picked up
    machine = "machine"  # an answering machine picked up
    failed = "failed"  # the carrier could not place it
    interrupted = "interrupted"  # the dispatcher died during the call; retried unless a screening was written
    dropped = "dropped"  # answered, but the call ended before any answer was recorded; retried
    canceled = "canceled"  # never placed: the campaign stopped or the round ran out of time
    skipped = "skipped"  # never placed: the household opted out or its number is wrong


class AttemptKind(str, Enum):
    round = "round"  # the first attempt of a household in a round
    retry = "retry"  # another try in the same round after busy, no answer, a machine or a failure
    callback = "callback"  # the resident asked to be contacted at a time of their choosing


class NotificationStatus(str, Enum):
    sending = "sending"  # handed to the carrier, or about to be; retried if never confirmed
    sent = "sent"  # the carrier accepted it
    failed = "failed"  # the carrier refused it; retried up to a limit
    none = "none"  # nobody to tell: the campaign names no supervisor phone


ACTIVE_STATUSES = (AttemptStatus.claimed, AttemptStatus.dialing, AttemptStatus.in_progress)  # count against max concurrent
PENDING_STATUSES = (AttemptStatus.due, *ACTIVE_STATUSES)  # the round is not over for the household


class Campaign(SQLModel, table=True):
    """A started campaign file. The validated file is kept as JSON so later edits to the
    file change nothing until the campaign is started again."""

    __tablename__ = "campaigns"

    id: str = Field(primary_key=True, max_length=64)  # the campaign file's name
    source: str = ""  # the file it was started from
    spec_json: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(default=CampaignStatus.running.value, max_length=16)
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    updated_at: Optional[datetime] = _ts(nullable=False, default=utcnow, onupdate=utcnow)


class CampaignMember(SQLModel, table=True):
    """The households of a campaign whose list came from a file."""

    __tablename__ = "campaign_members"

    campaign_id: str = Field(foreign_key="campaigns.id", primary_key=True, max_length=64)
    household_id: str = Field(foreign_key="households.id", primary_key=True, max_length=64)


class PlannedRound(SQLModel, table=True):
    """A round whose attempts were written; planning it again does nothing."""

    __tablename__ = "planned_rounds"

    campaign_id: str = Field(foreign_key="campaigns.id", primary_key=True, max_length=64)
    day: date = Field(primary_key=True)  # the households' local date
    round_no: int = Field(primary_key=True)  # 1 = the first round of the day
    households: int = 0
    planned_at: Optional[datetime] = _ts(nullable=False, default=utcnow)


class Attempt(SQLModel, table=True):
    """One contact attempt: scheduled work as data. A dispatcher claims a due row
    atomically before it dials, so a restart never loses or repeats one."""

    __tablename__ = "attempts"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "household_id", "day", "round_no", "try_no", name="uq_attempt"),
        sa.Index("ix_attempts_status_due", "status", "due_at"),
        sa.Index("ix_attempts_household", "household_id", "campaign_id", "day"),
        # What the dispatcher asks each tick (lines held, the next due, the claims), without
        # walking every attempt of the campaign.
        sa.Index("ix_attempts_campaign_status", "campaign_id", "status", "due_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    campaign_id: str = Field(foreign_key="campaigns.id", max_length=64)
    household_id: str = Field(foreign_key="households.id", max_length=64)
    day: date  # the household's local date of the round
    round_no: int
    try_no: int = 1  # 1 = the round's first attempt, then retries and callbacks
    kind: str = Field(default=AttemptKind.round.value, max_length=16)
    channel: str = Field(default=Channel.voice.value, max_length=16)
    due_at: Optional[datetime] = _ts(nullable=False)
    status: str = Field(default=AttemptStatus.due.value, max_length=16)
    worker: Optional[str] = Field(default=None, max_length=128)
    claim_token: Optional[str] = Field(default=None, max_length=40, index=True)
    claimed_at: Optional[datetime] = _ts()
    placed_at: Optional[datetime] = _ts()
    answered_at: Optional[datetime] = _ts()
    ended_at: Optional[datetime] = _ts()
    carrier_ref: Optional[str] = Field(default=None, max_length=64, index=True)
    conversation_id: Optional[str] = Field(default=None, max_length=128)
    detail: Optional[str] = None  # why: the carrier's outcome, a skip or a cancel reason


class UnreachableDay(SQLModel, table=True):
    """A household no round reached on a day; it was given a field-visit escalation."""

    __tablename__ = "unreachable_days"

    campaign_id: str = Field(foreign_key="campaigns.id", primary_key=True, max_length=64)
    household_id: str = Field(foreign_key="households.id", primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    escalation_id: Optional[int] = Field(default=None, foreign_key="escalations.id")


class Worker(SQLModel, table=True):
    """A running dispatcher. Its claims are taken back once its heartbeat stops."""

    __tablename__ = "workers"

    id: str = Field(primary_key=True, max_length=128)  # host:pid:random
    host: str = Field(max_length=255)
    pid: int
    started_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    heartbeat_at: Optional[datetime] = _ts(nullable=False, default=utcnow)


class CarrierEvent(SQLModel, table=True):
    """A status the carrier reported by webhook, waiting for a dispatcher: the Rasa server
    receives Twilio's callbacks and writes them here; any dispatcher applies them in order.
    A repeated callback (same reference, same status) is stored once."""

    __tablename__ = "carrier_events"
    __table_args__ = (sa.UniqueConstraint("carrier_ref", "status", name="uq_carrier_event"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempts.id")
    status: str = Field(max_length=16)  # a carriers.base.CallStatus value
    carrier_ref: str = Field(max_length=64)  # Twilio's CallSid or MessageSid
    detail: Optional[str] = None
    opted_out: bool = False  # the carrier says the recipient unsubscribed (Twilio error 21610)
    received_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    taken_by: Optional[str] = Field(default=None, max_length=128, index=True)  # the dispatcher applying it


class Notification(SQLModel, table=True):
    """One alert to one supervisor about one escalation; sent at most once."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("escalation_id", "phone", name="uq_notification"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalations.id", index=True)
    phone: str = Field(max_length=20)
    status: str = Field(default=NotificationStatus.sending.value, max_length=16)
    tries: int = 0
    carrier_ref: Optional[str] = Field(default=None, max_length=64)
    detail: Optional[str] = None
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    sent_at: Optional[datetime] = _ts()


class Role(str, Enum):
    viewer = "viewer"  # follows progress and results; phone numbers are masked
    operator = "operator"  # also works the escalation queue and exports results
    supervisor = "supervisor"  # also reads the audit log


ROLE_RANK = {Role.viewer.value: 1, Role.operator.value: 2, Role.supervisor.value: 3}


class User(SQLModel, table=True):
    """A member of staff who signs in to the console."""

    __tablename__ = "users"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=256)
    active: bool = True
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    # The console's language for this user ("zh"); empty: the browser's choice (revision 0002).
    language: Optional[str] = None


class ApiToken(SQLModel, table=True):
    """A token a script sends as `Authorization: Bearer ...`; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    last_used_at: Optional[datetime] = _ts()


class AuditEntry(SQLModel, table=True):
    """Who viewed, exported or changed what, and when."""

    __tablename__ = "audit_log"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: Optional[datetime] = _ts(nullable=False, default=utcnow, index=True)
    user_name: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32)  # view | export | acknowledge | assign | resolve | login | ...
    target: str = Field(default="", max_length=200)  # what it was about: "escalation 12", "household H-1"
    detail: Optional[str] = None


class LoginSession(SQLModel, table=True):
    """A signed-in browser. Its cookie carries a random id; only the id's hash is kept, so a copy
    of this table opens nothing. Signing out, a password change or disabling the user deletes it."""

    __tablename__ = "login_sessions"

    id_hash: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's session id
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)
    expires_at: Optional[datetime] = _ts(nullable=False, index=True)


class LoginFailures(SQLModel, table=True):
    """Sign-in attempts for one name (known or not) in the current window. Each attempt is
    counted here by one atomic UPDATE before its password is checked, and given back if the
    password was right; so guesses sent at once cannot all slip past the limit."""

    __tablename__ = "login_failures"

    name: str = Field(primary_key=True, max_length=64)
    attempts: int = 0  # wrong passwords, and attempts still being checked, since window_start
    window_start: Optional[datetime] = _ts(nullable=False)
    locked_until: Optional[datetime] = _ts()  # set by the failure that reaches the limit


class ApiTokenName(SQLModel, table=True):
    """The name of an API token, unique per user (a table of its own: api_tokens keeps its columns).
    Tokens issued before names existed have none."""

    __tablename__ = "api_token_names"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_api_token_name"),)

    token_id: int = Field(primary_key=True, foreign_key="api_tokens.id")
    user_id: int = Field(foreign_key="users.id")
    name: str = Field(max_length=64)


class ConsoleKey(SQLModel, table=True):
    """The key that signs the console's cookies when SCREENING_SECRET_KEY is left at its public
    default: made at random by the first console to start, and read by every later one."""

    __tablename__ = "console_keys"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=128)
    created_at: Optional[datetime] = _ts(nullable=False, default=utcnow)


class HelpRequest(SQLModel, table=True):
    """One press of the resident page's "I need help" button, with what help was asked for. It joins the
    household's help-request case (escalations); the rows count requests per community and category."""

    __tablename__ = "help_requests"

    id: Optional[int] = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalations.id", index=True)  # the case it joined
    household_id: str = Field(foreign_key="households.id", index=True, max_length=64)
    category: str = Field(max_length=16)  # a records.escalations.HELP_CATEGORIES code
    conversation_id: str = Field(max_length=128)
    created_at: Optional[datetime] = _ts(nullable=False, index=True)
