"""Every route answers a hostile parameter with a 4xx and a message, never a 500: huge and negative
numbers, non-ASCII, NUL, 10 kB strings and far dates, in every query, path, form and JSON field,
signed in as a supervisor, on SQLite and on PostgreSQL."""
from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest
from fastapi import params
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from campaigns.console import queue, security
from campaigns.console.app import create_app
from campaigns.records.models import Escalation, Household, Screening, utcnow
from campaigns.settings import get_settings
from tests.campaigns.console.conftest import PASSWORD, add_staff, sign_in

HOSTILE = {
    "2^63": str(2 ** 63), "2^63-1": str(2 ** 63 - 1), "-2^63-1": str(-2 ** 63 - 1), "-1": "-1", "0": "0",
    "5000 digits": "9" * 5000, "non-ASCII": "王医生", "superscript two": "²", "NUL": "a\x00b",
    "10 kB": "x" * 10_240, "far future": "9999-12-31", "far past": "0001-01-01", "blank": "", "emoji": "🙂",
    "control": "\x1b[2J\r\n", "float": "1e309", "cursor": f"9999-12-31T23:59:59.999999Z_{2 ** 63}",
}
ESCALATIONS = 1000  # each change gets an open one of its own, so every value reaches the checks
FORM = {"name": "operator", "password": PASSWORD, "note": "Visited.", "assignee": "operator", "language": "en"}
JSON = {"user": "operator", "note": "Visited."}
RESIGN = {"/login", "/logout"}  # a request there may sign the walker out or in as someone else


@pytest.fixture(params=["sqlite", "postgresql"])
def walked(request, monkeypatch):
    # Cheap hashes and short queue pages: the walk signs in again and again and renders the queue
    # at each refused change; neither has a bearing on how a parameter is read.
    monkeypatch.setattr(security, "_N", 2 ** 4)
    monkeypatch.setattr(queue, "PAGE_SIZE", 5)
    engine = request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")
    add_staff(engine)
    now = utcnow()
    with Session(engine) as session:
        session.add(Household(id="H-1", phone="+14155550101", contact_name="Ana", community="North"))
        session.flush()
        session.add(Screening(household_id="H-1", conversation_id="c", started_at=now, finished_at=now))
        # One open case per household and kind: each escalation has a household of its own.
        session.add_all([Household(id=f"H-e{n}", phone=None, community="North") for n in range(1, ESCALATIONS + 1)])
        session.flush()
        session.add_all([Escalation(id=n, household_id=f"H-e{n}", kind="urgent", severity="urgent", detail="x")
                         for n in range(1, ESCALATIONS + 1)])
        session.commit()
    return create_app(get_settings())


def fields(route: APIRoute) -> dict[str, list[str]]:
    """The route's parameters by where they go: query, path, form, json, header."""
    flat = get_flat_dependant(route.dependant, skip_repeats=True)
    found = {"query": [f.alias for f in flat.query_params], "path": [f.alias for f in flat.path_params],
             "form": [], "json": [], "header": []}
    for field in flat.body_params:
        if isinstance(field.field_info, params.Form):
            found["form"].append(field.alias)
        else:
            found["json"].extend(sub.alias for sub in field.type_.__fields__.values())
    if "POST" in route.methods:  # the CSRF token, read by a dependency
        found["header" if route.path.startswith("/api/") else "form"].append(
            "X-CSRF-Token" if route.path.startswith("/api/") else "csrf_token")
    return found


