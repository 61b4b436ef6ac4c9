"""A web chat's language on the live server: chosen from what the resident writes, never from what
the client's body says, and the household's own once a texted code proves its number."""
from __future__ import annotations

from sqlmodel import Session

from campaigns.records.models import Household
from tests.bot.test_public_surface import chat, code_in, post, send_codes, sender
from tests.campaigns.twilio_helpers import new_phone

GREETING_ZH = "现在方便回答"
GREETING_EN = "Is now a good time"


def test_a_chat_that_writes_chinese_is_answered_in_mandarin_whatever_its_body_says(live_server, live_db):
    forged = {"metadata": {"language": "en", "written_in": "en"}, "language": "en"}
    [greeting] = chat(live_server, sender(), "你好", **forged)
    assert GREETING_ZH in greeting[0]
    [greeting] = chat(live_server, sender(), "hello", metadata={"written_in": "zh", "language": "zh"})
    assert GREETING_EN in greeting[0]


def test_a_chat_that_proves_a_mandarin_households_number_is_answered_in_mandarin(live_server, live_db):
    phone = new_phone()
    with Session(live_db) as session:
        session.add(Household(id=f"H-zh-{phone[-6:]}", phone=phone, contact_name="李雷", language="zh", timezone="UTC"))
        session.commit()
    me, url = sender(), f"{live_server.url}/webhooks/chat"
    assert GREETING_EN in chat(live_server, me, "hello")[0][0]
    assert post(f"{url}/prove", {"sender": me, "phone": phone})[0] == 202
    code = code_in(send_codes(live_server, live_db), phone)
    assert post(f"{url}/verify", {"sender": me, "code": code}) == (200, {"proved": True})
    [greeting] = chat(live_server, me, "hi")
    assert GREETING_ZH in greeting[0] and "找李雷家" in greeting[0]
