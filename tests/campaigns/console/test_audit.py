"""The audit log: supervisors only, newest first, filters, pages of 100."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from campaigns.console.pages_audit import PER_PAGE
from campaigns.records.models import AuditEntry
from tests.campaigns.console.conftest import api_token, sign_in
from tests.campaigns.engine_helpers import add, utc

START = utc(2024, 3, 5, 9)


@pytest.fixture
def log(db):
    """250 entries a minute apart: every 5th is an export by `operator`, the rest views by `viewer`
    of "household H-<n>" (n = 0 is the oldest); all older than the logins the tests make."""
    add(db, *[AuditEntry(at=START + timedelta(minutes=n), user_name="operator" if n % 5 == 0 else "viewer",
                         action="export" if n % 5 == 0 else "view", target=f"household H-{n}",
                         detail="<script>x</script>" if n == 249 else None) for n in range(250)])
    return db


def targets(html: str) -> list[str]:
    return re.findall(r"<td>(household H-\d+)</td>", html)


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_audit_is_refused_to_viewers_and_operators(client, log, role):
    sign_in(client, role)
    page = client.get("/audit")
    api = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {api_token(log, role)}"})
    assert (page.status_code, api.status_code) == (403, 403)
    assert "this needs the supervisor role" in page.text and "household H-" not in page.text
    assert api.json() == {"detail": f"this needs the supervisor role; you are {role}"}


def test_audit_without_a_user_redirects_or_401(client, log):
    page = client.get("/audit", follow_redirects=False)
    api = client.get("/api/v1/audit")
    assert (page.status_code, page.headers["location"], api.status_code) == (303, "/login?next=/audit", 401)
    assert "household H-" not in page.text + api.text


def test_audit_pages_newest_first_a_hundred_at_a_time(client, log):
    sign_in(client, "supervisor")
    first = client.get("/audit").text
    assert targets(first)[:2] == ["household H-249", "household H-248"]
    assert len(targets(first)) == PER_PAGE - 1  # the supervisor's own login is the newest entry
    assert "&lt;script&gt;x&lt;/script&gt;" in first and "<script>x" not in first
    assert 'href="/audit?page=2" rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/audit?page=3").text
    assert targets(last) == [f"household H-{n}" for n in range(50, -1, -1)]
    assert 'rel="next"' not in last and 'href="/audit?page=2" rel="prev"' in last


@pytest.mark.parametrize("query, expected", [
    ("user=operator", [f"household H-{n}" for n in range(245, -1, -5)]),
    ("action=export", [f"household H-{n}" for n in range(245, -1, -5)]),
    ("user=viewer&action=export", []),
    ("user=viewer&action=view", [f"household H-{n}" for n in range(249, 0, -1) if n % 5][:PER_PAGE]),
], ids=["user", "action", "no-match", "both"])
def test_audit_filters_by_user_and_action(client, log, query, expected):
    sign_in(client, "supervisor")
    html = client.get(f"/audit?{query}").text
    assert targets(html) == expected
    if not expected:
        assert "No entry matches these filters." in html


def test_audit_next_page_link_keeps_the_filters(client, log):
    sign_in(client, "supervisor")
    html = client.get("/audit?user=viewer&action=view").text
    assert 'href="/audit?user=viewer&amp;action=view&amp;page=2" rel="next"' in html
    second = client.get("/audit?user=viewer&action=view&page=2").text
    assert targets(second) == [f"household H-{n}" for n in range(249, 0, -1) if n % 5][PER_PAGE:]


def test_audit_api_pages_and_filters(client, log):
    headers = {"Authorization": f"Bearer {api_token(log, 'supervisor')}"}
    first = client.get("/api/v1/audit?action=view", headers=headers).json()
    assert (first["page"], first["per_page"], first["next_page"], len(first["entries"])) == (1, PER_PAGE, 2, PER_PAGE)
    assert first["entries"][0] == {"id": 250, "at": "2024-03-05T13:09:00+00:00", "user_name": "viewer",
                                   "action": "view", "target": "household H-249", "detail": "<script>x</script>"}
    second = client.get("/api/v1/audit?action=view&page=2", headers=headers).json()
    assert (second["next_page"], len(second["entries"])) == (None, 200 - PER_PAGE)
    assert client.get("/api/v1/audit?page=0", headers=headers).status_code == 422
