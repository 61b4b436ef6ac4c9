"""Text-message conversations through Twilio: the Rasa input channel `sms`.

A campaign's text conversation is opened by the dispatcher through the bot interface (the
`outreach` channel); the carrier sends the bot's first texts, paced by the campaign.

Routes, under /webhooks/sms/:
- inbound: a resident's message ("A message comes in" on the Twilio number). It joins the
  conversation a campaign has open with that number, or starts a self-report. The bot's
  replies go back as TwiML <Message>s. Twilio's reserved words are honoured: STOP and the
  like opt the household out, START opts it back in.
- status: delivery reports of messages we sent (their URL carries the signed attempt
  reference); a failed first message fails the attempt, and error 21610 (the recipient
  unsubscribed) opts the household out.
"""
from __future__ import annotations

import logging
from typing import Optional

from rasa.core.agent import Agent
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlmodel import Session

from bot.channels import twiml
from bot.channels.chat import TOO_LONG
from bot.channels.conversation import converse, last_question
from bot.channels.edge import RateLimiter, clean_text, too_long
from bot.channels.storage import carrier_event, in_database
from bot.channels.twilio_base import Handler, TwilioChannel, xml
from campaigns.records.households import find_household_by_phone, record_opt_in, record_opt_out
from campaigns.phones import mask_phone, normalize_phone
from campaigns.records.attempts import open_text_attempt
from campaigns.settings import get_settings

log = logging.getLogger(__name__)

# Twilio's default opt-out and opt-in keywords; Twilio itself confirms them to the resident.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})  # and YES, from a resident who opted out
UNSUBSCRIBED = "21610"
TECHNICAL_FAULT = "Sorry, we have a technical problem. Please try again later."


class SmsInput(TwilioChannel):
    """Twilio SMS webhooks: residents' texts and delivery reports."""

    @classmethod
    def name(cls) -> str:
        return "sms"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.senders = RateLimiter(per_minute=20, burst=10)  # a resident writes a few texts a minute

    def routes(self) -> dict[str, Handler]:
        return {"inbound": self.inbound, "status": self.status}

    async def inbound(self, request: Request, fields: dict[str, str], agent: Agent) -> HTTPResponse:
        phone = normalize_phone(fields.get("From", ""), region=get_settings().default_region)
        body = clean_text(fields.get("Body") or "")
        if phone is None:
            log.warning("inbound SMS from an unreadable number refused")
            return response.text("unreadable From number", status=400)
        if not self.senders.allow(phone):  # Twilio retries nothing on 429: the flood is simply dropped
            log.warning("SMS from %s over the rate limit; not answered", mask_phone(phone))
            return response.text("too many messages", status=429)
        keyword = body.upper()
        if keyword in OPT_OUT_WORDS:
            return await self._opt_out(agent, phone, body)
        if keyword in OPT_IN_WORDS or keyword == "YES" and await in_database(lambda s: _opted_out(s, phone)):
            changed = await in_database(lambda s: _opt_in(s, phone))
            log.info("SMS opt-in from %s%s", mask_phone(phone), "" if changed else " (was not opted out)")
            return xml(twiml.messages([]))
        conversation = await in_database(lambda s: _open_conversation(s, phone))
        # A walk-in's number is proved by Twilio's signature on this request: the bot may use it.
        sender, metadata = (conversation["id"], conversation["metadata"]) if conversation else (phone, {"phone": phone})
        if too_long(body):
            question = await last_question(agent, sender)
            return xml(twiml.messages([TOO_LONG] + ([question] if question else [])))
        try:
            reply = await converse(agent, channel="sms", conversation_id=sender, text=body or "?",
                                   metadata=metadata)
        except Exception:
            log.exception("sms conversation with %s: the bot failed", mask_phone(phone))
            return xml(twiml.messages([TECHNICAL_FAULT]))
        if conversation:
            await self._progress(conversation, ended=reply.asked_with is None)
        return xml(twiml.messages(reply.texts))

    async def _opt_out(self, agent: Agent, phone: str, said: str) -> HTTPResponse:
        """Twilio has stopped our messages to this number and told the resident; we record it.
        Answers given so far are kept (the bot's opt-out action does that)."""
        conversation = await in_database(lambda s: _open_conversation(s, phone))
        if conversation:
            await converse(agent, channel="sms", conversation_id=conversation["id"], text="/opt_out",
                           metadata=conversation["metadata"])
            await self._progress(conversation, ended=True)
        else:
            await in_database(lambda s: _record_opt_out(s, phone, said))
        log.info("SMS opt-out from %s", mask_phone(phone))
        return xml(twiml.messages([]))  # a reply would be refused by Twilio (error 21610)

    async def _progress(self, conversation: dict, *, ended: bool) -> None:
        ref = f"sms-a{conversation['attempt']}"  # the conversation's own progress, not one message's
        await carrier_event(attempt_id=conversation["attempt"], status="in_progress", carrier_ref=ref,
                            detail="the resident replied")
        if ended:
            await carrier_event(attempt_id=conversation["attempt"], status="completed", carrier_ref=ref,
                                detail="the conversation ended")

    async def status(self, request: Request, fields: dict[str, str], agent: Agent) -> HTTPResponse:
        state, code = fields.get("MessageStatus", ""), fields.get("ErrorCode") or ""
        if state in ("failed", "undelivered"):
            await carrier_event(attempt_id=self.config.attempt_of(request), status="failed",
                                carrier_ref=fields.get("MessageSid", ""), opted_out=code == UNSUBSCRIBED,
                                detail=f"Twilio: message {state}" + (f" (error {code})" if code else ""))
        return response.empty()


def _open_conversation(session: Session, phone: str) -> Optional[dict]:
    found = open_text_attempt(session, phone=phone)
    if found is None:
        return None
    attempt, _ = found
    return {"id": attempt.conversation_id, "attempt": attempt.id, "metadata": {"attempt_id": attempt.id}}


def _opted_out(session: Session, phone: str) -> bool:
    household = find_household_by_phone(session, phone=phone)
    return bool(household and household.opted_out_at)


def _opt_in(session: Session, phone: str) -> bool:
    household = find_household_by_phone(session, phone=phone)
    return bool(household) and record_opt_in(session, household=household)


def _record_opt_out(session: Session, phone: str, said: str) -> None:
    household = find_household_by_phone(session, phone=phone)
    if household is not None and household.opted_out_at is None:
        record_opt_out(session, household=household, channel="sms", conversation_id=phone, said=said)

