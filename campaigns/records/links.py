"""Chat links: a short signed token that ties a resident's web page to one attempt, until it expires.

A token is 24 URL-safe characters: the attempt id (6 bytes), the expiry in whole minutes since
the epoch (4 bytes) and an HMAC-SHA256 of both under the database's `links` key, cut to 8 bytes
(64 bits: far past what a rate-limited guesser can try). Nothing else is in it; the household,
campaign and language are looked up from the attempt. Keyword-only data functions that take
the session.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session

from campaigns.records.keys import key_for
from campaigns.records.models import Attempt, AttemptStatus, Outcome, Screening

KEY_NAME = "links"
PATH = "/r/"  # a link is `<public url>/r/<token>`: short, for a text message
_ID_BYTES, _EXPIRY_BYTES, _MAC_BYTES = 6, 4, 8
_BODY = _ID_BYTES + _EXPIRY_BYTES
TOKEN_CHARS = (_BODY + _MAC_BYTES) * 4 // 3  # 24: a multiple of 3 bytes, so no '=' padding
_TOKEN = re.compile(r"[A-Za-z0-9_-]{%d}" % TOKEN_CHARS)  # strict: one spelling per token
# A screening that ended with one of these is done: the link may not start another.
DONE = (Outcome.completed.value, Outcome.refused.value, Outcome.opted_out.value, Outcome.wrong_number.value)


class LinkStatus(str, Enum):
    ok = "ok"  # signed by us, not expired, its screening not done yet
    expired = "expired"  # signed by us, but past its expiry
    forged = "forged"  # not a token we made (tampered, truncated, another key, no such attempt)
    completed = "completed"  # its attempt's screening is done: the link cannot be used again


@dataclass(frozen=True)
class LinkCheck:
    status: LinkStatus
    attempt_id: Optional[int]  # None only when forged


def mint(session: Session, *, attempt_id: int, expires_at: datetime) -> str:
    """The token of a link to `attempt_id`, good until `expires_at` (rounded up to the minute)."""
    if not 0 < attempt_id < 2 ** (8 * _ID_BYTES):
        raise ValueError(f"attempt id out of range: {attempt_id}")
    minutes = math.ceil(expires_at.astimezone(timezone.utc).timestamp() / 60)
    body = attempt_id.to_bytes(_ID_BYTES, "big") + minutes.to_bytes(_EXPIRY_BYTES, "big")
    return base64.urlsafe_b64encode(body + _mac(session, body)).decode()


def read(session: Session, *, token: str, now: datetime) -> LinkCheck:
    """What a token is worth at `now`. Never raises on any string."""
    raw = _decode(token)
    if raw is None or not hmac.compare_digest(raw[_BODY:], _mac(session, raw[:_BODY])):
        return LinkCheck(LinkStatus.forged, None)
    attempt_id = int.from_bytes(raw[:_ID_BYTES], "big")
    expires = datetime.fromtimestamp(int.from_bytes(raw[_ID_BYTES:_BODY], "big") * 60, timezone.utc)
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:  # signed with this database's key, but its attempt is gone
        return LinkCheck(LinkStatus.forged, None)
    if _done(session, attempt):
        return LinkCheck(LinkStatus.completed, attempt_id)
    if now >= expires:
        return LinkCheck(LinkStatus.expired, attempt_id)
    return LinkCheck(LinkStatus.ok, attempt_id)


def link_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + PATH + token


def _decode(token: object) -> Optional[bytes]:
    if not (isinstance(token, str) and _TOKEN.fullmatch(token)):
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _BODY + _MAC_BYTES else None


def _mac(session: Session, body: bytes) -> bytes:
    return hmac.new(key_for(session, name=KEY_NAME), b"link:" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def _done(session: Session, attempt: Attempt) -> bool:
    """The attempt was completed, or a screening of its conversation ended for good."""
    if attempt.status == AttemptStatus.completed.value:
        return True
    if not attempt.conversation_id:
        return False
    return session.execute(sa.select(sa.literal(1)).where(
        Screening.conversation_id == attempt.conversation_id, Screening.outcome.in_(DONE)).limit(1)).first() is not None
