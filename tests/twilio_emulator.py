"""A local Twilio for tests and benchmarks: Twilio's REST API in, signed Twilio webhooks out.

It listens on 127.0.0.1 and answers the REST calls the `twilio` package (8.2.x) makes, once the
application points `https://api.twilio.com` at `emu.api_url`. It then plays the residents it
"calls" or "texts", driving the application's webhooks as Twilio does.

What it emulates
- REST: create, fetch and update Calls; create and fetch Messages, under
  /2010-04-01/Accounts/{AccountSid}/..., behind HTTP basic auth (401, code 20003), with Twilio's
  JSON errors: 21211 bad 'To', 21205 missing Url, 21610 unsubscribed recipient, 20404 unknown.
- Voice: per call, status callbacks (initiated, ringing, answered, then the final status) filtered
  by StatusCallbackEvent (the final one is always sent), answering machine detection (AnsweredBy),
  the TwiML verbs Say, Play, Pause, Gather (speech, DTMF, no input; its language and hints are kept
  per call, as `Call.gathers`), Redirect, Hangup and Reject,
  REST hang-up/cancel, and application errors (11200 non-2xx, 11205 timeout or no connection,
  12100 bad TwiML). A failed TwiML fetch is first retried per the URL's connection overrides
  (see below), then the call's FallbackUrl is fetched (with ErrorCode and ErrorUrl) if it has one;
  failing that, the resident hears "An application error has occurred", the call ends `completed`
  and its status callback is still sent.
- Connection overrides on voice webhooks (TwiML and status callbacks): a URL fragment such as
  `#ct=2000&rc=5&rp=ct,5xx` sets the connect timeout (ct, ms, 100-10000, default 5000), the read
  timeout (rt, 100-15000, default `webhook_timeout`), the total time for every try (tt,
  100-15000, default 15000), the retries (rc, 0-5, default 1) and what is retried (rp: ct, rt,
  4xx, 5xx, all; default ct). A connection that could not be made is `ct`; a request sent whose
  connection then dropped is retried only under `all`. The fragment is never sent, nor signed.
- SMS: status callbacks (queued, sent, delivered | undelivered + ErrorCode), residents replying to
  each batch of received texts through the inbound webhook (`sms_url`), TwiML <Message> replies,
  and the opt-out keywords (STOP... adds to `unsubscribed`, START/UNSTOP/YES removes). Only
  Twilio's English keywords are reserved: "退订" or "TD" reach the application as any text.
Every webhook is a form POST (GET when the Method says so) signed with X-Twilio-Signature.

What it does not emulate
- Dial, Record, Enqueue, Connect and the other verbs (they count as a 12100 parse failure),
  a fallback for a verb that fails rather than a fetch, overrides on SMS webhooks, the edge and
  SNI overrides, Twilio's errors for invalid override values (the emulator raises), recordings,
  media, Messaging Services, async AMD, the HELP keyword, pricing, rate limits, owned-number
  checks on 'From', and real timing: Pause and Gather timeouts take no time; only
  `Resident.ring_seconds` waits (and `Resident.before_answer`, a test's hook), and retries follow
  each other at once (Twilio documents no pause between them).
"""
from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Awaitable, Callable, NamedTuple
from urllib.parse import urlencode, urljoin

import aiohttp
import yarl
from aiohttp import web
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
APPLICATION_ERROR_SPEECH = "An application error has occurred. Goodbye."
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
STOP_CONFIRMATION = (
    "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe."
)
START_CONFIRMATION = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
PICKUPS = ("answer", "busy", "no_answer", "failed", "machine", "fax")
_UNANSWERED = {"busy": "busy", "no_answer": "no-answer", "failed": "failed"}
_EVENT_OF_STATUS = {"initiated": "initiated", "ringing": "ringing", "in-progress": "answered"}
_E164 = re.compile(r"\+[1-9]\d{7,14}")
# Twilio's connection overrides: each one's range in milliseconds (rc: retries) and its default.
_OVERRIDE_RANGES = {"ct": (100, 10_000), "rt": (100, 15_000), "tt": (100, 15_000), "rc": (0, 5)}
_RETRY_POLICIES = frozenset({"ct", "rt", "4xx", "5xx", "all"})


