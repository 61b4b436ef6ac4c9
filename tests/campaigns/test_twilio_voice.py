"""Outbound voice calls end to end: the dispatcher and the Twilio carrier, the local Twilio
emulator playing Twilio and the residents, and the live Rasa server (voice channel, model,
action server) writing screenings to the shared database."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from bot.channels.voice import NEVER_HEARD, NOT_HEARD
from campaigns.cli import main
from campaigns.records.contacts import sign_attempt
from campaigns.records.models import CarrierEvent, Screening
from campaigns.settings import get_settings
from tests.campaigns.twilio_helpers import LiveCampaign, community_households, new_phone, run_campaign, settled
from tests.live import ACCOUNT_SID, AUTH_TOKEN, BOT_TOKEN, CALLER_ID
from tests.twilio_emulator import APPLICATION_ERROR_SPEECH, Resident, TwilioEmulator


def screenings(engine, household_id: str) -> list[Screening]:
    with Session(engine) as session:
        return list(session.exec(select(Screening).where(Screening.household_id == household_id)
                                 .order_by(Screening.person_index)).all())


def events(engine, attempt_id: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(CarrierEvent).where(CarrierEvent.attempt_id == attempt_id)
                            .order_by(CarrierEvent.id)).all()
        return [(row.status, row.carrier_ref) for row in rows]


def test_twilio_voice_call_with_speech_and_keypad_answers_is_recorded(live_server, live_db):
    phone = new_phone()
    resident = Resident(answers=["speech:yes", "dtmf:375#", "speech:a dry cough", "dtmf:2"])
    campaign, emulator = run_campaign(live_server, live_db, {phone: resident}, until=settled)

    attempt = campaign.attempts()[0]
    call = next(iter(emulator.calls.values()))
    assert (attempt.status, attempt.carrier_ref, attempt.channel) == ("completed", call.sid, "voice")
    assert call.callback_statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert call.ended_by == "app"  # our TwiML hung up when the dialogue ended
    rows = screenings(live_db, attempt.household_id)
    assert [(r.temperature_c, r.symptoms, r.abnormal, r.channel, r.outcome, r.conversation_id) for r in rows] == [
        (37.5, "cough", True, "voice", "completed", attempt.conversation_id)]
    heard = emulator.heard[phone]
    assert "press 1 for yes" in heard[0] and "health worker will follow up" in heard[-1]
    # ringing is not recorded; in progress and completed are, each once
    assert [status for status, _ in events(live_db, attempt.id)] == ["ringing", "in_progress", "completed"]


def test_twilio_voice_busy_line_is_retried_after_the_campaigns_busy_delay(live_server, live_db):
    phone = new_phone()
    campaign, emulator = run_campaign(live_server, live_db, {phone: Resident(pickup="busy")}, until=settled)

    first, retry = campaign.attempts()
    assert (first.status, first.detail) == ("busy", "Twilio: busy")
    assert (retry.status, retry.kind, retry.detail) == ("due", "retry", "retry after busy")
    assert retry.due_at - first.ended_at == timedelta(minutes=10)  # the default busy delay
    assert screenings(live_db, first.household_id) == []


def test_twilio_voice_answering_machine_gets_the_campaigns_message_and_waits_for_the_next_round(
        live_server, live_db):
    phone = new_phone()
    message = "This is the city health office. We will call again tomorrow about a health check."
    campaign, emulator = run_campaign(
        live_server, live_db, {phone: Resident(pickup="machine")}, until=settled,
        answering_machine={"leave_message": True, "message": message})

    [attempt] = campaign.attempts()  # machine: next_round by default, so no retry today
    call = next(iter(emulator.calls.values()))
    assert call.answered_by == "machine_start"
    assert emulator.heard[phone] == [message]
    assert (attempt.status, attempt.detail) == ("machine", "answering machine (machine_start): message left")
    assert screenings(live_db, attempt.household_id) == []


def test_twilio_voice_silence_is_reprompted_twice_then_the_call_ends_and_answers_are_kept(live_server, live_db):
    phone = new_phone()
    resident = Resident(answers=["speech:yes", "speech:thirty eight point two", "silence", "silence", "silence"])
    campaign, emulator = run_campaign(live_server, live_db, {phone: resident}, until=settled)

    [attempt] = campaign.attempts()
    heard = emulator.heard[phone]
    assert heard.count(NOT_HEARD) == 2 and heard[-1] == NEVER_HEARD
    assert sum("any of these today" in text.lower() or "symptom" in text.lower() for text in heard) >= 3  # re-asked
    assert next(iter(emulator.calls.values())).ended_by == "app"
    [row] = screenings(live_db, attempt.household_id)
    assert (row.outcome, row.temperature_c, row.symptoms, row.abnormal) == ("partial", 38.2, None, True)
    assert attempt.status == "completed"


def test_twilio_voice_resident_hanging_up_mid_call_keeps_the_answers_given(live_server, live_db):
    phone = new_phone()
    resident = Resident(answers=["speech:yes", "dtmf:365#", "hangup"])
    campaign, emulator = run_campaign(live_server, live_db, {phone: resident}, until=settled)

    [attempt] = campaign.attempts()
    assert next(iter(emulator.calls.values())).ended_by == "resident"
    [row] = screenings(live_db, attempt.household_id)
    assert (row.outcome, row.temperature_c, row.temperature_said) == ("partial", 36.5, "365")
    assert attempt.status == "completed"


def test_twilio_voice_hang_up_before_any_answer_records_nothing_and_is_retried(live_server, live_db):
    phone = new_phone()
    campaign, emulator = run_campaign(live_server, live_db, {phone: Resident(answers=["hangup"])}, until=settled)

    first, retry = campaign.attempts()
    assert (first.status, first.detail) == ("dropped", "the call ended before any answer was recorded")
    assert (retry.status, retry.due_at - first.ended_at) == ("due", timedelta(hours=2))  # as for no answer
    assert screenings(live_db, first.household_id) == []


def test_twilio_voice_webhook_timing_out_ends_the_call_with_nothing_recorded_and_a_retry(live_server, live_db):
    phone = new_phone()
    campaign, emulator = run_campaign(
        live_server, live_db, {phone: Resident(answers=["speech:yes", "speech:37"])}, until=settled,
        emulator_options={"webhook_timeout": 0.001})

    first, retry = campaign.attempts()
    call = next(iter(emulator.calls.values()))
    assert [code for code, _ in call.errors] == [11205]  # Twilio: HTTP connection failure (timeout)
    assert emulator.heard[phone] == [APPLICATION_ERROR_SPEECH]
    assert (first.status, retry.kind) == ("dropped", "retry")
    assert screenings(live_db, first.household_id) == []


def test_twilio_voice_replayed_and_duplicated_status_callbacks_change_nothing(live_server, live_db):
    phone, seen = new_phone(), {}

    async def replay_all_twice(emulator, campaign):
        seen["before"] = [(a.id, a.status, a.detail, a.ended_at) for a in campaign.attempts()]
        call = next(iter(emulator.calls.values()))
        seen["replies"] = [await emulator.post_signed(ex.url, ex.params) for ex in call.callbacks * 2]

    campaign, _ = run_campaign(live_server, live_db, {phone: Resident(pickup="busy")}, until=settled,
                               after=replay_all_twice)
    before = seen["before"]
    assert {status for status, _ in seen["replies"]} == {204}
    assert [(a.id, a.status, a.detail, a.ended_at) for a in campaign.attempts()] == before  # still one retry
    assert [status for status, _ in events(live_db, before[0][0])] == ["ringing", "busy"]  # each stored once


def test_twilio_voice_status_callbacks_out_of_order_never_move_an_attempt_back(live_server, live_db):
    phone, seen = new_phone(), {}

    async def send_late_callbacks(emulator, campaign):
        final = next(iter(emulator.calls.values())).callbacks[-1]
        late = [{**final.params, "CallStatus": status, "SequenceNumber": "9"} for status in ("in-progress", "ringing")]
        seen["replies"] = [await emulator.post_signed(final.url, params) for params in late]

    campaign, _ = run_campaign(live_server, live_db, {phone: Resident(pickup="no_answer")}, until=settled,
                               after=send_late_callbacks)
    first, retry = campaign.attempts()
    assert [status for status, _ in seen["replies"]] == [204, 204]
    assert (first.status, first.answered_at, retry.kind) == ("no_answer", None, "retry")
    assert [status for status, _ in events(live_db, first.id)] == ["ringing", "no_answer", "in_progress"]


FORGERIES = [
    pytest.param(lambda url, params: "not-a-signature", id="garbage"),
    pytest.param(lambda url, params: RequestValidator("someone-elses-token").compute_signature(url, params),
                 id="other-token"),
    pytest.param(lambda url, params: RequestValidator(AUTH_TOKEN).compute_signature(
        url.replace("ref=1.", "ref=2."), params), id="url-tampered"),
    pytest.param(lambda url, params: RequestValidator(AUTH_TOKEN).compute_signature(
        url, {**params, "CallStatus": "busy"}), id="field-tampered"),
    pytest.param(lambda url, params: "", id="missing"),
]


@pytest.mark.parametrize("path", ["/webhooks/voice/answer", "/webhooks/voice/gather", "/webhooks/voice/status",
                                  "/webhooks/sms/inbound", "/webhooks/sms/status"])
@pytest.mark.parametrize("forge", FORGERIES)
def test_twilio_webhooks_refuse_a_forged_signature_with_403_and_record_nothing(live_server, live_db, path, forge):
    url = f"{live_server.url}{path}?ref={sign_attempt(1, key=AUTH_TOKEN)}"
    params = {"CallSid": "CAforged", "CallStatus": "completed", "SpeechResult": "yes", "From": "+14155550100",
              "Body": "STOP", "MessageSid": "SMforged", "MessageStatus": "failed", "ErrorCode": "21610",
              "conversation": "forged:a1", "household": "h", "attempt": "1"}

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            return await emulator.post_signed(url, params, signature=forge(url, params))

    status, text = asyncio.run(main())
    assert (status, text) == (403, "invalid signature")
    with Session(live_db) as session:
        assert session.exec(select(CarrierEvent).where(CarrierEvent.carrier_ref.in_(["CAforged", "SMforged"]))).all() == []


def test_screening_run_with_the_twilio_carrier_dials_until_stopped(live_server, live_db):
    """`screening run --carrier twilio` as an operator starts it, configured by the environment."""
    phone = new_phone()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            emulator.residents[phone] = Resident(answers=["speech:yes", "speech:36.9", "speech:none", "dtmf:2"])
            campaign = LiveCampaign(live_db, live_server, emulator, community_households(phone))
            env = {**os.environ, "SCREENING_DATABASE_URL": live_server.database_url,
                   "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_CALLER_ID": CALLER_ID,
                   "SCREENING_PUBLIC_URL": live_server.url, "SCREENING_TWILIO_API_URL": emulator.api_url,
                   "SCREENING_BOT_TOKEN": BOT_TOKEN}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "campaigns.cli", "run", "--carrier", "twilio", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            try:
                for _ in range(300):
                    if settled(campaign):
                        break
                    await asyncio.sleep(0.1)
            finally:
                proc.send_signal(signal.SIGTERM)
                output, _ = await asyncio.wait_for(proc.communicate(), 30)
            return campaign, proc.returncode, output.decode()

    campaign, code, output = asyncio.run(main())
    [attempt] = campaign.attempts()
    assert (attempt.status, code) == ("completed", 0), output
    [row] = screenings(live_db, attempt.household_id)
    assert (row.temperature_c, row.channel) == (36.9, "voice")
    assert phone not in output  # numbers are masked in the log
    assert AUTH_TOKEN not in output


@pytest.mark.parametrize("env, missing", [
    ({}, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SCREENING_PUBLIC_URL, SCREENING_BOT_TOKEN"),
    ({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}, "SCREENING_PUBLIC_URL, SCREENING_BOT_TOKEN"),
], ids=["nothing-set", "no-public-url"])
def test_screening_run_with_twilio_names_the_missing_settings(db, monkeypatch, capsys, env, missing):
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SCREENING_PUBLIC_URL", "SCREENING_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert main(["run", "--carrier", "twilio"]) == 1
    assert f"the Twilio carrier needs {missing} in the environment" in capsys.readouterr().err


@pytest.mark.parametrize("path", ["/webhooks/voice/answer", "/webhooks/voice/gather"])
def test_twilio_voice_signed_webhook_without_an_attempt_reference_is_a_400_not_a_crash(live_server, live_db, path):
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            return await emulator.post_signed(f"{live_server.url}{path}?attempt=1", {"CallSid": "CAx"})

    assert asyncio.run(main()) == (400, "the webhook URL names no attempt")


def test_twilio_voice_signed_gather_with_a_bad_tries_count_is_a_400(live_server, live_db):
    url = f"{live_server.url}/webhooks/voice/gather?ref={sign_attempt(1, key=AUTH_TOKEN)}&tries=abc"

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            return await emulator.post_signed(url, {"CallSid": "CAx", "SpeechResult": ""})

    assert asyncio.run(main()) == (400, "tries must be a whole number")
