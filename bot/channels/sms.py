"""Text-message conversations through Twilio: the Rasa input channel `sms`.

Routes, under /webhooks/sms/:
- start: the campaign dispatcher opens a conversation (signed like Twilio's webhooks, with
  the same auth token). The bot greets; the texts come back as JSON and the dispatcher
  sends them, so the first message is the campaign's, paced by the campaign.
- inbound: a resident's message ("A message comes in" on the Twilio number). It joins the
  conversation a campaign has open with that number, or starts a self-report. The bot's
  replies go back as TwiML <Message>s. Twilio's reserved words are honoured: STOP and the
  like opt the household out, START opts it back in.
- status: delivery reports of messages we sent; a failed first message fails the attempt,
  and error 21610 (the recipient unsubscribed) opts the household out.
- end: the dispatcher closes a conversation the resident left; what was answered is kept.
"""
from __future__ import annotations

import logging
from typing import Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlmodel import Session

from bot.channels import twiml
from bot.channels.webhooks import (Handler, MessageHandler, TwilioChannel, carrier_event, converse, hang_up,
                                   in_database, query, xml)
from campaigns import store
from campaigns.settings import get_settings

log = logging.getLogger(__name__)

# Twilio's default opt-out and opt-in keywords; Twilio itself confirms them to the resident.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})  # and YES, from a resident who opted out
UNSUBSCRIBED = "21610"
TECHNICAL_FAULT = "Sorry, we have a technical problem. Please try again later."


class SmsInput(TwilioChannel):
    """Twilio SMS webhooks, and the start and end of campaign text conversations."""

    @classmethod
    def name(cls) -> str:
        return "sms"

    def routes(self) -> dict[str, Handler]:
        return {"start": self.start, "inbound": self.inbound, "status": self.status, "end": self.end}

    async def start(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        missing = [name for name in ("conversation", "household", "attempt") if not fields.get(name)]
        if missing:
            return response.json({"error": f"missing field(s): {', '.join(missing)}"}, status=400)
        metadata = {"household_id": fields["household"], "campaign_id": fields.get("campaign"),
                    "emergency_number": fields.get("emergency")}
        try:
            reply = await converse(on_new_message, channel="sms", conversation_id=fields["conversation"],
                                   text="/greet", metadata=metadata)
        except Exception:
            log.exception("sms conversation %s: the bot failed to start", fields["conversation"])
            return response.json({"error": "the bot failed to start the conversation"}, status=502)
        return response.json({"messages": reply.texts, "question": reply.question})

    async def end(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        """The dispatcher closes a conversation the resident stopped answering; answers are kept."""
        if not fields.get("conversation"):
            return response.json({"error": "missing field(s): conversation"}, status=400)
        return response.json({"closed": await hang_up(request, fields["conversation"])})

    async def inbound(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        phone = store.normalize_phone(fields.get("From", ""), region=get_settings().default_region)
        body = (fields.get("Body") or "").strip()
        if phone is None:
            log.warning("inbound SMS from an unreadable number refused")
            return response.text("unreadable From number", status=400)
        keyword = body.upper()
        if keyword in OPT_OUT_WORDS:
            return await self._opt_out(on_new_message, phone, body)
        if keyword in OPT_IN_WORDS or keyword == "YES" and await in_database(lambda s: _opted_out(s, phone)):
            changed = await in_database(lambda s: _opt_in(s, phone))
            log.info("SMS opt-in from %s%s", store.mask_phone(phone), "" if changed else " (was not opted out)")
            return xml(twiml.messages([]))
        conversation = await in_database(lambda s: _open_conversation(s, phone))
        sender, metadata = (conversation["id"], conversation["metadata"]) if conversation else (phone, {})
        try:
            reply = await converse(on_new_message, channel="sms", conversation_id=sender, text=body or "?",
                                   metadata=metadata)
        except Exception:
            log.exception("sms conversation with %s: the bot failed", store.mask_phone(phone))
            return xml(twiml.messages([TECHNICAL_FAULT]))
        if conversation:
            await self._progress(conversation, ended=reply.question is None)
        return xml(twiml.messages(reply.texts))

    async def _opt_out(self, on_new_message: MessageHandler, phone: str, said: str) -> HTTPResponse:
        """Twilio has stopped our messages to this number and told the resident; we record it.
        Answers given so far are kept (the bot's opt-out action does that)."""
        conversation = await in_database(lambda s: _open_conversation(s, phone))
        if conversation:
            await converse(on_new_message, channel="sms", conversation_id=conversation["id"], text="/opt_out",
                           metadata=conversation["metadata"])
            await self._progress(conversation, ended=True)
        else:
            await in_database(lambda s: _record_opt_out(s, phone, said))
        log.info("SMS opt-out from %s", store.mask_phone(phone))
        return xml(twiml.messages([]))  # a reply would be refused by Twilio (error 21610)

    async def _progress(self, conversation: dict, *, ended: bool) -> None:
        ref = f"sms-a{conversation['attempt']}"  # the conversation's own progress, not one message's
        await carrier_event(attempt_id=str(conversation["attempt"]), status="in_progress", carrier_ref=ref,
                            detail="the resident replied")
        if ended:
            await carrier_event(attempt_id=str(conversation["attempt"]), status="completed", carrier_ref=ref,
                                detail="the conversation ended")

    async def status(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        state, code = fields.get("MessageStatus", ""), fields.get("ErrorCode") or ""
        if state in ("failed", "undelivered"):
            await carrier_event(attempt_id=query(request).get("attempt"), status="failed",
                                carrier_ref=fields.get("MessageSid", ""), opted_out=code == UNSUBSCRIBED,
                                detail=f"Twilio: message {state}" + (f" (error {code})" if code else ""))
        return response.empty()


def _open_conversation(session: Session, phone: str) -> Optional[dict]:
    found = store.open_text_attempt(session, phone=phone)
    if found is None:
        return None
    attempt, household = found
    rules = store.screening_rules(session, campaign_id=attempt.campaign_id) or {}
    return {"id": attempt.conversation_id, "attempt": attempt.id,
            "metadata": {"household_id": household.id, "campaign_id": attempt.campaign_id,
                         "emergency_number": rules.get("emergency_number")}}


def _opted_out(session: Session, phone: str) -> bool:
    household = store.find_household_by_phone(session, phone=phone)
    return bool(household and household.opted_out_at)


def _opt_in(session: Session, phone: str) -> bool:
    household = store.find_household_by_phone(session, phone=phone)
    return bool(household) and store.record_opt_in(session, household=household)


def _record_opt_out(session: Session, phone: str, said: str) -> None:
    household = store.find_household_by_phone(session, phone=phone)
    if household is not None and household.opted_out_at is None:
        store.record_opt_out(session, household=household, channel="sms", conversation_id=phone, said=said)

