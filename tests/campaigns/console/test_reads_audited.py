"""Every read of personal data is in the audit log, by page or by API: each route that answers
with a resident's name or phone number records who read it."""
from __future__ import annotations

from datetime import timedelta

from fastapi.routing import APIRoute
from sqlmodel import Session, delete, select

from campaigns.records.models import AuditEntry, Escalation, Household, Screening, utcnow
from tests.campaigns.console.conftest import api_token, sign_in

NAME, PHONE, PERSON = "Ana Diaz", "+14155550101", "Bo Diaz"


def _seed(db) -> None:
    now = utcnow()
    with Session(db) as session:
        session.add(Household(id="H-1", phone=PHONE, contact_name=NAME, member_names=f"{NAME};{PERSON}"))
        session.flush()
        session.add(Screening(household_id="H-1", person_index=1, person_name=PERSON, conversation_id=PHONE,
                              started_at=now - timedelta(minutes=5), finished_at=now))
        session.add(Escalation(household_id="H-1", kind="urgent", severity="urgent", detail="chest pain"))
        session.commit()


def _entries(db) -> list[tuple[str, str, str, str]]:
    with Session(db) as session:
        return [(e.user_name, e.action, e.target, e.detail or "") for e in session.exec(select(AuditEntry))]


def _forget(db) -> None:
    with Session(db) as session:
        session.execute(delete(AuditEntry))
        session.commit()


def test_every_route_that_answers_with_a_name_or_phone_audits_the_read(console, client, db):
    _seed(db)
    sign_in(client, "supervisor")
    bearer = {"Authorization": f"Bearer {api_token(db, 'supervisor')}"}
    personal = []
    for route in (r for r in console.routes if isinstance(r, APIRoute) and "GET" in r.methods):
        path = route.path_format.format(household_id="H-1")
        _forget(db)
        response = client.get(path, headers=bearer if path.startswith("/api/") else {}, follow_redirects=False)
        if any(text in response.text for text in (NAME, PHONE, PERSON)):
            personal.append(path)
            reads = [entry for entry in _entries(db) if entry[1] in ("view", "export")]
            assert [who for who, *_ in reads] == ["supervisor"], (path, _entries(db))
    assert {"/api/v1/escalations", "/escalations", "/escalations/rows", "/households/H-1", "/api/v1/households/H-1",
            "/results", "/api/v1/results", "/results/export.csv", "/api/v1/results.csv"} <= set(personal)


def test_escalations_api_read_is_audited_with_its_filters(client, db):
    _seed(db)
    headers = {"Authorization": f"Bearer {api_token(db, 'operator')}"}
    client.get("/api/v1/escalations?severity=urgent&limit=5", headers=headers)
    assert _entries(db) == [("operator", "view", "escalations", "api; severity=urgent limit=5 offset=0")]


def test_queue_refreshes_are_audited_once_per_view_but_other_rows_are_not_hidden(client, db):
    _seed(db)
    sign_in(client, "viewer")
    client.get("/escalations?severity=urgent")
    for _ in range(3):
        client.get("/escalations/rows?severity=urgent")  # the open page refreshing itself
    client.get("/escalations/rows?status=all")  # other rows than any page showed
    views = [(what, target, detail) for _, what, target, detail in _entries(db) if what == "view"]
    assert views == [("view", "escalations", "severity=urgent"), ("view", "escalations", "status=all")]


def test_queue_refreshes_are_audited_again_after_a_quarter_of_an_hour(client, db):
    _seed(db)
    sign_in(client, "viewer")
    client.get("/escalations")
    with Session(db) as session:
        for entry in session.exec(select(AuditEntry)):
            entry.at -= timedelta(minutes=16)
            session.add(entry)
        session.commit()
    client.get("/escalations/rows")
    assert [what for _, what, _, _ in _entries(db)].count("view") == 2
