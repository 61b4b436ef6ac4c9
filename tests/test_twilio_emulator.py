"""The Twilio emulator, driven by the real `twilio` client against a tiny signature-checking app."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from aiohttp import web
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.twilio_emulator import (
    APPLICATION_ERROR_SPEECH,
    START_CONFIRMATION,
    STOP_CONFIRMATION,
    Resident,
    TwilioEmulator,
)

ACCOUNT, TOKEN = "AC" + "1" * 32, "test-auth-token"
OURS, ALICE = "+15005550006", "+14155550101"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


class LocalTwilioHttp(AsyncTwilioHttpClient):
    """The twilio client's own HTTP client, sent to the emulator instead of api.twilio.com."""

    def __init__(self, api_url: str):
        super().__init__()
        self.api_url = api_url

    async def request(self, method, url, *args, **kwargs):
        url = url.replace("https://api.twilio.com", self.api_url)
        return await super().request(method, url, *args, **kwargs)


class App:
    """The application: checks X-Twilio-Signature (403 if bad), answers fixed TwiML per path."""

    def __init__(self, routes: dict):
        self.routes, self.requests, self.port = routes, [], 0
        self.validator = RequestValidator(TOKEN)

    async def start(self):
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def params(self, path: str) -> list[dict]:
        return [params for seen, params in self.requests if seen == path]

    async def handle(self, request: web.Request) -> web.Response:
        params = dict(await request.post())
        signature = request.headers.get("X-Twilio-Signature", "")
        # request.url breaks on aiohttp 3.9.5 + yarl 1.25 (host with a port), so build it here.
        url = f"http://127.0.0.1:{self.port}{request.path_qs}"
        if not self.validator.validate(url, params, signature):
            return web.Response(status=403, text="bad signature")
        self.requests.append((request.path, params))
        answer = self.routes.get(request.path, "<Response/>")
        if callable(answer):
            answer = await answer(params)
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return web.Response(status=status, text=body, content_type="text/xml")


@asynccontextmanager
async def harness(routes: dict, **emulator_args):
    app = App(routes)
    await app.start()
    try:
        async with TwilioEmulator(ACCOUNT, TOKEN, **emulator_args) as emu:
            http = LocalTwilioHttp(emu.api_url)
            try:
                client = Client(ACCOUNT, TOKEN, http_client=http)
                yield SimpleNamespace(emu=emu, app=app, client=client, http=http)
            finally:
                await http.close()
    finally:
        await app.runner.cleanup()


async def place_call(h, to=ALICE, **extra):
    return await h.client.calls.create_async(
        to=to, from_=OURS, url=h.app.url("/voice"), status_callback=h.app.url("/status"), **extra
    )


async def call_once(routes: dict, resident: Resident, **extra):
    """Places one call to ALICE, waits for it to end; returns (harness, Call)."""
    async with harness(routes, **extra.pop("emulator", {})) as h:
        h.emu.residents[ALICE] = resident
        created = await place_call(h, **extra)
        await h.emu.wait_calls(timeout=5)
        return h, h.emu.calls[created.sid]


WELCOME = (
    '<Response><Say voice="Polly.Joanna" language="en-US">Hello</Say>'
    '<Gather input="speech" action="/temperature" hints="degrees">'
    "<Say>What is your temperature?</Say></Gather><Say>We did not hear you.</Say></Response>"
)
SYMPTOMS = (
    '<Response><Gather input="dtmf" numDigits="1" action="done">'
    "<Say>Press 1 for cough.</Say></Gather></Response>"
)
GOODBYE = "<Response><Say>Thank you.</Say><Hangup/><Say>Never said.</Say></Response>"
SCREENING = {"/voice": WELCOME, "/temperature": SYMPTOMS, "/done": GOODBYE}


