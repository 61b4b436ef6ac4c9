"""Chat links through Twilio: the dispatcher and the Twilio carrier text each household its signed
link as one SMS (by REST, to the local Twilio emulator, with the SMS status callback that the live
Rasa server's `sms` channel receives), and a link that is not delivered fails its attempt."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.channels.gsm7 import segments
from campaigns.outreach.schedule import window_bounds
from campaigns.records import links
from campaigns.records.models import Screening
from tests.campaigns.twilio_helpers import LiveCampaign, community_households, new_phone
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID
from tests.twilio_emulator import Resident, TwilioEmulator

LINK = {"channels": [{"type": "chat_link"}]}


def link_campaign(live_server, live_db, phones: list[str], *, until, fail: dict[str, int] | None = None,
                  languages: dict[str, str] | None = None):
    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{live_server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            emulator.fail_delivery.update(fail or {})
            for phone in phones:
                emulator.residents[phone] = Resident(answers=[])  # reads the text, never replies to it
            campaign = LiveCampaign(live_db, live_server, emulator, community_households(*phones, languages=languages),
                                    **LINK)
            try:
                await campaign.run_until(lambda: until(campaign, emulator))
                await emulator.wait_idle(timeout=20)
                for _ in range(3):
                    await campaign.dispatcher.tick()
            finally:
                await campaign.close()
            return campaign, emulator

    return asyncio.run(main())


def delivered(campaign, emulator) -> bool:
    sent = [m for m in emulator.messages.values() if m.direction == "outbound-api"]
    return len(sent) == len(campaign.household_ids) and all(m.status == "delivered" for m in sent)


def test_twilio_texts_a_signed_link_valid_for_its_attempt_until_the_window_closes(live_server, live_db):
    english, mandarin = new_phone(), new_phone()
    campaign, emulator = link_campaign(live_server, live_db, [english, mandarin], until=delivered,
                                       languages={mandarin: "zh"})

    by_phone = {a.household_id: a for a in campaign.attempts()}
    households = dict(zip(campaign.household_ids, (english, mandarin)))
    for household_id, phone in households.items():
        attempt = by_phone[household_id]
        [text] = emulator.texts[phone]
        [message] = [m for m in emulator.messages.values() if m.to == phone]
        words = "Please complete today's health screening: " if phone == english else "请今天完成健康筛查："
        match = re.fullmatch(re.escape(words + live_server.url) + r"/r/([A-Za-z0-9_-]{24})", text)
        assert match, text
        assert segments(text) == 1
        assert (message.from_, message.callback_statuses) == (CALLER_ID, ["queued", "sent", "delivered"])
        assert message.status_callback.startswith(f"{live_server.url}/webhooks/sms/status?ref={attempt.id}.")
        # Texted and waiting for the page: delivered is not reached, and never "busy".
        assert (attempt.channel, attempt.status, attempt.carrier_ref) == ("chat_link", "dialing", message.sid)
        with Session(live_db) as session:
            now = datetime.now(timezone.utc)
            check = links.read(session, token=match.group(1), now=now)
            assert (check.status.value, check.attempt_id) == ("ok", attempt.id)
            # Good until the attempt's day's window closes (households in UTC), not a second more.
            _, closes = window_bounds(attempt.day, campaign.spec.window(), ZoneInfo("UTC"))
            assert links.read(session, token=match.group(1), now=closes - timedelta(seconds=1)).status.value == "ok"
            assert links.read(session, token=match.group(1), now=closes).status.value == "expired"


def test_twilio_link_not_delivered_fails_its_attempt(live_server, live_db):
    phone = new_phone()

    def failed(campaign, emulator) -> bool:
        return [a.status for a in campaign.attempts()] == ["failed"]

    campaign, emulator = link_campaign(live_server, live_db, [phone], until=failed, fail={phone: 30003})
    [attempt] = campaign.attempts()
    assert (attempt.channel, attempt.status, attempt.detail) == (
        "chat_link", "failed", "Twilio: message undelivered (error 30003)")
    assert emulator.texts.get(phone, []) == []


def test_a_texted_link_opened_and_answered_on_the_page_reaches_the_household(live_server, live_db):
    """The whole way: the dispatcher texts the link through Twilio, the resident opens it on the web
    page and answers there, and the dispatcher counts the attempt reached with one `link` row."""
    from tests.bot.test_web_routes import post

    phone = new_phone()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{live_server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            emulator.residents[phone] = Resident(answers=[])
            campaign = LiveCampaign(live_db, live_server, emulator, community_households(phone), **LINK)
            try:
                await campaign.run_until(lambda: delivered(campaign, emulator))
                [text] = emulator.texts[phone]
                url = re.search(r"https?://\S+/r/[A-Za-z0-9_-]{24}", text).group(0)
                replies = [await asyncio.to_thread(post, f"{url}/start", {})]
                for answer in ("yes", "37.9", "cough", "no"):
                    replies.append(await asyncio.to_thread(post, f"{url}/say", {"message": answer}))
                await campaign.run_until(lambda: [a.status for a in campaign.attempts()] == ["completed"])
            finally:
                await campaign.close()
            return campaign, replies

    campaign, replies = asyncio.run(main())
    assert [status for status, _ in replies] == [200] * 5 and replies[-1][1]["done"] is True
    [attempt] = campaign.attempts()
    assert (attempt.channel, attempt.status) == ("chat_link", "completed")
    with Session(live_db) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id == attempt.conversation_id)).all()
    assert [(r.household_id, r.channel, r.temperature_c, r.symptoms, r.outcome) for r in rows] == [
        (attempt.household_id, "link", 37.9, "cough", "completed")]
