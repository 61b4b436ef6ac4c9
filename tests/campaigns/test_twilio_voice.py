"""Outbound voice calls end to end: the dispatcher and the Twilio carrier, the local Twilio
emulator playing Twilio and the residents, and the live Rasa server (voice channel, model,
action server) writing screenings to the shared database."""
from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from campaigns.models import CarrierEvent, Household, Screening
from tests.campaigns.twilio_helpers import LiveCampaign, community_households, new_phone
from tests.live import ACCOUNT_SID, AUTH_TOKEN
from tests.twilio_emulator import Resident, TwilioEmulator


def screenings(engine, household_id: str) -> list[Screening]:
    with Session(engine) as session:
        return list(session.exec(select(Screening).where(Screening.household_id == household_id)
                                 .order_by(Screening.person_index)).all())


def events(engine, attempt_id: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(CarrierEvent).where(CarrierEvent.attempt_id == attempt_id)
                            .order_by(CarrierEvent.id)).all()
        return [(row.status, row.carrier_ref) for row in rows]


def run_campaign(live_server, engine, residents: dict[str, Resident], *, until, emulator_options=None,
                 households=None, **spec_fields):
    """Start a campaign over households with these phones and run it until `until(campaign)`."""
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, **(emulator_options or {})) as emulator:
            emulator.residents.update(residents)
            campaign = LiveCampaign(engine, live_server, emulator, households or community_households(*residents),
                                    **spec_fields)
            try:
                await campaign.run_until(lambda: until(campaign))
                await emulator.wait_idle(timeout=20)
            finally:
                await campaign.close()
            return campaign, emulator

    return asyncio.run(main())


def settled(campaign) -> bool:
    return all(a.status not in ("due", "claimed", "dialing", "in_progress") for a in campaign.attempts()[:1]) \
        and bool(campaign.attempts()) and campaign.attempts()[0].status not in ("due",)


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
