"""The Twilio carrier: places calls and sends texts with Twilio's REST API (twilio 8.2, async).

Twilio's webhooks (answers, status callbacks, replies) go to the Rasa server's `voice` and
`sms` channels, which queue statuses in `carrier_events` for the dispatchers. What this
carrier learns itself (a refused request, error 21610) it reports through `on_status`.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Optional
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from campaigns.carriers.base import Carrier, CarrierError, CallStatus, Contact, StatusEvent, StatusHandler
from campaigns.settings import Settings, get_settings
from campaigns.store import mask_phone

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
UNSUBSCRIBED = 21610  # Twilio: the recipient texted STOP; nothing may be sent to them
CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
REQUIRED = {"twilio_account_sid": "TWILIO_ACCOUNT_SID", "twilio_auth_token": "TWILIO_AUTH_TOKEN",
            "public_url": "SCREENING_PUBLIC_URL"}


class TwilioConfigError(CarrierError):
    """A setting the Twilio carrier needs is missing; the message names the variables."""


def missing_settings(settings: Settings) -> list[str]:
    """The environment variables still to set before going live."""
    return [env for name, env in REQUIRED.items() if not getattr(settings, name)]


class ApiBaseClient(AsyncTwilioHttpClient):
    """Twilio's async HTTP client, sent to another base URL when one is configured (a local
    emulator in tests); requests to api.twilio.com are otherwise unchanged."""

    def __init__(self, api_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.api_url = api_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any):
        if self.api_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.api_url + url[len(TWILIO_API):]
        return await super().request(method, url, *args, **kwargs)


class TwilioCarrier(Carrier):
    name = "twilio"
    outlives_dispatcher = True  # calls run at Twilio; their statuses reach the Rasa server

    def __init__(self, on_status: StatusHandler, *, clock, settings: Optional[Settings] = None) -> None:
        super().__init__(on_status)
        self.clock = clock
        self.settings = settings or get_settings()
        missing = missing_settings(self.settings)
        if missing:
            raise TwilioConfigError("set " + ", ".join(missing) + " to use the Twilio carrier")
        self.token = self.settings.twilio_auth_token.get_secret_value()
        self.public = self.settings.public_url
        self._client: Optional[Client] = None
        self._http: Optional[aiohttp.ClientSession] = None

    def client(self) -> Client:
        """Made on first use, inside the running event loop (aiohttp needs one)."""
        if self._client is None:
            self._client = Client(self.settings.twilio_account_sid, self.token,
                                  http_client=ApiBaseClient(self.settings.twilio_api_url))
        return self._client

    # --- voice -----------------------------------------------------------------------
    async def place_call(self, contact: Contact) -> str:
        caller = self._caller(contact)
        answer = self._url("/webhooks/voice/answer", conversation=contact.conversation_id,
                           household=contact.household_id, campaign=contact.metadata.get("campaign_id"),
                           emergency=contact.metadata.get("emergency_number"), attempt=contact.attempt_id,
                           lang=contact.language, voice=contact.voice, machine_message=contact.machine_message)
        status = self._url("/webhooks/voice/status", attempt=contact.attempt_id, conversation=contact.conversation_id)
        try:
            call = await self.client().calls.create_async(
                to=contact.to, from_=caller, url=answer, method="POST", status_callback=status,
                status_callback_method="POST", status_callback_event=CALL_EVENTS,
                # Without detection a voicemail would "answer" and count as reached.
                machine_detection="Enable")
        except TwilioRestException as error:
            raise CarrierError(_refused("call", contact.to, error)) from None
        except (aiohttp.ClientError, OSError) as error:
            raise CarrierError(f"Twilio could not be reached: {type(error).__name__}") from None
        return call.sid

    # --- text ------------------------------------------------------------------------
    async def start_conversation(self, contact: Contact) -> str:
        """The bot greets through the `sms` channel; its texts are sent from here, one by one."""
        if contact.channel != "sms":
            raise CarrierError(f"the Twilio carrier cannot open a {contact.channel} conversation")
        texts = await self._opening(contact)
        status = self._url("/webhooks/sms/status", attempt=contact.attempt_id)
        refs = []
        for text in texts:
            try:
                refs.append(await self._send(to=contact.to, body=text, from_=self._caller(contact), callback=status))
            except TwilioRestException as error:
                if error.code == UNSUBSCRIBED:
                    await self.on_status(StatusEvent(contact.attempt_id, CallStatus.failed, self.clock.now(),
                                                     detail="the resident unsubscribed (Twilio error 21610)",
                                                     opted_out=True))
                    return ""
                raise CarrierError(_refused("text", contact.to, error)) from None
        return refs[0] if refs else ""

    async def _opening(self, contact: Contact) -> list[str]:
        """Ask the Rasa server to open the conversation; the bot's first texts come back."""
        body = await self._rasa("/webhooks/sms/start", {
            "conversation": contact.conversation_id, "household": contact.household_id,
            "attempt": str(contact.attempt_id), "campaign": contact.metadata.get("campaign_id") or "",
            "emergency": contact.metadata.get("emergency_number") or ""})
        return [text for text in body.get("messages", []) if text]

    async def end_conversation(self, conversation_id: str) -> None:
        await self._rasa("/webhooks/sms/end", {"conversation": conversation_id})

    async def _rasa(self, path: str, fields: dict[str, str]) -> dict:
        """POST to one of the Rasa server's SMS channel routes, signed with the auth token like
        Twilio's webhooks (the channel checks signatures on the public URL)."""
        signed = f"{self.public}{path}"
        headers = {"X-Twilio-Signature": RequestValidator(self.token).compute_signature(signed, fields)}
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            async with self._http.post(f"{self.settings.rasa_url}{path}", data=fields, headers=headers) as response:
                text = await response.text()
        except (aiohttp.ClientError, OSError) as error:
            raise CarrierError(f"the Rasa server at {self.settings.rasa_url} could not be reached: "
                               f"{type(error).__name__}") from None
        try:
            body = json.loads(text)
        except ValueError:
            body = {"error": text[:200]}
        if response.status != 200:
            raise CarrierError(f"the Rasa server refused {path}: HTTP {response.status} {body.get('error', '')}".strip())
        return body

    async def send_sms(self, *, to: str, body: str, from_: Optional[str] = None) -> str:
        try:
            return await self._send(to=to, body=body, from_=from_ or self.settings.twilio_caller_id)
        except TwilioRestException as error:
            raise CarrierError(_refused("text", to, error)) from None

    async def _send(self, *, to: str, body: str, from_: Optional[str], callback: Optional[str] = None) -> str:
        if not from_:
            raise CarrierError("no number to send from: set caller_id in the campaign or TWILIO_CALLER_ID")
        kwargs = {"status_callback": callback} if callback else {}
        message = await self.client().messages.create_async(to=to, from_=from_, body=body, **kwargs)
        return message.sid

    # --- plumbing --------------------------------------------------------------------
    def _caller(self, contact: Contact) -> str:
        caller = contact.caller_id or self.settings.twilio_caller_id
        if not caller:
            raise CarrierError("no caller id: set caller_id in the campaign or TWILIO_CALLER_ID")
        return caller

    def _url(self, path: str, **query: Any) -> str:
        query = {key: value for key, value in query.items() if value not in (None, "")}
        return f"{self.public}{path}?{urlencode(query)}"

    async def close(self) -> None:
        if self._client is not None:
            await self._client.http_client.close()
        if self._http is not None:
            await self._http.close()


def _refused(what: str, to: str, error: TwilioRestException) -> str:
    """Twilio's code and message, with the number masked: this text reaches logs and the attempt."""
    message = (error.msg or "").replace(to, mask_phone(to))
    return f"Twilio refused the {what} (error {error.code}): {message}"[:300]