def test_emulator_answered_call_walks_speech_then_dtmf_then_hangup():
    async def scenario():
        async with harness(SCREENING) as h:
            h.emu.residents[ALICE] = Resident(answers=["speech:thirty seven point five", "dtmf:1#"])
            created = await place_call(h, status_callback_event=ALL_EVENTS)
            assert (created.sid[:2], len(created.sid), created.status) == ("CA", 34, "queued")
            assert (created.to, created._from, created.account_sid) == (ALICE, OURS, ACCOUNT)
            await h.emu.wait_calls(timeout=5)
            fetched = await h.client.calls(created.sid).fetch_async()
            return h, h.emu.calls[created.sid], fetched

    h, call, fetched = asyncio.run(scenario())
    assert call.callback_statuses == ["initiated", "ringing", "in-progress", "completed"]
    assert [ex.params["SequenceNumber"] for ex in call.callbacks] == ["0", "1", "2", "3"]
    assert all(ex.status == 200 for ex in call.webhooks)
    final = call.callbacks[-1].params
    assert (final["CallDuration"], final["CallbackSource"]) == ("1", "call-progress-events")
    assert "AnsweredBy" not in final
    assert [path for path, _ in h.app.requests if path != "/status"] == ["/voice", "/temperature", "/done"]
    voice = h.app.params("/voice")[0]
    fields = (voice["CallStatus"], voice["Direction"], voice["From"], voice["To"])
    assert fields == ("in-progress", "outbound-api", OURS, ALICE)
    assert "AnsweredBy" not in voice
    speech = h.app.params("/temperature")[0]
    assert (speech["SpeechResult"], speech["Confidence"]) == ("thirty seven point five", "0.9")
    assert "Digits" not in speech
    assert (h.app.params("/done")[0]["Digits"], h.app.params("/done")[0]["FinishedOnKey"]) == ("1", "#")
    assert h.emu.heard[ALICE] == ["Hello", "What is your temperature?", "Press 1 for cough.", "Thank you."]
    assert (call.says[0].voice, call.says[0].language) == ("Polly.Joanna", "en-US")
    assert (call.ended_by, call.errors) == ("app", [])
    assert (fetched.status, fetched.duration) == ("completed", "1")


@pytest.mark.parametrize(
    "pickup, status",
    [("busy", "busy"), ("no_answer", "no-answer"), ("failed", "failed")],
    ids=["busy", "no-answer", "failed"],
)
def test_emulator_unanswered_call_sends_only_the_final_status(pickup, status):
    h, call = asyncio.run(call_once(SCREENING, Resident(pickup=pickup)))
    assert call.history == ["queued", "initiated", "ringing", status]
    assert call.callback_statuses == [status]  # no StatusCallbackEvent: only the final one
    assert (call.callbacks[0].params["CallDuration"], call.callbacks[0].params["SequenceNumber"]) == ("0", "0")
    assert h.app.params("/voice") == []


@pytest.mark.parametrize(
    "pickup, detection, answered_by",
    [
        ("machine", "DetectMessageEnd", "machine_end_beep"),
        ("machine", "Enable", "machine_start"),
        ("answer", "Enable", "human"),
        ("fax", "Enable", "fax"),
        ("machine", None, None),
    ],
    ids=["machine-message-end", "machine-enable", "human", "fax", "machine-without-detection"],
)
def test_emulator_machine_detection_reports_answered_by(pickup, detection, answered_by):
    routes = {"/voice": "<Response><Say>Please call us back.</Say><Hangup/></Response>"}
    extra = {"machine_detection": detection} if detection else {}
    h, call = asyncio.run(call_once(routes, Resident(pickup=pickup), **extra))
    assert h.app.params("/voice")[0].get("AnsweredBy") == answered_by
    assert call.callbacks[-1].params.get("AnsweredBy") == answered_by
    assert (call.answered_by, call.status, call.heard) == (answered_by, "completed", ["Please call us back."])


@pytest.mark.parametrize(
    "on_empty, answers, paths, heard_last",
    [
        ("true", ["silence"], ["/voice", "/temperature"], "Press 1 for cough."),
        ("false", ["silence"], ["/voice"], "We did not hear you."),
        ("false", [], ["/voice"], "We did not hear you."),
        ("true", ["dtmf:5#"], ["/voice", "/temperature"], "Press 1 for cough."),  # speech-only gather
    ],
    ids=["action-on-empty", "falls-through", "answers-exhausted", "wrong-input-is-silence"],
)
def test_emulator_gather_without_input(on_empty, answers, paths, heard_last):
    welcome = WELCOME.replace("hints=", f'actionOnEmptyResult="{on_empty}" hints=')
    routes = dict(SCREENING, **{"/voice": welcome})
    h, call = asyncio.run(call_once(routes, Resident(answers=answers)))
    assert [path for path, _ in h.app.requests if path != "/status"] == paths
    for params in h.app.params("/temperature"):
        assert ("SpeechResult" in params, "Digits" in params) == (False, False)
    assert (call.heard[-1], call.status) == (heard_last, "completed")


