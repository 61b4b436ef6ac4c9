"""Text conversations and supervisor alerts end to end: the dispatcher and the Twilio carrier,
the local Twilio emulator, and the live Rasa server's SMS channel with the real model and actions."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from bot.channels.gsm7 import fits_one_segment
from campaigns.records.models import Escalation, Household, Notification, OptOut, Screening
from tests.campaigns.twilio_helpers import SMS, LiveCampaign, community_households, ended, new_phone, texting
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID
from tests.twilio_emulator import START_CONFIRMATION, STOP_CONFIRMATION, Resident, TwilioEmulator

SUPERVISOR = "+14155550999"


def household(engine, household_id: str) -> Household:
    with Session(engine) as session:
        return session.get(Household, household_id)


def screenings(engine, household_id: str) -> list[Screening]:
    with Session(engine) as session:
        return list(session.exec(select(Screening).where(Screening.household_id == household_id)).all())


def test_twilio_sms_conversation_runs_by_text_and_is_recorded(live_server, live_db):
    phone = new_phone()
    resident = Resident(answers=["yes", "37.2", "none", "no"])
    campaign, emulator, _ = texting(live_server, live_db, {phone: resident}, until=ended)

    [attempt] = campaign.attempts()
    texts = emulator.texts[phone]
    assert "health screening" in texts[0] and "Stay well" in texts[-1]
    assert all(fits_one_segment(text) for text in texts)
    first = next(m for m in emulator.messages.values() if m.to == phone)  # sent by the carrier, by REST
    assert (first.direction, first.from_, first.callback_statuses) == ("outbound-api", CALLER_ID,
                                                                        ["queued", "sent", "delivered"])
    assert (attempt.status, attempt.channel, attempt.carrier_ref) == ("completed", "sms", first.sid)
    [row] = screenings(live_db, attempt.household_id)
    assert (row.channel, row.temperature_c, row.symptoms, row.abnormal, row.outcome) == (
        "sms", 37.2, "", False, "completed")


def test_twilio_sms_stop_opts_out_keeps_answers_and_start_opts_back_in(live_server, live_db):
    phone = new_phone()

    async def resubscribe(emulator, campaign):
        stopped = household(live_db, campaign.attempts()[0].household_id).opted_out_at
        return stopped, await emulator.text_us(phone, "START")

    campaign, emulator, (stopped, started) = texting(
        live_server, live_db, {phone: Resident(answers=["yes", "38.1", "stop"])}, until=ended, after=resubscribe)

    [attempt] = campaign.attempts()
    assert stopped is not None and attempt.status == "completed"
    # Twilio's confirmations, not ours: we answer STOP and START with nothing
    assert emulator.texts[phone][-2:] == [STOP_CONFIRMATION, START_CONFIRMATION]
    [row] = screenings(live_db, attempt.household_id)
    assert (row.outcome, row.temperature_c) == ("opted_out", 38.1)
    with Session(live_db) as session:
        assert [o.channel for o in session.exec(select(OptOut).where(OptOut.household_id == attempt.household_id))] \
            == ["sms"]
    assert started[0] == 200
    assert household(live_db, attempt.household_id).opted_out_at is None


def test_twilio_sms_to_an_unsubscribed_number_fails_with_21610_and_opts_the_household_out(live_server, live_db):
    phone = new_phone()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, our_number=CALLER_ID) as emulator:
            emulator.unsubscribed.add(phone)
            campaign = LiveCampaign(live_db, live_server, emulator, community_households(phone), **SMS)
            await campaign.run_until(lambda: ended(campaign, emulator))
            await campaign.close()
            return campaign, emulator

    campaign, emulator = asyncio.run(main())
    [attempt] = campaign.attempts()  # failed: next round by default, where it is skipped
    assert (attempt.status, attempt.detail) == ("failed", "the resident unsubscribed (Twilio error 21610)")
    assert household(live_db, attempt.household_id).opted_out_at is not None
    assert emulator.texts.get(phone, []) == []


def test_twilio_sms_undelivered_with_21610_reported_later_opts_the_household_out(live_server, live_db):
    phone = new_phone()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, our_number=CALLER_ID) as emulator:
            emulator.fail_delivery[phone] = 21610
            campaign = LiveCampaign(live_db, live_server, emulator, community_households(phone), **SMS)
            await campaign.run_until(lambda: ended(campaign, emulator))
            await campaign.close()
            return campaign

    [attempt] = asyncio.run(main()).attempts()
    assert (attempt.status, attempt.detail) == ("failed", "Twilio: message undelivered (error 21610)")
    assert household(live_db, attempt.household_id).opted_out_at is not None


def test_twilio_sms_from_an_unknown_number_starts_a_self_report(live_server, live_db):
    phone = new_phone()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{live_server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            return [await emulator.text_us(phone, text) for text in ("report", "yes", "36.6", "no symptoms", "no")]

    replies = asyncio.run(main())
    assert [status for status, _ in replies] == [200] * 5
    assert "temperature" in replies[0][1] and "Stay well" in replies[-1][1]
    with Session(live_db) as session:
        walk_in = session.exec(select(Household).where(Household.phone == phone)).one()
        [row] = session.exec(select(Screening).where(Screening.household_id == walk_in.id)).all()
    assert (walk_in.walk_in, row.channel, row.temperature_c, row.conversation_id) == (True, "sms", 36.6, phone)


def test_twilio_urgent_answer_texts_each_supervisor_once(live_server, live_db):
    phone = new_phone()
    notify = [{"name": "Duty doctor", "phone": SUPERVISOR}, {"name": "Nurse lead", "phone": "+14155550998"}]

    def alerted(campaign, emulator) -> bool:
        return ended(campaign, emulator) and len(emulator.texts.get("+14155550998", [])) == 1

    async def more_ticks(emulator, campaign):
        for _ in range(5):
            await campaign.dispatcher.tick()

    campaign, emulator, _ = texting(
        live_server, live_db, {phone: Resident(answers=["yes", "39.4", "chest pain and a cough", "no"])},
        until=alerted, after=more_ticks, notify=notify)

    [attempt] = campaign.attempts()
    [doctor] = emulator.texts[SUPERVISOR]
    assert doctor.startswith("URGENT screening alert #") and phone in doctor and "chest pain" in doctor
    with Session(live_db) as session:
        [escalation] = session.exec(select(Escalation).where(Escalation.household_id == attempt.household_id,
                                                             Escalation.severity == "urgent")).all()
        sent = session.exec(select(Notification).where(Notification.escalation_id == escalation.id)).all()
    assert sorted((n.phone, n.status, n.tries) for n in sent) == [("+14155550998", "sent", 1), (SUPERVISOR, "sent", 1)]


def test_twilio_sms_conversation_left_half_way_is_closed_later_with_its_answers_kept(live_server, live_db):
    phone = new_phone()

    def replied(campaign, emulator) -> bool:
        return [a.status for a in campaign.attempts()] == ["in_progress"] and len(emulator.texts.get(phone, [])) >= 3

    async def four_hours_on(emulator, campaign):
        await campaign.dispatcher.outcomes.expire_overdue(datetime.now(timezone.utc) + timedelta(hours=4, minutes=1))

    campaign, emulator, _ = texting(live_server, live_db, {phone: Resident(answers=["yes", "38.5"])},
                                    until=replied, after=four_hours_on)

    [attempt] = campaign.attempts()
    assert (attempt.status, attempt.detail) == ("completed", "no final status or reply came in time")
    [row] = screenings(live_db, attempt.household_id)
    assert (row.outcome, row.temperature_c, row.abnormal) == ("partial", 38.5, True)


def test_twilio_sms_never_answered_counts_as_no_answer_after_four_hours(live_server, live_db):
    phone = new_phone()

    def sent(campaign, emulator) -> bool:
        return [a.status for a in campaign.attempts()] == ["dialing"] and bool(emulator.texts.get(phone))

    async def four_hours_on(emulator, campaign):
        await campaign.dispatcher.outcomes.expire_overdue(datetime.now(timezone.utc) + timedelta(hours=4, minutes=1))

    campaign, emulator, _ = texting(live_server, live_db, {phone: Resident()}, until=sent, after=four_hours_on)

    assert [(a.status, a.detail) for a in campaign.attempts()][0] == ("no_answer", "no final status or reply came in time")
    assert screenings(live_db, campaign.attempts()[0].household_id) == []
