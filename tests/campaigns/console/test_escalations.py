"""The escalation queue: page, rows fragment, forms and JSON API, by role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from campaigns.console import queue
from campaigns.records.models import AuditEntry, Escalation, Household, utcnow
from campaigns.phones import mask_phone
from tests.campaigns.console.conftest import ROLES, api_token, sign_in

# id: (household, kind, severity, status, minutes old)
SEED = {
    1: ("H-1", "abnormal", "routine", "open", 300),
    2: ("H-2", "urgent", "urgent", "open", 10),
    3: ("H-3", "help_request", "high", "acknowledged", 60),
    4: ("H-1", "urgent", "urgent", "open", 192),
    5: ("H-2", "field_visit", "routine", "resolved", 500),
}
HOUSEHOLDS = {"H-1": ("+254700000011", "Amina Otieno", "North"), "H-2": ("+254700000022", "Baraka Njoroge", "South"),
              "H-3": ("+254700000033", "Chebet Kip", "North")}
PHONES = [phone for phone, _, _ in HOUSEHOLDS.values()]
ACTIONS = {"acknowledge": {}, "assign": {"assignee": "supervisor"}, "resolve": {"note": "Visited, referred to clinic."}}


@pytest.fixture
def seeded(db):
    now = utcnow()
    with Session(db) as session:
        for hid, (phone, name, community) in HOUSEHOLDS.items():
            session.add(Household(id=hid, phone=phone, contact_name=name, community=community))
        session.flush()
        for eid, (hid, kind, severity, status, minutes) in SEED.items():
            session.add(Escalation(id=eid, household_id=hid, kind=kind, severity=severity, status=status,
                                   detail=f"detail {eid}", created_at=now - timedelta(minutes=minutes),
                                   resolution_note="Called back; fine." if status == "resolved" else None))
        session.commit()
    return db


def _row(db, eid):
    with Session(db) as session:
        return session.get(Escalation, eid)


def _audit(db):
    with Session(db) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.user_name, e.action, e.target, e.detail) for e in entries if e.action not in ("login", "view")]


def _ids(html):
    return [int(found) for found in re.findall(r'<tr id="escalation-(\d+)"', html)]


def _bearer(db, name):
    return {"Authorization": f"Bearer {api_token(db, name)}"}


@pytest.mark.parametrize("role, masked, buttons", [("viewer", True, False), ("operator", False, True),
                                                  ("supervisor", False, True)], ids=ROLES)
def test_escalations_page_shows_phones_and_buttons_by_role(client, seeded, role, masked, buttons):
    sign_in(client, role)
    for path in ("/escalations", "/escalations/rows"):
        html = client.get(path).text
        phone = "+254700000011"
        assert (phone in html) is not masked and (mask_phone(phone) in html) is masked
        assert ("/escalations/2/acknowledge" in html) is buttons and ("<textarea" in html) is buttons
    assert "Amina Otieno" in html and 'href="/households/H-1"' in html


@pytest.mark.parametrize("path, status", [("/escalations", 303), ("/escalations/rows", 303),
                                          ("/api/v1/escalations", 401)], ids=["page", "rows", "api"])
def test_escalations_unauthenticated_get_shows_no_phone(client, seeded, path, status):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == status
    assert not any(phone in response.text or mask_phone(phone) in response.text for phone in PHONES)
    assert "Amina" not in response.text


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role, allowed", [("viewer", False), ("operator", True), ("supervisor", True)])
def test_escalations_form_action_by_role(client, seeded, db, action, role, allowed):
    token = sign_in(client, role)
    before = _row(db, 2)
    response = client.post(f"/escalations/2/{action}", data={"csrf_token": token, **ACTIONS[action]},
                           follow_redirects=False)
    after = _row(db, 2)
    if not allowed:
        assert response.status_code == 403 and "needs the operator role" in response.text
        assert after == before and _audit(db) == []
        return
    assert (response.status_code, response.headers["location"]) == (303, "/escalations")
    expected = {"acknowledge": ("acknowledged", role, None), "assign": ("acknowledged", "supervisor", None),
                "resolve": ("resolved", None, "Visited, referred to clinic.")}[action]
    assert (after.status, after.assigned_to, after.resolution_note) == expected
    assert _audit(db)[0][:3] == (role, action, "escalation 2")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("token", ["forged", None], ids=["forged", "missing"])
def test_escalations_form_without_csrf_is_refused(client, seeded, db, action, token):
    sign_in(client, "operator")
    data = {**ACTIONS[action], **({"csrf_token": token} if token else {})}
    response = client.post(f"/escalations/2/{action}", data=data, follow_redirects=False)
    assert response.status_code == 403 and "did not come from this site" in response.text
    assert _row(db, 2).status == "open" and _audit(db) == []


def test_escalations_urgent_first_then_oldest(client, seeded, db):
    sign_in(client, "viewer")
    assert _ids(client.get("/escalations").text) == [4, 2, 3, 1]
    assert _ids(client.get("/escalations?status=all").text) == [4, 2, 3, 5, 1]
    items = client.get("/api/v1/escalations", params={"status": "all"}, headers=_bearer(db, "viewer")).json()["items"]
    assert [item["id"] for item in items] == [4, 2, 3, 5, 1]


@pytest.mark.parametrize("query, ids", [
    ({}, [4, 2, 3, 1]),
    ({"severity": "urgent"}, [4, 2]),
    ({"severity": "routine", "status": "all"}, [5, 1]),
    ({"kind": "help_request"}, [3]),
    ({"status": "open"}, [4, 2, 1]),
    ({"status": "acknowledged"}, [3]),
    ({"status": "resolved"}, [5]),
    ({"community": "North"}, [4, 3, 1]),
    ({"community": "South", "status": "all"}, [2, 5]),
    ({"community": "Nowhere"}, []),
], ids=["default-not-resolved", "severity", "severity-all", "kind", "open", "acknowledged", "resolved", "community",
        "community-all", "community-none"])
def test_escalations_filters(client, seeded, db, query, ids):
    sign_in(client, "operator")
    assert _ids(client.get("/escalations", params=query).text) == ids
    assert _ids(client.get("/escalations/rows", params=query).text) == ids
    api = client.get("/api/v1/escalations", params=query, headers=_bearer(db, "operator")).json()
    assert ([item["id"] for item in api["items"]], api["total"]) == (ids, len(ids))


@pytest.mark.parametrize("query", ["severity=extreme", "kind=gossip", "status=closed"])
def test_escalations_unknown_filter_value_is_a_precise_400(client, seeded, query):
    sign_in(client, "viewer")
    response = client.get(f"/escalations?{query}")
    assert response.status_code == 400 and "unknown" in response.text and "use " in response.text


def test_escalations_rows_fragment_is_the_rows_alone_and_shows_new_urgent_items_first(client, seeded, db):
    sign_in(client, "operator")
    with Session(db) as session:
        session.add(Escalation(id=9, household_id="H-3", kind="urgent", severity="urgent", detail="new one",
                               created_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    response = client.get("/escalations/rows?severity=urgent")
    assert response.status_code == 200 and "<html" not in response.text and "<tbody" not in response.text
    assert _ids(response.text) == [4, 2, 9] and "Showing 1–3 of 3" in response.text
    page = client.get("/escalations?severity=urgent").text
    assert 'data-src="/escalations/rows?severity=urgent"' in page and "setInterval(refresh, 5000)" in page


def test_escalations_page_shows_age_and_resolution_note(client, seeded):
    sign_in(client, "viewer")
    html = client.get("/escalations?status=all").text
    assert re.search(r'<tr id="escalation-4"[^>]*>\s*<td[^>]*>3 h 12 min</td>', html)
    assert "Called back; fine." in html and html.count("Outcome:") == 1


def test_escalations_page_caps_rows_and_counts_the_rest(client, seeded, monkeypatch):
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    sign_in(client, "viewer")
    first = client.get("/escalations").text
    assert _ids(first) == [4, 2] and "Showing 1–2 of 4; 2 more" in first and "offset=2" in first
    assert _ids(client.get("/escalations?offset=2").text) == [3, 1]


@pytest.mark.parametrize("seconds, text", [(0, "under 1 min"), (59, "under 1 min"), (60, "1 min"),
                                           (11520, "3 h 12 min"), (3600, "1 h 0 min"), (90000, "1 d 1 h"),
                                           (-5, "under 1 min")])
def test_escalations_age_is_written_for_people(seconds, text):
    assert queue.format_age(seconds) == text


def test_escalations_changes_are_audited_in_order(client, seeded, db):
    token = sign_in(client, "operator")
    for action in ("acknowledge", "assign", "resolve"):
        client.post(f"/escalations/1/{action}", data={"csrf_token": token, **ACTIONS[action]})
    assert _audit(db) == [("operator", "acknowledge", "escalation 1", None),
                          ("operator", "assign", "escalation 1", "to supervisor"),
                          ("operator", "resolve", "escalation 1", "Visited, referred to clinic.")]
    row = _row(db, 1)
    assert row.acknowledged_at is not None and row.resolved_at is not None and row.assigned_to == "supervisor"


def test_escalations_page_view_is_audited_but_refreshes_are_not(client, seeded, db):
    sign_in(client, "viewer")
    client.get("/escalations?severity=urgent")
    client.get("/escalations/rows?severity=urgent")
    with Session(db) as session:
        views = [(e.action, e.target, e.detail) for e in session.exec(select(AuditEntry)) if e.action == "view"]
    assert views == [("view", "escalations", "severity=urgent")]


def test_escalations_form_redirects_back_with_the_filters_and_a_flash(client, seeded, db):
    token = sign_in(client, "operator")
    response = client.post("/escalations/3/resolve", data={"csrf_token": token, "note": " done ", "status": "all",
                                                           "community": "North"}, follow_redirects=False)
    assert response.headers["location"] == "/escalations?community=North&status=all"
    assert "Escalation 3 resolved." in client.get(response.headers["location"]).text
    assert _row(db, 3).resolution_note == "done"


@pytest.mark.parametrize("path, data, status, message", [
    ("/escalations/99/resolve", {"note": "x"}, 404, "there is no escalation 99"),
    ("/escalations/99/acknowledge", {}, 404, "there is no escalation 99"),
    ("/escalations/5/resolve", {"note": "again"}, 409, "escalation 5 was already resolved"),
    ("/escalations/3/acknowledge", {}, 409, "escalation 3 is already acknowledged"),
    ("/escalations/5/assign", {"assignee": "operator"}, 409, "escalation 5 is already resolved"),
    ("/escalations/2/resolve", {"note": "   "}, 400, "a resolution needs a note"),
    ("/escalations/2/resolve", {"note": "x" * 1001}, 400, "the outcome note has 1001 characters"),
    ("/escalations/2/assign", {"assignee": "nobody"}, 400, "there is no active user &#39;nobody&#39;"),
], ids=["unknown-resolve", "unknown-ack", "resolved-again", "ack-twice", "assign-resolved", "blank-note",
        "long-note", "unknown-assignee"])
def test_escalations_form_errors_are_precise_and_change_nothing(client, seeded, db, path, data, status, message):
    token = sign_in(client, "operator")
    before = {eid: _row(db, eid) for eid in SEED}
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == status and message in response.text
    assert {eid: _row(db, eid) for eid in SEED} == before and _audit(db) == []


def test_escalations_blank_note_reshows_the_open_form_with_the_error(client, seeded):
    token = sign_in(client, "operator")
    response = client.post("/escalations/2/resolve", data={"csrf_token": token, "note": "", "kind": "urgent"})
    assert response.status_code == 400 and _ids(response.text) == [4, 2]
    row = re.search(r'<tr id="escalation-2".*?</tr>', response.text, re.S).group(0)
    assert "<details open>" in row and 'class="error"' in row


def test_escalations_api_by_bearer_token_needs_no_csrf(client, seeded, db):
    headers = _bearer(db, "operator")
    ack = client.post("/api/v1/escalations/2/acknowledge", headers=headers)
    assert (ack.status_code, ack.json()["status"], ack.json()["assigned_to"]) == (200, "acknowledged", "operator")
    assigned = client.post("/api/v1/escalations/2/assign", json={"user": "viewer"}, headers=headers).json()
    assert assigned["assigned_to"] == "viewer"
    done = client.post("/api/v1/escalations/2/resolve", json={"note": "Fine now."}, headers=headers).json()
    assert (done["status"], done["resolution_note"], done["phone"]) == ("resolved", "Fine now.", "+254700000022")
    assert [entry[1] for entry in _audit(db)] == ["acknowledge", "assign", "resolve"]


def test_escalations_api_list_items_and_masking(client, seeded, db):
    viewer = client.get("/api/v1/escalations", params={"limit": 1, "offset": 1}, headers=_bearer(db, "viewer")).json()
    assert (viewer["total"], viewer["limit"], viewer["offset"]) == (4, 1, 1)
    item = viewer["items"][0]
    assert (item["id"], item["phone"], item["contact_name"], item["community"]) == (
        2, mask_phone("+254700000022"), "Baraka Njoroge", "South")
    assert 590 <= item["age_seconds"] <= 700 and item["kind"] == "urgent" and item["detail"] == "detail 2"
    operator = client.get("/api/v1/escalations", headers=_bearer(db, "operator")).json()
    assert operator["items"][1]["phone"] == "+254700000022"


@pytest.mark.parametrize("path, body", [("acknowledge", None), ("assign", {"user": "operator"}),
                                        ("resolve", {"note": "done"})])
def test_escalations_api_viewer_may_not_change(client, seeded, db, path, body):
    response = client.post(f"/api/v1/escalations/2/{path}", json=body, headers=_bearer(db, "viewer"))
    assert response.status_code == 403 and _row(db, 2).status == "open" and _audit(db) == []


@pytest.mark.parametrize("path, body", [("acknowledge", None), ("assign", {"user": "operator"}),
                                        ("resolve", {"note": "done"})])
def test_escalations_api_with_cookie_needs_the_csrf_header(client, seeded, db, path, body):
    token = sign_in(client, "operator")
    refused = client.post(f"/api/v1/escalations/2/{path}", json=body)
    assert refused.status_code == 403 and _row(db, 2).status == "open"
    accepted = client.post(f"/api/v1/escalations/2/{path}", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200 and _row(db, 2).status != "open"


@pytest.mark.parametrize("path, body, status, detail", [
    ("99/acknowledge", None, 404, "there is no escalation 99"),
    ("5/resolve", {"note": "again"}, 409, "escalation 5 was already resolved"),
    ("2/resolve", {"note": " "}, 400, "a resolution needs a note"),
    ("2/assign", {"user": "ghost"}, 400, "there is no active user 'ghost'"),
], ids=["unknown", "resolved-again", "blank-note", "unknown-user"])
def test_escalations_api_errors(client, seeded, db, path, body, status, detail):
    response = client.post(f"/api/v1/escalations/{path}", json=body, headers=_bearer(db, "operator"))
    assert response.status_code == status and detail in response.json()["detail"]


def test_escalations_api_is_described_precisely_in_openapi(client):
    spec = client.get("/api/openapi.json").json()
    assign = spec["paths"]["/api/v1/escalations/{escalation_id}/assign"]["post"]
    assert assign["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AssignEscalationIn")
    assert set(assign["responses"]) >= {"200", "400", "403", "404", "409"}
    listed = spec["paths"]["/api/v1/escalations"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {"severity", "kind", "status", "community", "limit", "offset"}
    assert "phone" in spec["components"]["schemas"]["QueueItemOut"]["properties"]


def test_escalations_one_row_per_household_and_kind_in_words(client, db):
    """Three abnormal people in each of two rounds: one row, its people named, how often and how lately."""
    from campaigns.records.escalations import raise_case
    from campaigns.records.models import EscalationKind, Screening

    now = utcnow()
    with Session(db) as session:
        home = Household(id="H-9", phone="+254700000099", contact_name="Lena", member_names="Lena;Jun;Mei",
                         members=3, community="North")
        session.add(home)
        session.flush()
        for minutes, temperatures in ((300, (38.3, 37.9, 37.5)), (20, (38.6, 38.1, 37.4))):
            at = now - timedelta(minutes=minutes)
            rows = [Screening(household_id="H-9", person_index=index, conversation_id=f"c{minutes}", started_at=at,
                              finished_at=at, temperature_c=t, symptoms="", red_flags="", abnormal=True)
                    for index, t in enumerate(temperatures)]
            session.add_all(rows)
            session.flush()
            raise_case(session, household=home, kind=EscalationKind.abnormal, people=rows, screening_id=rows[0].id,
                       conversation_id=f"c{minutes}", at=at)
        session.commit()
    sign_in(client, "viewer")
    html = client.get("/escalations").text
    assert len(_ids(html)) == 1 and "person 0" not in html
    assert "Lena (contact), 38.6 °C; Jun, 38.1 °C; Mei, 37.4 °C" in html
    assert re.search(r"raised 2 times, latest 20 min ago", html)
    assert re.search(r'<tr id="escalation-\d+"[^>]*>\s*<td[^>]*>5 h 0 min</td>', html)  # waiting since round 1