def test_emulator_resident_hangs_up_at_a_gather():
    h, call = asyncio.run(call_once(SCREENING, Resident(answers=["hangup"]), status_callback_event=ALL_EVENTS))
    assert [path for path, _ in h.app.requests if path != "/status"] == ["/voice"]
    assert (call.ended_by, call.callback_statuses[-1]) == ("resident", "completed")
    assert call.heard == ["Hello", "What is your temperature?"]


async def _slow(params):
    await asyncio.sleep(2)
    return "<Response/>"


@pytest.mark.parametrize(
    "answer, code",
    [(_slow, 11205), ((500, "oops"), 11200), ("<Response><Say>unclosed</Response>", 12100),
     ("<Response><Dial>+14155550199</Dial></Response>", 12100)],
    ids=["timeout", "http-500", "bad-xml", "verb-not-emulated"],
)
def test_emulator_webhook_failure_is_an_application_error(answer, code):
    routes = {"/voice": answer}
    h, call = asyncio.run(call_once(routes, Resident(), emulator={"webhook_timeout": 0.2}))
    assert [error[0] for error in call.errors] == [code]
    assert (call.heard, call.ended_by) == ([APPLICATION_ERROR_SPEECH], "error")
    assert (call.status, call.callback_statuses) == ("completed", ["completed"])


def test_emulator_signed_replay_passes_and_forged_signature_gets_403():
    async def scenario():
        async with harness(SCREENING) as h:
            h.emu.residents[ALICE] = Resident(answers=["hangup"])
            created = await place_call(h)
            await h.emu.wait_calls(timeout=5)
            captured = h.emu.calls[created.sid].webhooks[0]
            replayed = await h.emu.post_signed(captured.url, captured.params)
            forged = await h.emu.post_signed(captured.url, captured.params, signature="forged")
            return replayed, forged

    replayed, forged = asyncio.run(scenario())
    assert (replayed[0], forged) == (200, (403, "bad signature"))
    assert replayed[1] == WELCOME


def test_emulator_rest_hangup_and_cancel():
    async def hold(params):
        await asyncio.sleep(2)
        return "<Response/>"

    async def scenario():
        async with harness({"/voice": hold}) as h:
            h.emu.residents["+14155550102"] = Resident(ring_seconds=5)
            live = await place_call(h)
            ringing = await place_call(h, to="+14155550102")
            while not h.app.params("/voice"):
                await asyncio.sleep(0.01)
            hung = await h.client.calls(live.sid).update_async(status="completed")
            canceled = await h.client.calls(ringing.sid).update_async(status="canceled")
            await h.emu.wait_calls(timeout=1)
            return h.emu, (hung.status, canceled.status), live.sid, ringing.sid

    emu, statuses, live, ringing = asyncio.run(scenario())
    assert statuses == ("completed", "canceled")
    assert (emu.calls[live].status, emu.calls[live].ended_by) == ("completed", "api")
    assert emu.calls[ringing].callback_statuses == ["canceled"]


@pytest.mark.parametrize(
    "attempt, code, status",
    [
        (lambda c, h: c.calls.create_async(to="12345", from_=OURS, url=h.app.url("/voice")), 21211, 400),
        (lambda c, h: c.calls.create_async(to=ALICE, from_=OURS), 21205, 400),
        (lambda c, h: c.messages.create_async(to="+1 415", from_=OURS, body="hi"), 21211, 400),
        (lambda c, h: c.messages.create_async(to="+14155550666", from_=OURS, body="hi"), 21610, 400),
        (lambda c, h: c.calls("CA" + "0" * 32).fetch_async(), 20404, 404),
        (lambda c, h: Client(ACCOUNT, "wrong", http_client=h.http).calls.create_async(
            to=ALICE, from_=OURS, url=h.app.url("/voice")), 20003, 401),
    ],
    ids=["call-bad-to", "call-no-url", "sms-bad-to", "sms-unsubscribed", "unknown-call", "wrong-token"],
)
def test_emulator_rest_errors_reach_the_client_with_twilio_codes(attempt, code, status):
    async def scenario():
        async with harness({}) as h:
            h.emu.unsubscribed.add("+14155550666")
            with pytest.raises(TwilioRestException) as caught:
                await attempt(h.client, h)
            return caught.value, h.emu.calls

    error, calls = asyncio.run(scenario())
    assert (error.code, error.status, calls) == (code, status, {})


