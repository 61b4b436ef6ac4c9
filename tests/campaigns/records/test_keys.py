"""Keys made on first use in the database, and walk-in ids that do not give the number back."""
from __future__ import annotations

import hashlib

from sqlmodel import Session

from campaigns.records.db import get_engine
from campaigns.records.households import get_or_create_walk_in
from campaigns.records.keys import forget_cached_keys, key_for


def test_key_is_made_once_and_kept(db):
    with Session(db) as session:
        first = key_for(session, name="walk_in")
        session.commit()
    forget_cached_keys()
    with Session(db) as session:
        assert key_for(session, name="walk_in") == first and len(first) == 32
        assert key_for(session, name="other") != first


def test_walk_in_id_is_a_keyed_hash_not_a_plain_one(db, tmp_path):
    phone = "+14155550123"
    with Session(db) as session:
        walk_in = get_or_create_walk_in(session, sender_id=phone, phone=phone, timezone="UTC")
        session.commit()
        again = get_or_create_walk_in(session, sender_id="other", phone=phone, timezone="UTC")
    plain = {hashlib.new(name, phone.encode()).hexdigest()[:12] for name in ("sha1", "sha256", "md5")}
    assert walk_in.id.startswith("walkin-") and walk_in.id.removeprefix("walkin-")[:12] not in plain
    assert again.id == walk_in.id
    other_db = get_engine(f"sqlite:///{tmp_path}/other.db")  # another office, another key
    with Session(other_db) as session:
        elsewhere = get_or_create_walk_in(session, sender_id=phone, phone=phone, timezone="UTC")
    assert elsewhere.id != walk_in.id
