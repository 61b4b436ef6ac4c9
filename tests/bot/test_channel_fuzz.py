"""Fuzzing the live Rasa server's public channels: any body gets a 2xx or a 4xx, never a 5xx,
and the server stays up. Twilio's routes are fuzzed with valid signatures, so the bodies reach
the handlers."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from campaigns.records.contacts import sign_attempt
from tests.live import AUTH_TOKEN

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TEXT = st.text(st.characters(codec="utf-8"), max_size=200)
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                       max_leaves=12)


def status_of(url: str, data: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@FUZZ
@given(body=st.one_of(st.binary(max_size=400), JSONISH.map(lambda v: json.dumps(v).encode()),
                      st.fixed_dictionaries({"sender": TEXT, "message": JSONISH}).map(lambda v: json.dumps(v).encode()),
                      st.fixed_dictionaries({"sender": st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
                                             "message": TEXT}).map(lambda v: json.dumps(v).encode())))
def test_chat_answers_any_body_with_a_2xx_or_4xx(live_server, body):
    status = status_of(f"{live_server.url}/webhooks/chat/webhook", body, {"Content-Type": "application/json"})
    assert 200 <= status < 500 and status != 429, status


ROUTES = ["/webhooks/voice/answer", "/webhooks/voice/gather", "/webhooks/voice/status",
          "/webhooks/sms/inbound", "/webhooks/sms/status"]
FIELDS = st.dictionaries(st.sampled_from(["CallSid", "CallStatus", "SpeechResult", "Digits", "AnsweredBy", "From",
                                          "Body", "MessageSid", "MessageStatus", "ErrorCode", "To"]) | TEXT,
                         TEXT, max_size=6)
QUERY = st.fixed_dictionaries({}, optional={"ref": st.one_of(TEXT, st.integers(0, 10**6).map(
    lambda n: sign_attempt(n, key=AUTH_TOKEN))), "tries": TEXT, "question": TEXT})


@FUZZ
@given(path=st.sampled_from(ROUTES), fields=FIELDS, query=QUERY)
def test_twilio_routes_answer_any_signed_body_with_a_2xx_or_4xx(live_server, path, fields, query):
    url = f"{live_server.url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, fields)
    body = urllib.parse.urlencode(fields).encode()
    status = status_of(url, body, {"X-Twilio-Signature": signature,
                                   "Content-Type": "application/x-www-form-urlencoded"})
    assert 200 <= status < 500, status


def test_the_server_is_still_up_after_the_fuzzing(live_server):
    assert live_server.proc.poll() is None
    assert status_of(f"{live_server.url}/webhooks/chat/", None, {}) == 200