def _sms_app(replies: dict):
    async def sms(params):
        reply = replies.get(params["Body"].strip().lower())
        return f"<Response><Message>{reply}</Message></Response>" if reply else "<Response/>"

    return {"/sms": sms}


def test_emulator_sms_delivers_and_resident_replies_in_a_loop():
    async def scenario():
        routes = _sms_app({"hi": "How do you feel?", "fine": "Thanks, bye."})
        async with harness(routes) as h:
            h.emu.sms_url = h.app.url("/sms")
            h.emu.residents[ALICE] = Resident(answers=["hi", "fine"])
            sent = await h.client.messages.create_async(
                to=ALICE, from_="+15005550007", body="Hello from the clinic",
                status_callback=h.app.url("/sms-status"),
            )
            assert (sent.sid[:2], len(sent.sid), sent.status) == ("SM", 34, "queued")
            await h.emu.wait_idle(timeout=5)
            fetched = await h.client.messages(sent.sid).fetch_async()
            return h, h.emu.messages[sent.sid], fetched

    h, message, fetched = asyncio.run(scenario())
    assert h.emu.texts[ALICE] == ["Hello from the clinic", "How do you feel?", "Thanks, bye."]
    assert message.callback_statuses == ["queued", "sent", "delivered"]
    assert [p["MessageStatus"] for p in h.app.params("/sms-status")] == ["queued", "sent", "delivered"]
    inbound = h.app.params("/sms")
    assert [(p["Body"], p["From"], p["To"], p["NumMedia"]) for p in inbound] == [
        ("hi", ALICE, "+15005550007", "0"), ("fine", ALICE, "+15005550007", "0")]
    assert fetched.status == "delivered"


def test_emulator_sms_batches_texts_into_one_reply():
    async def scenario():
        async with harness(_sms_app({})) as h:
            h.emu.sms_url = h.app.url("/sms")
            h.emu.residents[ALICE] = Resident(answers=["one reply", "never sent"])
            for body in ("First.", "Second.", "Third."):
                await h.client.messages.create_async(to=ALICE, from_=OURS, body=body)
            await h.emu.wait_idle(timeout=5)
            return h

    h = asyncio.run(scenario())
    assert h.emu.texts[ALICE] == ["First.", "Second.", "Third."]
    assert [p["Body"] for p in h.app.params("/sms")] == ["one reply"]


def test_emulator_sms_undelivered_reports_the_error_code():
    async def scenario():
        async with harness(_sms_app({})) as h:
            h.emu.sms_url = h.app.url("/sms")
            h.emu.residents[ALICE] = Resident(answers=["never sent"])
            h.emu.fail_delivery[ALICE] = 30003
            await h.client.messages.create_async(
                to=ALICE, from_=OURS, body="Hello", status_callback=h.app.url("/sms-status"))
            await h.emu.wait_idle(timeout=5)
            return h

    h = asyncio.run(scenario())
    statuses = h.app.params("/sms-status")
    assert [(p["MessageStatus"], p.get("ErrorCode")) for p in statuses] == [
        ("queued", None), ("sent", None), ("undelivered", "30003")]
    assert (h.emu.texts[ALICE], h.app.params("/sms")) == ([], [])


