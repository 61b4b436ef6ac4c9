"""The public port trusts no client: the live Rasa server's chat and SMS channels, tried as an
attacker and as a confused resident would (the Twilio emulator signs the texts)."""
from __future__ import annotations

import asyncio
import json
import re
import statistics
import threading
import time
import urllib.error
import urllib.request

from sqlmodel import Session, select

from bot.channels.chat import TOO_LONG
from bot.channels.edge import RateLimiter
from campaigns.records.models import Escalation, Household, OptOut, Screening
from tests.campaigns.twilio_helpers import new_phone
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID
from tests.twilio_emulator import TwilioEmulator

_ids = iter(range(1, 10**6))


def post(url: str, body: bytes | dict, timeout: float = 30) -> tuple[int, object]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def chat(live_server, sender: str, *texts: str, **extra) -> list[list[str]]:
    url = f"{live_server.url}/webhooks/chat/webhook"
    replies = []
    for text in texts:
        status, body = post(url, {"sender": sender, "message": text, **extra})
        assert status == 200, body
        replies.append([m["text"] for m in body])
    return replies


def sender() -> str:
    return f"web-{time.time_ns() % 10**9}-{next(_ids)}"


def rows(engine, conversation: str) -> list[Screening]:
    with Session(engine) as session:
        return list(session.exec(select(Screening).where(Screening.conversation_id == conversation)).all())


def household_with_phone(engine) -> Household:
    phone = new_phone()
    with Session(engine) as session:
        household = Household(id=f"H-{phone[-6:]}-{next(_ids)}", phone=phone, timezone="UTC")
        session.add(household)
        session.commit()
        session.refresh(household)
        return household


def test_chat_ignores_metadata_input_channel_and_clock_from_the_client(live_server, live_db):
    target = household_with_phone(live_db)
    forged = {"metadata": {"household_id": target.id, "emergency_number": "+999", "attempt_id": 1,
                           "now": "2020-01-01T00:00:00+00:00", "phone": target.phone},
              "input_channel": "simulated"}
    me = sender()
    replies = chat(live_server, me, "hi", "yes", "39", "I can't breathe", "no", **forged)
    assert "+999" not in " ".join(replies[-1])
    [row] = rows(live_db, f"chat:{me}")
    assert (row.channel, row.urgent) == ("chat", True)
    assert row.household_id != target.id and row.household_id.startswith("walkin-")
    assert row.finished_at.year >= 2026
    with Session(live_db) as session:
        assert session.get(Household, row.household_id).phone is None
        assert session.exec(select(Escalation).where(Escalation.household_id == target.id)).all() == []


def test_chat_sender_that_looks_like_a_phone_cannot_opt_out_or_flag_that_household(live_server, live_db):
    target = household_with_phone(live_db)
    digits = target.phone.removeprefix("+")
    chat(live_server, digits, "stop calling me")
    chat(live_server, f"tel:{digits}", "/wrong_number")
    chat(live_server, digits, "/opt_out")
    with Session(live_db) as session:
        found = session.get(Household, target.id)
        assert (found.opted_out_at, found.wrong_number_at) == (None, None)
        assert session.exec(select(OptOut).where(OptOut.household_id == target.id)).all() == []


def test_chat_bad_bodies_get_a_4xx_never_a_5xx(live_server):
    url = f"{live_server.url}/webhooks/chat/webhook"
    for body in (b"", b"not json", b"[]", b'{"sender": "a"}', b'{"sender": 5, "message": "hi"}',
                 b'{"sender": "' + b"x" * 65 + b'", "message": "hi"}', b'{"sender": "a b", "message": "hi"}',
                 b"\xff\xfe", json.dumps({"sender": "ok", "message": ["hi"]}).encode()):
        status, _ = post(url, body)
        assert status == 400, body


def test_chat_strips_control_characters_before_reading(live_server, live_db):
    me = sender()
    chat(live_server, me, "hi", "yes", "37\x00.\x1b8", "no\x85", "no")
    [row] = rows(live_db, f"chat:{me}")
    assert (row.temperature_c, row.temperature_said) == (37.8, "37.8")


def test_chat_overlong_answer_is_asked_again_without_being_read(live_server, live_db):
    me = sender()
    chat(live_server, me, "hi", "yes")
    [reply] = chat(live_server, me, "38.5 " + "and more " * 200)
    assert reply[0] == TOO_LONG and "temperature" in reply[1]
    chat(live_server, me, "36.6", "no", "no")
    [row] = rows(live_db, f"chat:{me}")
    assert row.temperature_c == 36.6


def test_chat_one_sender_flooding_gets_429_and_others_go_on(live_server):
    url = f"{live_server.url}/webhooks/chat/webhook"
    flooder = sender()
    statuses = [post(url, {"sender": flooder, "message": "hello?"})[0] for _ in range(25)]
    assert statuses.count(429) >= 10 and 200 in statuses
    assert chat(live_server, sender(), "hi")[0]


def test_chat_four_unclear_messages_then_a_greeting_still_works(live_server, live_db):
    me = sender()
    replies = chat(live_server, me, "blorp", "zzzz", "qwerty", "asdf", "hi", "yes", "36.6", "no", "no")
    assert all(len(r) == 1 for r in replies)  # one answer each: never silence, never ten repeats
    assert "quick questions about temperature" in replies[4][0]
    assert (rows(live_db, f"chat:{me}")[-1].temperature_c, rows(live_db, f"chat:{me}")[-1].outcome) == (36.6, "completed")


