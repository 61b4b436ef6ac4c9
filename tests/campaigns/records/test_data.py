"""Data functions of campaigns.store, and the UTC timestamp column type."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from campaigns.records.screenings import add_screening
from campaigns.records.households import flag_wrong_number, get_or_create_walk_in, record_opt_out
from campaigns.phones import mask_phone, normalize_phone
from campaigns.records.models import Household, OptOut, Screening


@pytest.fixture
def session(db):
    with Session(db) as session:
        yield session


@pytest.mark.parametrize("raw, region, expected", [
    ("(202) 456-1111", "US", "+12024561111"),  # national, read with the region
    ("020 7946 0958", "GB", "+442079460958"),
    ("0712 345 678", "KE", "+254712345678"),
    ("+1 202 456 1111", "GB", "+12024561111"),  # E.164 ignores the region
    ("+442079460958", "US", "+442079460958"),
    ("12345", "US", None),  # too short to be valid
    ("+999 123", "US", None),  # no such country code
    ("hello", "US", None),  # garbage
    ("", "US", None),
])
def test_normalize_phone(raw, region, expected):
    assert normalize_phone(raw, region=region) == expected


@pytest.mark.parametrize("phone, masked", [
    ("+12024561111", "+12*******11"),
    ("+442079460958", "+44********58"),
    (None, "-"),
    ("", "-"),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_get_or_create_walk_in_same_phone_twice_same_household(session):
    first = get_or_create_walk_in(session, sender_id="s1", phone="+12024561111", timezone="UTC")
    second = get_or_create_walk_in(session, sender_id="s2", phone="+12024561111", timezone="UTC")
    assert first.id == second.id and first.walk_in
    assert session.exec(select(sa.func.count()).select_from(Household)).one() == 1


def test_get_or_create_walk_in_finds_known_household_by_phone(session):
    session.add(Household(id="H-17", phone="+12024561111", timezone="America/New_York"))
    session.flush()
    found = get_or_create_walk_in(session, sender_id="s1", phone="+12024561111", timezone="UTC")
    assert (found.id, found.walk_in, found.timezone) == ("H-17", False, "America/New_York")


def test_get_or_create_walk_in_non_phone_sender_has_no_phone(session):
    first = get_or_create_walk_in(session, sender_id="web-abc", phone=None, timezone="Africa/Nairobi")
    again = get_or_create_walk_in(session, sender_id="web-abc", phone=None, timezone="UTC")
    other = get_or_create_walk_in(session, sender_id="web-xyz", phone=None, timezone="UTC")
    assert first.phone is None and first.walk_in and first.timezone == "Africa/Nairobi"
    assert first.id.startswith("walkin-") and again.id == first.id and other.id != first.id


def _household(session) -> Household:
    household = Household(id="h1", phone="+12024561111")
    session.add(household)
    session.commit()
    return household


def test_record_opt_out_sets_opted_out_at_once(session):
    household = _household(session)
    first = record_opt_out(session, household=household, channel="sms", conversation_id="c1", said="STOP")
    session.commit()
    stamped = household.opted_out_at
    record_opt_out(session, household=household, channel="voice", conversation_id="c2", said="x" * 300)
    session.commit()
    session.expire_all()
    assert stamped is not None and household.opted_out_at == stamped == first.created_at
    opt_outs = session.exec(select(OptOut).order_by(OptOut.id)).all()
    assert [(o.channel, o.phone, len(o.said)) for o in opt_outs] == [("sms", "+12024561111", 4),
                                                                      ("voice", "+12024561111", 200)]


def test_flag_wrong_number_sets_once(session):
    household = _household(session)
    flag_wrong_number(session, household=household)
    session.commit()
    stamped = household.wrong_number_at
    flag_wrong_number(session, household=household)
    session.commit()
    session.expire_all()
    assert stamped is not None and household.wrong_number_at == stamped


def _screening(finished_at: datetime) -> Screening:
    return Screening(household_id="h1", conversation_id="c1", started_at=finished_at, finished_at=finished_at)


@pytest.mark.parametrize("written", [
    datetime(2024, 3, 31, 1, 30, tzinfo=timezone.utc),
    datetime(2024, 3, 31, 3, 30, tzinfo=timezone(timedelta(hours=2))),  # same instant, other offset
])
def test_utc_datetime_round_trip_returns_aware_utc(session, written):
    _household(session)
    row = add_screening(session, screening=_screening(written))
    session.commit()
    session.expire_all()
    read = session.get(Screening, row.id).finished_at
    assert read == written and read.utcoffset() == timedelta(0)
    assert read.tzinfo is not None


def test_utc_datetime_rejects_naive(session):
    _household(session)
    session.add(_screening(datetime(2024, 3, 31, 1, 30)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()