def test_emulator_sms_stop_unsubscribes_and_start_resubscribes():
    async def scenario():
        async with harness(_sms_app({"stop": "Sorry to see you go.", "start": "Welcome back."})) as h:
            h.emu.sms_url = h.app.url("/sms")
            h.emu.residents[ALICE] = Resident(answers=[" stop "])
            await h.client.messages.create_async(to=ALICE, from_=OURS, body="Hi")
            await h.emu.wait_idle(timeout=5)
            with pytest.raises(TwilioRestException) as refused:
                await h.client.messages.create_async(to=ALICE, from_=OURS, body="Still there?")
            dropped = [m for m in h.emu.messages.values() if m.error_code == 21610]
            texts_while_out = list(h.emu.texts[ALICE])
            status, reply = await h.emu.text_us(ALICE, "START")
            again = await h.client.messages.create_async(to=ALICE, from_=OURS, body="Welcome.")
            await h.emu.wait_idle(timeout=5)
            return h, refused.value, dropped, texts_while_out, (status, reply), again

    h, refused, dropped, texts_while_out, start, again = asyncio.run(scenario())
    assert (refused.code, refused.status) == (21610, 400)
    assert [(m.body, m.status) for m in dropped] == [("Sorry to see you go.", "failed")]
    assert texts_while_out == ["Hi", STOP_CONFIRMATION]
    assert [p.get("OptOutType") for p in h.app.params("/sms")] == ["STOP", "START"]
    assert start == (200, "<Response><Message>Welcome back.</Message></Response>")
    assert h.emu.texts[ALICE][2:] == [START_CONFIRMATION, "Welcome back.", "Welcome."]
    assert (ALICE in h.emu.unsubscribed, again.status) == (False, "queued")


# --- a webhook that fails: connection overrides, then the FallbackUrl, then the apology ---------

def _closed_port() -> int:
    from tests.live import free_port

    return free_port()  # nothing listens there: every connection is refused


def _asking(action: str) -> str:
    return (f'<Response><Gather input="speech" action="{action}"><Say>What is your temperature?</Say>'
            "</Gather></Response>")


def _tries(call, kind: str = "twiml") -> list[tuple[str, object, str]]:
    return [(ex.url.rpartition("/")[2], ex.status, ex.failure) for ex in call.webhooks if ex.kind == kind]


def test_emulator_connection_refused_is_retried_once_by_default_then_apologises_and_completes():
    closed = _closed_port()
    routes = {"/voice": _asking(f"http://127.0.0.1:{closed}/temperature")}
    h, call = asyncio.run(call_once(routes, Resident(answers=["speech:37"]), status_callback_event=ALL_EVENTS))
    assert _tries(call) == [("voice", 200, ""), ("temperature", None, "ct"), ("temperature", None, "ct")]
    assert [code for code, _ in call.errors] == [11205]
    assert (call.heard[-1], call.ended_by, call.status) == (APPLICATION_ERROR_SPEECH, "error", "completed")
    assert call.callback_statuses == ["initiated", "ringing", "in-progress", "completed"]


@pytest.mark.parametrize(
    "fragment, failing, tries",
    [("#rc=3&amp;rp=ct", "closed", ["ct"] * 4),
     ("#rc=0", "closed", ["ct"]),
     ("", "503", ["5xx"]),  # by default only a connection failure is retried
     ("#rc=2&amp;rp=5xx", "503", ["5xx"] * 3),
     ("#rc=2&amp;rp=ct", "503", ["5xx"]),
     ("#rc=1&amp;rp=4xx,5xx", "404", ["4xx"] * 2),
     ("#rc=2&amp;rp=all", "503", ["5xx"] * 3),
     ("#rt=200&amp;rc=1&amp;rp=rt", "slow", ["rt"] * 2),
     ("#rt=200&amp;rc=1", "slow", ["rt"]),
     ("#rt=400&amp;tt=1000&amp;rc=5&amp;rp=rt", "slow", ["rt"] * 3)],  # the total time stops the 4th
    ids=["ct-retried-3", "no-retry", "5xx-default", "5xx-retried", "5xx-not-in-policy", "4xx", "all",
         "read-timeout", "read-timeout-default-policy", "total-time"],
)
def test_emulator_follows_the_connection_overrides_in_the_url_fragment(fragment, failing, tries):
    closed = _closed_port()

    async def slow(params):
        await asyncio.sleep(2)
        return "<Response/>"

    answers = {"503": (503, "busy"), "404": (404, "none"), "slow": slow}
    routes = {"/voice": None, "/temperature": answers.get(failing)}

    async def scenario():
        async with harness(routes) as h:
            where = f"http://127.0.0.1:{closed}" if failing == "closed" else h.app.url("")
            routes["/voice"] = _asking(f"{where}/temperature{fragment}")
            h.emu.residents[ALICE] = Resident(answers=["speech:37"])
            created = await place_call(h)
            await h.emu.wait_calls(timeout=10)
            return h.emu.calls[created.sid]

    call = asyncio.run(scenario())
    assert [failure for _, _, failure in _tries(call)[1:]] == tries
    assert (call.errors[0][0], call.heard[-1], call.status) == (11205 if failing in ("closed", "slow") else 11200,
                                                               APPLICATION_ERROR_SPEECH, "completed")
    assert call.callback_statuses == ["completed"]


