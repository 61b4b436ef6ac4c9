"""Webhook signatures are checked on the URL Twilio called, rebuilt from the configured
public base URL: right behind a proxy or a tunnel, wrong for anything else."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.twilio_base import TwilioWebhookConfig, form
from bot.questions import is_question
from campaigns.records.contacts import read_attempt, sign_attempt

TOKEN = "test-token"
PUBLIC = "https://screening.example.org"
FIELDS = {"CallSid": "CA123", "Digits": "375", "FinishedOnKey": "", "SpeechResult": ""}


@dataclass
class Arrived:
    """A request as the Rasa server sees it behind a proxy: another host, http, the same path and query."""

    path: str
    query_string: str
    body: bytes
    headers: dict = field(default_factory=dict)

    @property
    def args(self) -> dict:
        return parse_qs(self.query_string)


def arrived(signature: str, fields: dict = FIELDS) -> Arrived:
    return Arrived("/webhooks/voice/gather", "ref=2.ab12cd&tries=1", urlencode(fields).encode(),
                   {"X-Twilio-Signature": signature})


def signed_for(url: str, fields: dict = FIELDS, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, fields)


CONFIG = TwilioWebhookConfig(auth_token=TOKEN, public_url=PUBLIC)


@pytest.mark.parametrize("signature, ok", [
    (signed_for(f"{PUBLIC}/webhooks/voice/gather?ref=2.ab12cd&tries=1"), True),
    (signed_for("http://127.0.0.1:5005/webhooks/voice/gather?ref=2.ab12cd&tries=1"), False),
    (signed_for(f"{PUBLIC}/webhooks/voice/gather?ref=2.ab12cd&tries=2"), False),
    (signed_for(f"{PUBLIC}/webhooks/voice/gather?ref=2.ab12cd&tries=1",
                {k: v for k, v in FIELDS.items() if v}), False),  # blank fields are signed too
    (signed_for(f"{PUBLIC}/webhooks/voice/gather?ref=2.ab12cd&tries=1", token="other"), False),
    ("", False),
], ids=["public-url", "local-url", "other-query", "blank-fields-dropped", "other-token", "missing"])
def test_webhooks_signature_checked_on_the_public_url(signature, ok):
    assert CONFIG.signature_ok(arrived(signature)) is ok


@pytest.mark.parametrize("config", [TwilioWebhookConfig(None, PUBLIC), TwilioWebhookConfig(TOKEN, None)],
                         ids=["no-token", "no-public-url"])
def test_webhooks_unconfigured_refuse_everything(config):
    good = signed_for(f"{PUBLIC}/webhooks/voice/gather?ref=2.ab12cd&tries=1")
    assert config.signature_ok(arrived(good)) is False


def test_webhooks_config_reads_the_environment_and_credentials_win(monkeypatch):
    from campaigns.settings import get_settings

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-env")
    monkeypatch.setenv("SCREENING_PUBLIC_URL", "https://env.example/")
    get_settings.cache_clear()
    try:
        assert TwilioWebhookConfig.from_credentials(None) == TwilioWebhookConfig("from-env", "https://env.example")
        assert TwilioWebhookConfig.from_credentials({"auth_token": "yml", "public_url": "https://yml.example/"}) \
            == TwilioWebhookConfig("yml", "https://yml.example")
    finally:
        get_settings.cache_clear()


def test_webhooks_url_leaves_out_empty_values():
    assert CONFIG.url("/webhooks/voice/gather", ref="2.ab", voice=None, tries=0, question="") == \
        f"{PUBLIC}/webhooks/voice/gather?ref=2.ab&tries=0"


def test_webhooks_form_keeps_blank_fields_and_first_values():
    request = Arrived("/x", "", b"Digits=2&FinishedOnKey=&Digits=3")
    assert form(request) == {"Digits": "2", "FinishedOnKey": ""}


@pytest.mark.parametrize("response, question", [
    ("utter_ask_temperature", True), ("utter_reask_temperature_implausible", True),
    ("utter_close_well", False), ("utter_help_escalated", False), (None, False),
])
def test_webhooks_is_question(response, question):
    assert is_question(response) is question


def test_attempt_reference_reads_back_only_with_the_same_key():
    ref = sign_attempt(42, key=TOKEN)
    assert read_attempt(ref, key=TOKEN) == 42
    assert read_attempt(ref, key="other") is None


@pytest.mark.parametrize("ref", ["", "42", "42.", "x.abc", "43." + "0" * 20, "-1.abc", "9" * 40 + ".abc", None],
                         ids=["empty", "bare", "no-signature", "not-a-number", "wrong-signature", "negative",
                              "huge", "none"])
def test_attempt_reference_forged_or_malformed_is_none(ref):
    assert read_attempt(ref, key=TOKEN) is None


def test_attempt_reference_of_another_attempt_does_not_carry_over():
    signature = sign_attempt(42, key=TOKEN).split(".")[1]
    assert read_attempt(f"43.{signature}", key=TOKEN) is None


def test_webhook_names_its_attempt_only_by_a_signed_reference():
    good = Arrived("/webhooks/voice/gather", f"ref={CONFIG.ref(7)}&tries=1", b"")
    forged = Arrived("/webhooks/voice/gather", "ref=7.0000&tries=1", b"")
    assert (CONFIG.attempt_of(good), CONFIG.attempt_of(forged)) == (7, None)