def test_sms_four_unclear_messages_then_a_report_still_works(live_server, live_db):
    phone = new_phone()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{live_server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            return [await emulator.text_us(phone, text)
                    for text in ("blorp", "zzzz", "qwerty", "asdf", "report", "yes", "36.6", "no symptoms", "no")]

    answers = asyncio.run(main())
    assert all(status == 200 and body.count("<Message>") == 1 for status, body in answers), answers
    assert "temperature and symptoms now" in answers[4][1]
    last = rows(live_db, phone)[-1]
    assert (last.channel, last.temperature_c, last.outcome) == ("sms", 36.6, "completed")


def test_chat_turns_stay_fast_while_another_sender_floods_megabyte_bodies(live_server):
    """A flood of 1 MB bodies is refused at the edge (413) without slowing other conversations."""
    url = f"{live_server.url}/webhooks/chat/webhook"
    stop = threading.Event()
    refused: list[int] = []

    def flood() -> None:
        body = json.dumps({"sender": "flooder", "message": "x" * 1_000_000}).encode()
        while not stop.is_set():
            refused.append(post(url, body, timeout=10)[0])

    threads = [threading.Thread(target=flood) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        timings = []
        for _ in range(4):
            me = sender()
            for text in ("hi", "yes", "36.6", "no", "no"):
                started = time.perf_counter()
                status, _ = post(url, {"sender": me, "message": text})
                timings.append(time.perf_counter() - started)
                assert status == 200
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    p99 = statistics.quantiles(timings, n=100)[98]
    assert refused and set(refused) == {413}
    assert p99 < 0.3, f"p99 {p99 * 1000:.0f} ms"


def test_live_server_log_masks_every_phone_number(live_server):
    """Rasa's, Sanic's and our own loggers alike: no full number of a test household in the log."""
    text = live_server.log.read_text(errors="replace")
    assert "+1415555" not in text and "1415555" not in text


def test_rate_limiter_allows_a_burst_then_the_rate_per_key():
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0.0)  # each key has its own bucket
    assert not limiter.allow("a", now=0.5) and limiter.allow("a", now=1.1)  # one a second comes back
    assert limiter.retry_after() == 1


def test_rate_limiter_forgets_the_oldest_keys_past_its_size():
    limiter = RateLimiter(per_minute=60, burst=1, keys_kept=2)
    limiter.allow("a", now=0.0)
    limiter.allow("b", now=0.0)
    limiter.allow("c", now=0.0)
    assert limiter.allow("a", now=0.0)  # "a" was dropped, so it starts with a full bucket


# --- proving a number with a texted code ------------------------------------------------------------

def send_codes(live_server, engine) -> "TwilioEmulator":
    """What a running dispatcher does each second: text the codes asked for, through Twilio."""
    from campaigns.carriers.twilio import TwilioCarrier
    from campaigns.outreach.clock import RealClock
    from campaigns.outreach.dispatcher import Dispatcher
    from tests.campaigns.twilio_helpers import settings_for

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, our_number=CALLER_ID) as emulator:
            clock = RealClock()
            dispatcher = Dispatcher(engine, clock=clock, carrier=lambda d: TwilioCarrier(
                d.on_status, clock=clock, settings=settings_for(live_server, emulator)))
            try:
                await dispatcher.outcomes.send_proof_codes()
            finally:
                await dispatcher.carrier.close()
            return emulator

    return asyncio.run(main())


def code_in(emulator, phone: str) -> str:
    [text] = emulator.texts[phone]
    return re.search(r"\b(\d{6})\b", text).group(1)


def asked_for_a_code(live_server, live_db):
    """A household, a chat that asked to prove its number, the code texted, and a wrong one."""
    target = household_with_phone(live_db)
    me, url = sender(), f"{live_server.url}/webhooks/chat"
    assert post(f"{url}/prove", {"sender": me, "phone": target.phone})[0] == 202
    code = code_in(send_codes(live_server, live_db), target.phone)
    return target, me, url, code, f"{(int(code) + 1) % 10**6:06d}"


def test_chat_proves_a_number_with_a_texted_code_and_then_acts_for_its_household(live_server, live_db):
    target, me, url, code, wrong = asked_for_a_code(live_server, live_db)
    assert post(f"{url}/verify", {"sender": me, "code": wrong}) == (400, '{"error":"wrong code; 4 tries left"}')
    assert post(f"{url}/verify", {"sender": "somebody-else", "code": code})[0] == 409  # the code is this chat's
    assert post(f"{url}/verify", {"sender": me, "code": code}) == (200, {"proved": True})
    chat(live_server, me, "stop calling me")
    with Session(live_db) as session:
        assert session.get(Household, target.id).opted_out_at is not None  # proved: it may act for it


def test_chat_code_is_spent_after_five_wrong_tries(live_server, live_db):
    target, me, url, code, wrong = asked_for_a_code(live_server, live_db)
    answers = [post(f"{url}/verify", {"sender": me, "code": wrong})[0] for _ in range(5)]
    assert answers == [400, 400, 400, 400, 409]
    assert post(f"{url}/verify", {"sender": me, "code": code})[0] == 409  # even the right one, now
    with Session(live_db) as session:
        assert session.get(Household, target.id).opted_out_at is None


def test_chat_codes_are_rate_limited_per_number(live_server, live_db):
    phone = new_phone()
    url = f"{live_server.url}/webhooks/chat/prove"
    answers = [post(url, {"sender": sender(), "phone": phone})[0] for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    assert post(url, {"sender": sender(), "phone": "12345"})[0] == 400