def test_emulator_a_retry_that_gets_through_carries_on_and_the_fragment_is_neither_sent_nor_signed():
    answers = iter([(503, "briefly down"), SYMPTOMS])

    async def flaky(params):
        return next(answers)

    routes = {"/voice": _asking("/temperature#ct=2000&amp;rc=5&amp;rp=ct,5xx"), "/temperature": flaky, "/done": GOODBYE}
    h, call = asyncio.run(call_once(routes, Resident(answers=["speech:37", "dtmf:1"])))
    assert _tries(call) == [("voice", 200, ""), ("temperature#ct=2000&rc=5&rp=ct,5xx", 503, "5xx"),
                            ("temperature#ct=2000&rc=5&rp=ct,5xx", 200, ""), ("done", 200, "")]
    paths = [path for path, _ in h.app.requests if path != "/status"]
    assert paths == ["/voice", "/temperature", "/temperature", "/done"]
    assert [p["SpeechResult"] for p in h.app.params("/temperature")] == ["37", "37"]  # signed without the fragment
    assert (call.errors, call.heard[-1], call.ended_by) == ([], "Thank you.", "app")


def test_emulator_fetches_the_fallback_url_with_the_error_and_carries_on_with_its_twiml():
    closed = _closed_port()
    routes = {"/voice": _asking(f"http://127.0.0.1:{closed}/temperature"),
              "/fallback": "<Response><Say>Please call us back.</Say></Response>"}

    async def scenario():
        async with harness(routes) as h:
            h.emu.residents[ALICE] = Resident(answers=["speech:37"])
            created = await place_call(h, fallback_url=h.app.url("/fallback"))
            await h.emu.wait_calls(timeout=5)
            return h, h.emu.calls[created.sid]

    h, call = asyncio.run(scenario())
    [fallback] = h.app.params("/fallback")
    assert (fallback["ErrorCode"], fallback["ErrorUrl"]) == ("11205", f"http://127.0.0.1:{closed}/temperature")
    assert (fallback["SpeechResult"], fallback["CallSid"]) == ("37", call.sid)
    assert (call.heard[-1], call.ended_by) == ("Please call us back.", "app")
    assert [code for code, _ in call.errors] == [11205]


def test_emulator_a_failing_fallback_url_ends_in_the_apology():
    closed = _closed_port()

    async def scenario():
        async with harness({"/voice": (500, "broken")}) as h:
            created = await place_call(h, fallback_url=f"http://127.0.0.1:{closed}/fallback")
            await h.emu.wait_calls(timeout=5)
            return h.emu.calls[created.sid]

    call = asyncio.run(scenario())
    assert [code for code, _ in call.errors] == [11200, 11205]
    assert [ex.kind for ex in call.webhooks] == ["twiml", "fallback", "fallback", "status"]
    assert (call.heard, call.status) == ([APPLICATION_ERROR_SPEECH], "completed")


@pytest.mark.parametrize("fragment", ["#rc=6", "#ct=50", "#rt=abc", "#rp=ct,sometimes"])
def test_emulator_refuses_connection_overrides_twilio_would_refuse(fragment):
    from tests.twilio_emulator import Overrides

    with pytest.raises(ValueError, match="connection override"):
        Overrides.of(f"https://x.example/a{fragment}", read=15)


def test_emulator_resident_before_answer_hook_runs_while_the_gather_listens():
    seen = []

    async def hook(number):
        seen.append((number, [path for path, _ in h_ref[0].app.requests if path != "/status"]))

    h_ref = []

    async def scenario():
        async with harness(SCREENING) as h:
            h_ref.append(h)
            h.emu.residents[ALICE] = Resident(answers=["speech:37", "dtmf:1"], before_answer=hook)
            created = await place_call(h)
            await h.emu.wait_calls(timeout=5)
            return h.emu.calls[created.sid]

    asyncio.run(scenario())
    assert seen == [(0, ["/voice"]), (1, ["/voice", "/temperature"])]