class Walker:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.ids = itertools.count(1)
        self.sign_in()

    def sign_in(self) -> None:
        self.client.cookies.clear()
        self.csrf = sign_in(self.client, "supervisor")

    def send(self, route: APIRoute, found: dict, where: str, name: str, value: str):
        path_values = {"escalation_id": str(next(self.ids)), "household_id": "H-1", "name": "viewer",
                       "token_id": "1"}
        path_values = {key: path_values[key] for key in found["path"]}
        query = {name: value} if where == "query" else {}
        if where == "path":
            path_values[name] = value
        url = route.path_format.format(**{key: quote(text, safe="") for key, text in path_values.items()})
        if "GET" in route.methods:
            return self.client.get(url, params=query, follow_redirects=False)
        headers = {"X-CSRF-Token": self.csrf.encode()} if found["header"] else {}
        form = {key: FORM.get(key, "") for key in found["form"]} | ({"csrf_token": self.csrf} if found["form"] else {})
        body = {key: JSON[key] for key in found["json"]}
        if where == "form":
            form[name] = value
        elif where == "json":
            body[name] = value
        elif where == "header":
            headers[name] = value.encode()
        response = self.client.post(url, params=query, headers=headers, data=form or None,
                                    json=body or None, follow_redirects=False)
        if route.path in RESIGN:
            self.sign_in()
        return response


def test_every_route_answers_hostile_parameters_with_a_4xx_never_a_500(walked):
    failures, walked_params = [], set()
    routes = [r for r in walked.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 25
    with TestClient(walked, raise_server_exceptions=False) as client:  # a 500 is an answer here, not an exception
        walker = Walker(client)
        for route in routes:
            found = fields(route)
            for where, name in ((where, name) for where, names in found.items() for name in names):
                walked_params.add((route.path_format, name))
                for label, value in HOSTILE.items():
                    response = walker.send(route, found, where, name, value)
                    signed_out = route.path not in RESIGN and (response.status_code == 401 or response.headers.get(
                        "location", "").startswith("/login?next="))  # then the walk would prove nothing
                    if signed_out or response.status_code >= 500 or (
                            response.status_code >= 400 and not response.text.strip()):
                        failures.append(f"{sorted(route.methods)} {route.path_format} {where} {name}={label}: "
                                        f"{response.status_code} {response.text[:200]!r}")
    assert not failures, (f"{len(failures)} answers were 5xx, said nothing or were signed out:\n"
                          + "\n".join(failures[:60]))
    assert {("/results", "to"), ("/api/v1/escalations", "offset"), ("/audit", "page"), ("/login", "csrf_token"),
            ("/api/v1/escalations/{escalation_id}/acknowledge", "escalation_id"), ("/api/v1/results", "before"),
            ("/escalations/{escalation_id}/resolve", "note"), ("/users/{name}/disable", "name"),
            ("/users/{name}/tokens/{token_id}/revoke", "token_id")} <= walked_params


@pytest.mark.parametrize("method, path, data, status, message", [
    ("GET", "/results?to=9999-12-31", None, 400, "&#39;to&#39; is too far from today"),
    ("GET", "/api/v1/results?from=0001-01-01&to=9999-12-31", None, 400, "'to' is too far from today"),
    ("GET", "/api/v1/escalations?offset=9223372036854775808", None, 422, "less than or equal to 10000000"),
    ("GET", "/audit?page=9223372036854775807", None, 422, "page: ensure this value is less than or equal to"),
    ("GET", "/api/v1/audit?page=9223372036854775807", None, 422, "less than or equal to"),
    ("POST", "/api/v1/escalations/18446744073709551616/acknowledge", None, 422, "less than or equal to"),
    ("POST", "/escalations/18446744073709551616/acknowledge", {}, 422, "escalation_id: ensure this value"),
    ("POST", "/escalations/1/acknowledge", {"csrf_token": "王医生"}, 403, "did not come from this site"),
    ("GET", "/api/v1/results?before=2024-01-01T00:00:00.000000Z_99999999999999999999", None, 400,
     "this page link is broken"),
    ("GET", "/escalations?community=a%00b", None, 400, "may not contain a NUL character"),
    ("GET", "/escalations?offset=²", None, 200, "Escalations"),
], ids=["far-to", "api-far-to", "api-offset", "audit-page", "api-audit-page", "api-escalation-id",
        "page-escalation-id", "non-ascii-csrf", "cursor-id", "nul", "superscript-offset"])
def test_known_hostile_values_get_a_precise_answer(console, client, method, path, data, status, message):
    token = sign_in(client, "supervisor")
    if data is None:
        response = client.request(method, path, headers={"X-CSRF-Token": token} if method == "POST" else {})
    else:
        response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == status and message in response.text, (response.status_code, response.text)
