"""Phone proofs: a one-time code texted to a number, which ties a web chat to that number.

The Rasa server's chat channel asks for a code and checks it; a dispatcher texts it through the
carrier (the Rasa server has none). The code is kept in clear only until it is sent; checks
compare a keyed hash. Keyword-only data functions that take the session; the caller commits.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, select

from campaigns.records.keys import keyed_hash
from campaigns.records.models import _ts

CODE_LIFETIME = timedelta(minutes=10)
MAX_TRIES = 5  # wrong codes before the proof is spent
CODES_PER_HOUR = 3  # per phone and per conversation: a number cannot be flooded with texts
MAX_SENDS = 3  # carrier refusals before a code is given up


class ProofCheck(str, Enum):
    proved = "proved"  # the code matched: the conversation may use the number
    wrong = "wrong"  # a wrong code; tries are left
    spent = "spent"  # too many wrong codes, or expired: ask for a new one
    none = "none"  # no code was asked for in this conversation


class PhoneProof(SQLModel, table=True):
    __tablename__ = "phone_proofs"
    __table_args__ = (sa.Index("ix_phone_proofs_phone", "phone", "created_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=128, index=True)
    phone: str = Field(max_length=20)
    code_hash: str = Field(max_length=64)
    code_to_send: Optional[str] = Field(default=None, max_length=6)  # cleared once the carrier took it
    tries: int = 0
    send_tries: int = 0
    created_at: Optional[datetime] = _ts(nullable=False)
    expires_at: Optional[datetime] = _ts(nullable=False)
    sent_at: Optional[datetime] = _ts()
    proved_at: Optional[datetime] = _ts()
    detail: Optional[str] = None  # why a code could not be sent


@dataclass(frozen=True)
class CodeToSend:
    proof_id: int
    phone: str
    code: str


def ask(session: Session, *, conversation_id: str, phone: str, now: datetime) -> bool:
    """A new code for `phone`, to be texted; False when this phone or conversation asked too often."""
    hour_ago = now - timedelta(hours=1)
    recent = session.execute(sa.select(sa.func.count()).where(
        PhoneProof.created_at > hour_ago,
        sa.or_(PhoneProof.phone == phone, PhoneProof.conversation_id == conversation_id))).scalar_one()
    if recent >= CODES_PER_HOUR:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(PhoneProof(conversation_id=conversation_id, phone=phone, code_to_send=code,
                           code_hash=_hash(session, conversation_id, code), created_at=now,
                           expires_at=now + CODE_LIFETIME))
    return True


def check(session: Session, *, conversation_id: str, code: str, now: datetime) -> tuple[ProofCheck, Optional[str], int]:
    """(outcome, the proved phone or None, tries left) for a code typed in a conversation."""
    proof = session.exec(select(PhoneProof).where(PhoneProof.conversation_id == conversation_id)
                         .order_by(PhoneProof.id.desc()).with_for_update()).first()
    if proof is None:
        return ProofCheck.none, None, 0
    if proof.proved_at is not None:
        return ProofCheck.proved, proof.phone, MAX_TRIES - proof.tries
    if proof.tries >= MAX_TRIES or proof.expires_at <= now:
        return ProofCheck.spent, None, 0
    proof.tries += 1
    session.add(proof)
    if hmac.compare_digest(proof.code_hash, _hash(session, conversation_id, code.strip())):
        proof.proved_at = now
        return ProofCheck.proved, proof.phone, MAX_TRIES - proof.tries
    left = MAX_TRIES - proof.tries
    return (ProofCheck.wrong if left else ProofCheck.spent), None, left


def due(session: Session) -> list[CodeToSend]:
    rows = session.exec(select(PhoneProof).where(PhoneProof.code_to_send.is_not(None),
                                                 PhoneProof.send_tries < MAX_SENDS).order_by(PhoneProof.id)).all()
    for proof in rows:
        proof.send_tries += 1
        session.add(proof)
    return [CodeToSend(p.id, p.phone, p.code_to_send) for p in rows]


def record_sent(session: Session, *, proof_id: int, at: datetime, error: Optional[str] = None) -> None:
    proof = session.get(PhoneProof, proof_id)
    if error is None or proof.send_tries >= MAX_SENDS:
        proof.code_to_send = None  # sent, or given up: the clear code is not kept
    proof.sent_at = None if error else at
    proof.detail = error[:300] if error else None
    session.add(proof)


def proved_phones():
    """SQL: the phone numbers some conversation proved (for who may be dialled)."""
    return sa.select(PhoneProof.phone).where(PhoneProof.proved_at.is_not(None))


def _hash(session: Session, conversation_id: str, code: str) -> str:
    return keyed_hash(session, name="phone_proof", text=f"{conversation_id}\n{code}", length=64)
