"""Chat link tokens: short, signed, expiring, one attempt each; anything else is forged, never an error."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlmodel import Session

from campaigns.records import links
from campaigns.records.keys import forget_cached_keys
from campaigns.records.links import LinkCheck, LinkStatus
from campaigns.records.models import Attempt, AttemptStatus, Campaign, Household, Screening

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
END_OF_DAY = datetime(2026, 3, 3, 5, 0, tzinfo=timezone.utc)


def _attempt(session: Session, number: int = 1, conversation: str | None = "H-1:a1-abc123") -> int:
    if session.get(Household, "H-1") is None:
        session.add(Household(id="H-1", phone="+14155550101", timezone="UTC"))
        session.add(Campaign(id="c1", spec_json=json.dumps({"language": "en"})))
        session.flush()
    attempt = Attempt(id=number, campaign_id="c1", household_id="H-1", day=date(2026, 3, 2), round_no=1,
                      try_no=number, channel="chat_link", due_at=NOW, status=AttemptStatus.dialing.value,
                      conversation_id=conversation)
    session.add(attempt)
    session.flush()
    return attempt.id


@pytest.fixture
def session(db):
    with Session(db) as session:
        yield session


def test_a_minted_token_is_short_url_safe_and_reads_back_its_attempt(session):
    attempt = _attempt(session)
    token = links.mint(session, attempt_id=attempt, expires_at=END_OF_DAY)
    assert len(token) == 24 and token.replace("-", "").replace("_", "").isalnum()
    assert links.read(session, token=token, now=NOW) == LinkCheck(LinkStatus.ok, attempt)
    assert links.link_url("https://screen.example.org/", token) == f"https://screen.example.org/r/{token}"


def test_a_link_expires_at_its_time_not_before(session):
    attempt = _attempt(session)
    token = links.mint(session, attempt_id=attempt, expires_at=END_OF_DAY)
    assert links.read(session, token=token, now=END_OF_DAY - timedelta(seconds=1)).status is LinkStatus.ok
    assert links.read(session, token=token, now=END_OF_DAY) == LinkCheck(LinkStatus.expired, attempt)


def test_every_changed_character_makes_a_token_forged(session):
    attempt = _attempt(session)
    token = links.mint(session, attempt_id=attempt, expires_at=END_OF_DAY)
    for i, char in enumerate(token):
        other = "A" if char != "A" else "B"
        tampered = token[:i] + other + token[i + 1:]
        assert links.read(session, token=tampered, now=NOW) == LinkCheck(LinkStatus.forged, None), i


def test_a_token_for_another_attempt_or_a_later_expiry_cannot_be_made_from_a_real_one(session):
    """The attempt id and expiry are in the token in clear: changing them breaks the signature."""
    first, second = _attempt(session, 1), _attempt(session, 2, "H-1:a2-def456")
    raw = base64.urlsafe_b64decode(links.mint(session, attempt_id=first, expires_at=NOW + timedelta(minutes=5)))
    other_attempt = second.to_bytes(6, "big") + raw[6:]
    later = raw[:6] + (int.from_bytes(raw[6:10], "big") + 10_000).to_bytes(4, "big") + raw[10:]
    for forged in (other_attempt, later):
        token = base64.urlsafe_b64encode(forged).decode()
        assert links.read(session, token=token, now=NOW).status is LinkStatus.forged


def test_a_token_of_another_database_is_forged(session, tmp_path):
    from campaigns.records.db import get_engine

    attempt = _attempt(session)
    session.commit()
    elsewhere = get_engine(f"sqlite:///{tmp_path}/other.db")
    with Session(elsewhere) as other:
        _attempt(other)
        token = links.mint(other, attempt_id=attempt, expires_at=END_OF_DAY)
        other.commit()
    forget_cached_keys()
    assert links.read(session, token=token, now=NOW).status is LinkStatus.forged


def test_a_link_is_completed_once_its_screening_ended_and_then_never_ok_again(session):
    attempt = _attempt(session)
    token = links.mint(session, attempt_id=attempt, expires_at=END_OF_DAY)
    session.add(Screening(household_id="H-1", conversation_id="H-1:a1-abc123", channel="chat", started_at=NOW,
                          finished_at=NOW, outcome="partial"))
    session.flush()
    assert links.read(session, token=token, now=NOW).status is LinkStatus.ok  # left half-way: it may go on
    session.add(Screening(household_id="H-1", conversation_id="H-1:a1-abc123", channel="chat", started_at=NOW,
                          finished_at=NOW, outcome="completed"))
    session.flush()
    assert links.read(session, token=token, now=NOW) == LinkCheck(LinkStatus.completed, attempt)
    assert links.read(session, token=token, now=END_OF_DAY + timedelta(days=1)).status is LinkStatus.completed


def test_a_completed_attempt_completes_its_link(session):
    attempt = _attempt(session)
    token = links.mint(session, attempt_id=attempt, expires_at=END_OF_DAY)
    session.get(Attempt, attempt).status = AttemptStatus.completed.value
    session.flush()
    assert links.read(session, token=token, now=NOW).status is LinkStatus.completed


def test_a_signed_token_whose_attempt_is_gone_is_forged(session):
    token = links.mint(session, attempt_id=999, expires_at=END_OF_DAY)
    assert links.read(session, token=token, now=NOW) == LinkCheck(LinkStatus.forged, None)


def test_mint_refuses_an_attempt_id_it_cannot_carry(session):
    with pytest.raises(ValueError):
        links.mint(session, attempt_id=0, expires_at=END_OF_DAY)
    with pytest.raises(ValueError):
        links.mint(session, attempt_id=2 ** 48, expires_at=END_OF_DAY)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/",
                                              min_size=20, max_size=28)))
def test_any_string_reads_as_forged_and_never_raises(session, token):
    assert links.read(session, token=token, now=NOW) == LinkCheck(LinkStatus.forged, None)