@dataclass
class Resident:
    """Who answers a number: how they pick up, then what they say or text back, one per turn.

    Voice answers: "speech:<words>", "dtmf:<digits>", "silence" or "hangup"; SMS answers: text.
    """

    pickup: str = "answer"  # answer | busy | no_answer | failed | machine | fax
    answers: list[str] = field(default_factory=list)
    ring_seconds: float = 0.0  # before the outcome; past the call's Timeout it is no-answer
    answered_by: str | None = None  # AnsweredBy override under MachineDetection, e.g. "unknown"
    # Awaited with the call's gather number (0, 1...) before the resident answers it: they are
    # still talking, so nothing reaches the application meanwhile (a test restarts a server here).
    before_answer: Callable[[int], Awaitable[None]] | None = None

    def __post_init__(self):
        if self.pickup not in PICKUPS:
            raise ValueError(f"pickup must be one of {', '.join(PICKUPS)}, not {self.pickup!r}")

    def next_answer(self) -> str | None:
        return self.answers.pop(0) if self.answers else None


class Exchange(NamedTuple):
    """One webhook request the emulator made and what came back."""

    url: str
    params: dict
    status: int | None  # None: no response (timeout or connection failure)
    text: str
    kind: str = "twiml"  # twiml (voice document) | status (status callback) | sms (inbound) | fallback
    error: str = ""
    failed_on: str = ""  # no response: ct (no connection) | rt (read timeout) | dropped (after sending)

    @property
    def failure(self) -> str:
        """What went wrong, in Twilio's retry-policy words ("" for a 2xx or 3xx answer)."""
        if self.status is None:
            return self.failed_on
        return {4: "4xx", 5: "5xx"}.get(self.status // 100, "")


@dataclass(frozen=True)
class Overrides:
    """A voice webhook URL's connection overrides (its fragment), in seconds and counts."""

    connect: float = 5.0
    read: float = 15.0
    total: float = 15.0
    retries: int = 1
    policy: frozenset = frozenset({"ct"})

    @classmethod
    def of(cls, url: str, *, read: float) -> tuple[str, "Overrides"]:
        """The URL to request (without its fragment) and its overrides; `read` is the default rt."""
        base, _, fragment = url.partition("#")
        given = dict(pair.partition("=")[::2] for pair in fragment.split("&") if pair)
        for key, (low, high) in _OVERRIDE_RANGES.items():
            if key in given and not (given[key].isdigit() and low <= int(given[key]) <= high):
                raise ValueError(f"connection override {key}={given[key]!r} is outside {low}-{high}")
        policy = frozenset(given.get("rp", "ct").split(","))
        if not policy <= _RETRY_POLICIES:
            raise ValueError(f"connection override rp={given['rp']!r}: use ct, rt, 4xx, 5xx or all")
        seconds = {key: int(given[key]) / 1000 for key in ("ct", "rt", "tt") if key in given}
        return base, cls(connect=seconds.get("ct", 5.0), read=seconds.get("rt", read),
                         total=seconds.get("tt", max(15.0, read)), retries=int(given.get("rc", 1)),
                         policy=_RETRY_POLICIES if "all" in policy else policy)

    def retried(self, failure: str) -> bool:
        return failure in self.policy or ("all" in self.policy and bool(failure))


class Say(NamedTuple):
    text: str
    voice: str | None
    language: str | None


class Listen(NamedTuple):
    """One <Gather> the call ran: how it listened."""

    language: str | None  # the recogniser's locale ("en-US", "cmn-Hans-CN")
    hints: list[str]  # the hints attribute, split at its commas
    input: str


@dataclass
class Call:
    """One outbound call and its whole transcript."""

    sid: str
    to: str
    from_: str
    url: str | None
    method: str = "POST"
    twiml: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    events: frozenset = frozenset({"completed"})
    machine_detection: str | None = None
    timeout: float = 60.0
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status: str = "queued"
    history: list[str] = field(default_factory=lambda: ["queued"])
    answered_by: str | None = None
    webhooks: list[Exchange] = field(default_factory=list)
    says: list[Say] = field(default_factory=list)
    gathers: list[Listen] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    ended_by: str | None = None  # app | resident | api | error; None when never answered
    created: float = field(default_factory=time.time)
    answered_at: float | None = None
    ended_at: float | None = None
    sequence: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    hangup: asyncio.Event = field(default_factory=asyncio.Event)  # set by a REST update

    @property
    def heard(self) -> list[str]:
        return [say.text for say in self.says]

    @property
    def callbacks(self) -> list[Exchange]:
        return [ex for ex in self.webhooks if ex.kind == "status"]

    @property
    def callback_statuses(self) -> list[str]:
        return [ex.params["CallStatus"] for ex in self.callbacks]

    @property
    def duration(self) -> int:
        if self.answered_at is None:
            return 0
        return math.ceil((self.ended_at or time.time()) - self.answered_at)


@dataclass
class Message:
    """One SMS, outbound (REST or TwiML) or inbound (a resident's reply)."""

    sid: str
    to: str
    from_: str
    body: str
    direction: str = "outbound-api"  # outbound-api | outbound-reply | inbound
    status: str = "queued"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    error_code: int | None = None
    created: float = field(default_factory=time.time)
    webhooks: list[Exchange] = field(default_factory=list)

    @property
    def callback_statuses(self) -> list[str]:
        return [ex.params["MessageStatus"] for ex in self.webhooks if ex.kind == "status"]


@dataclass
class _Thread:
    """A resident's SMS side: texts received since their last reply, and the reply task."""

    unanswered: int = 0
    last_delivery: float = 0.0
    task: asyncio.Task | None = None


class _RestError(Exception):
    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _AppError(Exception):
    """The application's webhook failed: Twilio apologises and hangs up."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class _Document(NamedTuple):
    url: str | None
    root: ET.Element


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(moment: float | None) -> str | None:
    if moment is None:
        return None
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(moment))


def _text_of(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


class TwilioEmulator:
    """Twilio on 127.0.0.1: `await start()` (or `async with`), point the app at `api_url`."""

    def __init__(
        self,
        account_sid: str = "AC" + "0" * 32,
        auth_token: str = "emulator-auth-token",
        *,
        sms_url: str | None = None,
        our_number: str = "+15005550006",
        webhook_timeout: float = 15.0,
        callback_timeout: float = 15.0,
        settle_seconds: float = 0.05,
    ):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sms_url, self.our_number = sms_url, our_number
        self.webhook_timeout, self.settle_seconds = webhook_timeout, settle_seconds
        # Status callbacks wait for nothing the call needs; a test may starve TwiML webhooks alone.
        self.callback_timeout = callback_timeout
        self.validator = RequestValidator(auth_token)
        self.residents: dict[str, Resident] = {}
        self.calls: dict[str, Call] = {}
        self.messages: dict[str, Message] = {}
        self.heard: defaultdict[str, list[str]] = defaultdict(list)
        self.texts: defaultdict[str, list[str]] = defaultdict(list)
        self.unsubscribed: set[str] = set()
        self.fail_delivery: dict[str, int] = {}
        self.crashes: list[BaseException] = []  # bugs in the emulator's own tasks
        self._threads: defaultdict[str, _Thread] = defaultdict(_Thread)
        self._last_from: dict[str, str] = {}
        self._tasks: set[asyncio.Task] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "TwilioEmulator":
        app = web.Application(middlewares=[self._guard])
        base = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(f"{base}/Calls.json", self._create_call)
        app.router.add_post(f"{base}/Calls/{{sid}}.json", self._update_call)
        app.router.add_get(f"{base}/Calls/{{sid}}.json", self._fetch_call)
        app.router.add_post(f"{base}/Messages.json", self._create_message)
        app.router.add_get(f"{base}/Messages/{{sid}}.json", self._fetch_message)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        # One pool for every webhook; no connection limit so 100 concurrent calls never queue.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> "TwilioEmulator":
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    # --- for tests ----------------------------------------------------------------------------

    def resident(self, phone: str) -> Resident:
        return self.residents.get(phone) or Resident()

    async def post_signed(
        self, url: str, params: dict, *, signature: str | None = None, method: str = "POST"
    ) -> tuple[int | None, str]:
        """Send one webhook as Twilio would (or with a forged `signature`): (status, body)."""
        exchange = await self._request(url, params, method=method, signature=signature)
        return exchange.status, exchange.text

    async def text_us(self, from_: str, body: str) -> tuple[int | None, str]:
        """One inbound SMS from `from_` to the application's `sms_url`: (status, body)."""
        exchange = await self._inbound(from_, body)
        return exchange.status, exchange.text

    async def wait_calls(self, timeout: float = 30.0) -> None:
        """Until every created call has ended."""
        pending = [call for call in self.calls.values() if not call.done.is_set()]
        try:
            await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in pending)), timeout)
        except asyncio.TimeoutError:
            live = [f"{c.sid} ({c.status})" for c in pending if not c.done.is_set()]
            raise TimeoutError(f"calls still live after {timeout}s: {', '.join(live)}") from None
        self._raise_crashes()

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Until every call and SMS exchange has finished and nothing new started for a moment."""

        async def drain():
            while True:
                while self._tasks:
                    await asyncio.wait(list(self._tasks))  # wait, unlike gather, never cancels them
                await asyncio.sleep(self.settle_seconds)
                if not self._tasks:
                    return

        try:
            await asyncio.wait_for(drain(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"{len(self._tasks)} exchanges still running after {timeout}s") from None
        self._raise_crashes()

    def _raise_crashes(self) -> None:
        if self.crashes:
            raise RuntimeError(f"the Twilio emulator crashed: {self.crashes[0]!r}") from self.crashes[0]

    # --- REST API -----------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            auth = aiohttp.BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            auth = None
        try:
            if auth is None or (auth.login, auth.password) != (self.account_sid, self.auth_token):
                raise _RestError(401, 20003, "Authenticate")
            if request.match_info.get("account", self.account_sid) != self.account_sid:
                raise _RestError(404, 20404, f"The requested resource {request.path} was not found")
            return await handler(request)
        except web.HTTPNotFound:
            return self._error(_RestError(404, 20404, f"The requested resource {request.path} was not found"))
        except _RestError as error:
            return self._error(error)

    @staticmethod
    def _error(error: _RestError) -> web.Response:
        more_info = f"https://www.twilio.com/docs/errors/{error.code}"
        body = {"code": error.code, "message": error.message, "more_info": more_info, "status": error.status}
        return web.json_response(body, status=error.status)

    @staticmethod
    def _valid_to(to: str | None, missing_code: int) -> str:
        if not to:
            raise _RestError(400, missing_code, "A 'To' phone number is required.")
        if not _E164.fullmatch(to):
            raise _RestError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        return to

    async def _create_call(self, request: web.Request) -> web.Response:
        form = await request.post()
        to = self._valid_to(form.get("To"), 21201)
        if not form.get("From"):
            raise _RestError(400, 21213, "A 'From' phone number is required.")
        if not form.get("Url") and not form.get("Twiml"):
            raise _RestError(400, 21205, "Url parameter is required.")
        events = {event for value in form.getall("StatusCallbackEvent", []) for event in value.split()}
        call = Call(
            sid=_sid("CA"), to=to, from_=form["From"], url=form.get("Url"),
            method=form.get("Method", "POST"), twiml=form.get("Twiml"),
            status_callback=form.get("StatusCallback"),
            status_callback_method=form.get("StatusCallbackMethod", "POST"),
            events=frozenset(events | {"completed"}),
            machine_detection=form.get("MachineDetection"),
            timeout=float(form.get("Timeout", 60)),
            fallback_url=form.get("FallbackUrl"), fallback_method=form.get("FallbackMethod", "POST"),
        )
        self.calls[call.sid] = call
        self._spawn(self._run_call(call))
        return web.json_response(self._call_resource(call), status=201)

    def _find(self, table: dict, request: web.Request):
        found = table.get(request.match_info["sid"])
        if found is None:
            raise _RestError(404, 20404, f"The requested resource {request.path} was not found")
        return found

    async def _fetch_call(self, request: web.Request) -> web.Response:
        return web.json_response(self._call_resource(self._find(self.calls, request)))

    async def _update_call(self, request: web.Request) -> web.Response:
        call: Call = self._find(self.calls, request)
        wanted = (await request.post()).get("Status")
        if wanted not in ("completed", "canceled", None):
            raise _RestError(400, 21218, f"Invalid Status {wanted!r}: use completed or canceled.")
        resource = self._call_resource(call)
        live = not call.done.is_set() and not call.hangup.is_set()
        ringing = call.status != "in-progress"
        if live and (wanted == "completed" or (wanted == "canceled" and ringing)):
            call.hangup.set()
            resource["status"] = "canceled" if ringing else "completed"
        return web.json_response(resource)

    async def _create_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        to = self._valid_to(form.get("To"), 21604)
        if not form.get("From"):
            raise _RestError(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            raise _RestError(400, 21602, "Message body is required.")
        if to in self.unsubscribed:
            raise _RestError(400, 21610, "Attempt to send to unsubscribed recipient")
        message = Message(
            sid=_sid("SM"), to=to, from_=form["From"], body=form["Body"],
            status_callback=form.get("StatusCallback"),
            status_callback_method=form.get("StatusCallbackMethod", "POST"),
        )
        self.messages[message.sid] = message
        self._last_from[to] = message.from_
        resource = self._message_resource(message)  # before delivery starts: status queued
        self._spawn(self._deliver(message))
        return web.json_response(resource, status=201)

    async def _fetch_message(self, request: web.Request) -> web.Response:
        return web.json_response(self._message_resource(self._find(self.messages, request)))

    def _uri(self, kind: str, sid: str) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/{kind}/{sid}.json"

    def _call_resource(self, call: Call) -> dict:
        uri = self._uri("Calls", call.sid)
        return {
            "sid": call.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": call.to, "to_formatted": call.to, "from": call.from_, "from_formatted": call.from_,
            "status": "queued" if call.status == "initiated" else call.status,
            "direction": "outbound-api", "answered_by": call.answered_by,
            "date_created": _rfc2822(call.created), "date_updated": _rfc2822(time.time()),
            "start_time": _rfc2822(call.answered_at), "end_time": _rfc2822(call.ended_at),
            "duration": str(call.duration) if call.ended_at else None,
            "parent_call_sid": None, "phone_number_sid": None, "price": None, "price_unit": "USD",
            "forwarded_from": None, "group_sid": None, "caller_name": None, "queue_time": "0",
            "trunk_sid": None, "uri": uri,
            "subresource_uris": {"notifications": uri.replace(".json", "/Notifications.json"),
                                 "recordings": uri.replace(".json", "/Recordings.json")},
        }

    def _message_resource(self, message: Message) -> dict:
        uri = self._uri("Messages", message.sid)
        return {
            "sid": message.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": message.to, "from": message.from_, "body": message.body,
            "status": message.status, "direction": message.direction,
            "error_code": message.error_code, "error_message": None,
            "date_created": _rfc2822(message.created), "date_updated": _rfc2822(time.time()),
            "date_sent": None, "messaging_service_sid": None, "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }

    # --- voice --------------------------------------------------------------------------------

    async def _run_call(self, call: Call) -> None:
        resident = self.resident(call.to)
        try:
            await self._progress(call, "initiated")
            await self._progress(call, "ringing")
            ring = min(resident.ring_seconds, call.timeout)
            if await self._hung_up_within(call, ring):
                return await self._finish(call, "canceled")
            if resident.ring_seconds >= call.timeout:
                return await self._finish(call, "no-answer")
            if resident.pickup in _UNANSWERED:
                return await self._finish(call, _UNANSWERED[resident.pickup])
            call.answered_at = time.time()
            call.answered_by = self._answered_by(call, resident)
            await self._progress(call, "in-progress")
            await self._talk(call, resident)
            await self._finish(call, "completed")
        finally:
            call.done.set()

    @staticmethod
    async def _hung_up_within(call: Call, seconds: float) -> bool:
        if seconds > 0 and not call.hangup.is_set():
            try:
                await asyncio.wait_for(call.hangup.wait(), seconds)
            except asyncio.TimeoutError:
                pass
        return call.hangup.is_set()

    @staticmethod
    def _answered_by(call: Call, resident: Resident) -> str | None:
        if not call.machine_detection:
            return None
        if resident.answered_by:
            return resident.answered_by
        if resident.pickup == "machine":
            return "machine_end_beep" if call.machine_detection == "DetectMessageEnd" else "machine_start"
        return {"fax": "fax"}.get(resident.pickup, "human")

    def _voice_params(self, call: Call) -> dict:
        return {
            "CallSid": call.sid, "AccountSid": self.account_sid, "From": call.from_, "To": call.to,
            "Caller": call.from_, "Called": call.to, "CallStatus": call.status,
            "Direction": "outbound-api", "ApiVersion": API_VERSION,
        }

    async def _progress(self, call: Call, status: str) -> None:
        call.status = status
        call.history.append(status)
        if _EVENT_OF_STATUS[status] in call.events:
            await self._status_callback(call, {})

    async def _finish(self, call: Call, status: str) -> None:
        call.status, call.ended_at = status, time.time()
        call.history.append(status)
        extra = {"CallDuration": str(call.duration)}
        if call.answered_by:
            extra["AnsweredBy"] = call.answered_by
        await self._status_callback(call, extra)

    async def _status_callback(self, call: Call, extra: dict) -> None:
        if not call.status_callback:
            return
        params = {
            **self._voice_params(call), "Timestamp": _rfc2822(time.time()),
            "SequenceNumber": str(call.sequence), "CallbackSource": "call-progress-events", **extra,
        }
        call.sequence += 1
        # Failures are kept; retried only as the URL's connection overrides say.
        await self._voice_request(call, call.status_callback, params, method=call.status_callback_method,
                                  kind="status", read=self.callback_timeout)

    async def _talk(self, call: Call, resident: Resident) -> None:
        """The answered part of the call, until TwiML, the resident or a REST update hangs up."""
        talking = asyncio.ensure_future(self._converse(call, resident))
        hangup = asyncio.ensure_future(call.hangup.wait())
        try:
            await asyncio.wait({talking, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (talking, hangup):
                task.cancel()
        if talking.done() and not talking.cancelled():
            talking.result()  # surfaces emulator bugs
        else:
            call.ended_by = "api"

    async def _converse(self, call: Call, resident: Resident) -> None:
        try:
            if call.twiml:
                document = self._parse(call.twiml, None)
            else:
                extra = {"AnsweredBy": call.answered_by} if call.answered_by else {}
                document = await self._fetch(call, call.url, extra, call.method)
            while document is not None:
                document = await self._execute(call, resident, document)
        except _AppError as error:
            call.errors.append((error.code, error.message))
            call.ended_by = "error"
            self._hear(call, Say(APPLICATION_ERROR_SPEECH, None, None))

    async def _fetch(self, call: Call, url: str, extra: dict, method: str = "POST") -> _Document:
        """The next TwiML document: from `url` (retried per its overrides), else the call's FallbackUrl."""
        params = {**self._voice_params(call), **extra}
        try:
            return await self._document(call, url, params, method, "twiml")
        except _AppError as error:
            if not call.fallback_url:
                raise
            call.errors.append((error.code, error.message))
            failed = {"ErrorCode": str(error.code), "ErrorUrl": url.partition("#")[0]}
            return await self._document(call, call.fallback_url, {**params, **failed}, call.fallback_method,
                                        "fallback")

    async def _document(self, call: Call, url: str, params: dict, method: str, kind: str) -> _Document:
        exchange = await self._voice_request(call, url, params, method=method, kind=kind, read=self.webhook_timeout)
        base = url.partition("#")[0]
        if exchange.status is None:
            raise _AppError(11205, f"HTTP connection failure: {exchange.error} ({base})")
        if not 200 <= exchange.status < 300:
            raise _AppError(11200, f"HTTP retrieval failure: status {exchange.status} ({base})")
        return self._parse(exchange.text, base)

    async def _voice_request(self, call: Call, url: str, params: dict, *, method: str, kind: str,
                             read: float) -> Exchange:
        """One voice webhook, tried again as its connection overrides say; each try is kept."""
        target, overrides = Overrides.of(url, read=read)
        deadline = time.monotonic() + overrides.total
        for _ in range(overrides.retries + 1):
            left = max(0.001, deadline - time.monotonic())
            exchange = await self._request(target, params, method=method, connect=min(overrides.connect, left),
                                           timeout=min(overrides.read, left))
            call.webhooks.append(exchange._replace(url=url, kind=kind))
            if not overrides.retried(exchange.failure) or deadline - time.monotonic() <= 0:
                break
        return exchange

    @staticmethod
    def _parse(text: str, url: str | None) -> _Document:
        try:
            root = ET.fromstring(text)
        except ET.ParseError as error:
            raise _AppError(12100, f"Document parse failure: {error} ({url})") from None
        if root.tag != "Response":
            raise _AppError(12100, f"Document parse failure: root <{root.tag}> is not <Response> ({url})")
        return _Document(url, root)

    def _hear(self, call: Call, say: Say) -> None:
        call.says.append(say)
        self.heard[call.to].append(say.text)

    def _play(self, call: Call, verb: ET.Element) -> None:
        if verb.tag == "Say":
            self._hear(call, Say(_text_of(verb), verb.get("voice"), verb.get("language")))
        elif verb.tag not in ("Pause", "Play"):
            raise _AppError(12100, f"Document parse failure: <{verb.tag}> is not emulated")

    async def _execute(self, call: Call, resident: Resident, document: _Document) -> _Document | None:
        """Run one TwiML document; returns the next one (Gather action, Redirect) or None: hang up."""
        for verb in document.root:
            if verb.tag == "Gather":
                hints = [hint.strip() for hint in (verb.get("hints") or "").split(",") if hint.strip()]
                call.gathers.append(Listen(verb.get("language", "en-US"), hints, verb.get("input", "dtmf")))
                for nested in verb:
                    self._play(call, nested)
                if resident.before_answer is not None:
                    await resident.before_answer(len(call.gathers) - 1)
                answer = resident.next_answer() or "silence"
                if answer == "hangup":
                    call.ended_by = "resident"
                    return None
                params = self._gathered(verb, answer)
                if params is None and verb.get("actionOnEmptyResult", "false").lower() != "true":
                    continue  # no input: Twilio goes on with the next verb
                action = urljoin(document.url or "", verb.get("action") or "") or document.url
                return await self._fetch(call, action, params or {}, verb.get("method", "POST"))
            if verb.tag == "Redirect":
                target = urljoin(document.url or "", _text_of(verb))
                return await self._fetch(call, target, {}, verb.get("method", "POST"))
            if verb.tag in ("Hangup", "Reject"):
                break
            self._play(call, verb)
        call.ended_by = "app"
        return None

    @staticmethod
    def _gathered(verb: ET.Element, answer: str) -> dict | None:
        """What a <Gather> posts for one answer, or None when it heard nothing it listens for."""
        kind, _, value = answer.partition(":")
        inputs = verb.get("input", "dtmf").split()
        if kind == "speech" and "speech" in inputs and value.strip():
            return {"SpeechResult": value.strip(), "Confidence": "0.9"}
        if kind == "dtmf" and "dtmf" in inputs and value:
            finish = verb.get("finishOnKey", "#")
            pressed = finish if finish and finish in value else ""
            digits = value.split(pressed, 1)[0] if pressed else value
            if verb.get("numDigits"):
                digits = digits[: int(verb.get("numDigits"))]
            return {"Digits": digits, "FinishedOnKey": pressed} if digits else None
        return None

    # --- SMS ----------------------------------------------------------------------------------

    async def _deliver(self, message: Message) -> None:
        """queued -> sent -> delivered (or undelivered with the test's error code)."""
        # The outcome is decided before the first await, so texts keep the order they were sent in.
        failure = self.fail_delivery.get(message.to)
        if not failure:
            self.texts[message.to].append(message.body)
            thread = self._threads[message.to]
            thread.unanswered += 1
            thread.last_delivery = time.monotonic()
            if thread.task is None:
                thread.task = self._spawn(self._reply_when_settled(message.to))
        await self._message_status(message, "queued")
        await self._message_status(message, "sent")
        message.error_code = failure or None
        await self._message_status(message, "undelivered" if failure else "delivered")

    async def _message_status(self, message: Message, status: str) -> None:
        message.status = status
        if not message.status_callback:
            return
        params = {
            "MessageSid": message.sid, "SmsSid": message.sid, "MessageStatus": status,
            "SmsStatus": status, "AccountSid": self.account_sid, "From": message.from_,
            "To": message.to, "ApiVersion": API_VERSION,
        }
        if message.error_code:
            params["ErrorCode"] = str(message.error_code)
        exchange = await self._request(
            message.status_callback, params, method=message.status_callback_method,
            timeout=self.callback_timeout,
        )
        message.webhooks.append(exchange._replace(kind="status"))

    async def _reply_when_settled(self, phone: str) -> None:
        """The resident answers each batch of texts once, after a quiet moment."""
        thread = self._threads[phone]
        try:
            while True:
                wait = thread.last_delivery + self.settle_seconds - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                if not thread.unanswered or not self.sms_url:
                    return
                answer = self.resident(phone).next_answer()
                if answer is None:
                    return
                thread.unanswered = 0
                await self._inbound(phone, answer)
        finally:
            thread.task = None

    async def _inbound(self, phone: str, body: str) -> Exchange:
        if not self.sms_url:
            raise RuntimeError("set TwilioEmulator.sms_url (the application's inbound SMS webhook)")
        ours = self._last_from.get(phone, self.our_number)
        message = Message(
            sid=_sid("SM"), to=ours, from_=phone, body=body, direction="inbound", status="received"
        )
        self.messages[message.sid] = message
        params = {
            "MessageSid": message.sid, "SmsSid": message.sid, "SmsMessageSid": message.sid,
            "AccountSid": self.account_sid, "From": phone, "To": ours, "Body": body,
            "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": API_VERSION,
        }
        params.update(self._opt_out(phone, ours, body))
        exchange = (await self._request(self.sms_url, params))._replace(kind="sms")
        message.webhooks.append(exchange)
        if exchange.status is not None and 200 <= exchange.status < 300:
            await self._reply_messages(phone, ours, exchange.text)
        return exchange

    def _opt_out(self, phone: str, ours: str, body: str) -> dict:
        """Twilio's own keywords: it changes the subscription, confirms, and still forwards."""
        word = body.strip().upper()
        if word in STOP_WORDS:
            self.unsubscribed.add(phone)
            self.texts[phone].append(STOP_CONFIRMATION)
            return {"OptOutType": "STOP"}
        if word in START_WORDS and (word != "YES" or phone in self.unsubscribed):
            self.unsubscribed.discard(phone)
            self.texts[phone].append(START_CONFIRMATION)
            return {"OptOutType": "START"}
        return {}

    async def _reply_messages(self, phone: str, ours: str, twiml: str) -> None:
        """Each TwiML <Message> becomes a text to the resident (dropped when unsubscribed)."""
        try:
            root = ET.fromstring(twiml) if twiml.strip() else ET.Element("Response")
        except ET.ParseError:
            return  # Twilio logs 12100 and sends nothing
        for verb in root.iter("Message"):
            body_element = verb.find("Body")
            body = _text_of(body_element if body_element is not None else verb)
            to = verb.get("to", phone)
            message = Message(
                sid=_sid("SM"), to=to, from_=verb.get("from", ours), body=body,
                direction="outbound-reply", status_callback=verb.get("action"),
                status_callback_method=verb.get("method", "POST"),
            )
            self.messages[message.sid] = message
            if to in self.unsubscribed:
                message.status, message.error_code = "failed", 21610
                continue
            await self._deliver(message)

    # --- plumbing -----------------------------------------------------------------------------

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.crashes.append(task.exception())

    async def _request(
        self, url: str, params: dict, *, method: str = "POST", signature: str | None = None,
        timeout: float | None = None, connect: float | None = None,
    ) -> Exchange:
        """One signed webhook; never raises for the application's failures. `timeout` is the
        read timeout (the whole request's, without `connect`)."""
        method = method.upper()
        target, body = url, params
        if method == "GET":  # the parameters go in the query string, which is what gets signed
            target, body = url + ("&" if "?" in url else "?") + urlencode(params), None
        if signature is None:
            signature = self.validator.compute_signature(target, body or {})
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        seconds = self.webhook_timeout if timeout is None else timeout
        timeout = (aiohttp.ClientTimeout(total=seconds) if connect is None else
                   aiohttp.ClientTimeout(total=connect + seconds, sock_connect=connect, sock_read=seconds))
        # Twilio requests the URL exactly as given (it signs that string); aiohttp would
        # otherwise normalise it, e.g. turn %3A back into ":".
        exact = yarl.URL(target, encoded=True)
        request = self._session.request(method, exact, data=body, headers=headers, timeout=timeout)
        try:
            async with request as response:
                return Exchange(url, params, response.status, await response.text())
        except aiohttp.ServerTimeoutError as error:
            failed_on = "ct" if str(error).startswith("Connection timeout") else "rt"
            return Exchange(url, params, None, "", error=f"{type(error).__name__}: {error}", failed_on=failed_on)
        except asyncio.TimeoutError:
            return Exchange(url, params, None, "", error=f"no response within {seconds}s", failed_on="rt")
        except aiohttp.ClientConnectorError as error:  # refused, unreachable: nothing was sent
            return Exchange(url, params, None, "", error=f"{type(error).__name__}: {error}", failed_on="ct")
        except aiohttp.ClientError as error:  # sent, then the connection dropped
            return Exchange(url, params, None, "", error=f"{type(error).__name__}: {error}", failed_on="dropped")
