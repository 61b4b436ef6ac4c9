"""The Twilio carrier: places calls, sends texts and texts chat links with Twilio's REST API (twilio 8.2, async).

Twilio's webhooks (answers, status callbacks, replies) go to the Rasa server's `voice` and
`sms` channels, which queue statuses in `carrier_events` for the dispatchers. Every webhook
URL carries only the attempt's signed reference. A text conversation is opened through the
bot interface (over HTTP, the Rasa server's `outreach` channel) and its first texts are sent
from here. What this carrier learns itself (a refused request, error 21610) it reports
through `on_status`.
"""
from __future__ import annotations

import logging
from typing import Any, Optional
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from campaigns.carriers.base import BotClient, Carrier, CarrierError, CallStatus, Contact, StatusEvent, StatusHandler
from campaigns.carriers.bot_http import HttpBot
from campaigns.records.contacts import sign_attempt
from campaigns.settings import Settings, get_settings
from campaigns.phones import mask_phone

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
UNSUBSCRIBED = 21610  # Twilio: the recipient texted STOP; nothing may be sent to them
CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
REQUIRED = {"twilio_account_sid": "TWILIO_ACCOUNT_SID", "twilio_auth_token": "TWILIO_AUTH_TOKEN",
            "public_url": "SCREENING_PUBLIC_URL", "bot_token": "SCREENING_BOT_TOKEN"}


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

    def __init__(self, on_status: StatusHandler, *, clock, settings: Optional[Settings] = None,
                 bot: Optional[BotClient] = None) -> None:
        super().__init__(on_status)
        self.clock = clock
        self.settings = settings or get_settings()
        missing = missing_settings(self.settings)
        if missing:
            raise TwilioConfigError("set " + ", ".join(missing) + " to use the Twilio carrier")
        self.token = self.settings.twilio_auth_token.get_secret_value()
        self.public = self.public_url = self.settings.public_url
        self._client: Optional[Client] = None
        self.bot = bot or HttpBot(self.settings.rasa_url, self.settings.bot_token.get_secret_value())

    def client(self) -> Client:
        """Made on first use, inside the running event loop (aiohttp needs one)."""
        if self._client is None:
            self._client = Client(self.settings.twilio_account_sid, self.token,
                                  http_client=ApiBaseClient(self.settings.twilio_api_url))
        return self._client

    # --- voice -----------------------------------------------------------------------
    async def place_call(self, contact: Contact) -> str:
        caller = self._caller(contact)
        answer = self._url("/webhooks/voice/answer", contact)
        status = self._url("/webhooks/voice/status", contact)
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
        return await self._text(contact, (await self.bot.open(contact, channel="sms")).texts)

    async def send_link(self, contact: Contact) -> str:
        """The chat link goes as one SMS; its delivery reports come to the `sms` channel like any
        text of the attempt's, and the conversation runs on the page it opens."""
        if not contact.text:
            raise CarrierError("no chat link to send")
        return await self._text(contact, [contact.text])

    async def _text(self, contact: Contact, texts: list[str]) -> str:
        """Send an attempt's texts with its delivery callback; the first one's reference."""
        status = self._url("/webhooks/sms/status", contact)
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
            except (aiohttp.ClientError, OSError) as error:
                raise CarrierError(f"Twilio could not be reached: {type(error).__name__}") from None
        return refs[0] if refs else ""

    async def end_conversation(self, attempt_id: int, conversation_id: str) -> None:
        await self.bot.close(attempt_id, conversation_id)

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

    def _url(self, path: str, contact: Contact) -> str:
        """One of our webhooks, naming the attempt by its signed reference and nothing else."""
        return f"{self.public}{path}?{urlencode({'ref': sign_attempt(contact.attempt_id, key=self.token)})}"

    async def close(self) -> None:
        if self._client is not None:
            await self._client.http_client.close()
        if isinstance(self.bot, HttpBot):
            await self.bot.close_session()


def _refused(what: str, to: str, error: TwilioRestException) -> str:
    """Twilio's code and message, with the number masked: this text reaches logs and the attempt."""
    message = (error.msg or "").replace(to, mask_phone(to))
    return f"Twilio refused the {what} (error {error.code}): {message}"[:300]
