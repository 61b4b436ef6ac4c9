"""Text-message conversations through Twilio: the Rasa input channel `sms`.

A campaign's text conversation is opened by the dispatcher through the bot interface (the
`outreach` channel); the carrier sends the bot's first texts, paced by the campaign.

Routes, under /webhooks/sms/:
- inbound: a resident's message ("A message comes in" on the Twilio number). It joins the
  conversation a campaign has open with that number, or starts a self-report. The bot's
  replies go back as TwiML <Message>s. Twilio's reserved words are honoured: STOP and the
  like opt the household out (Twilio confirms them), START opts it back in. The opt-out words
  of Chinese carriers, 退订 and TD, which Twilio passes on as ordinary texts, opt out too, and we
  confirm them ourselves, in the household's language.
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
from sqlmodel import Session, select

from bot.channels import twiml
from bot.channels.channel_texts import TEXTS, texts_in
from bot.channels.chat import TOO_LONG
from bot.channels.conversation import converse, last_question
from bot.channels.edge import RateLimiter, clean_text, too_long
from bot.channels.storage import StoreUnavailable, carrier_event, context_of, in_database
from bot.channels.twilio_base import Handler, TwilioChannel, xml
from campaigns.records.households import find_household_by_phone, record_opt_in, record_opt_out
from campaigns.phones import mask_phone, normalize_phone
from campaigns.records.attempts import open_text_attempt
from campaigns.records.models import OptOut
from campaigns.records.vocabulary import language_of
from campaigns.settings import get_settings

log = logging.getLogger(__name__)

# Twilio's default opt-out and opt-in keywords; Twilio itself confirms them to the resident,
# blocks our later texts to the number (error 21610), and still passes the text on to us.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})  # and YES, from a resident who opted out
# Opt-out words Twilio does not reserve, so nobody else confirms them: the word -> the language a
# confirmation is in when neither a conversation nor the household names one. TD ("退订") is what
# Chinese carriers ask for at the end of a text.
OUR_OPT_OUT_WORDS = {"退订": "zh", "TD": "zh"}
_TRAILING = " .!。！"  # "退订。" is still the word; Twilio's own words must be exact
_COMMAS = ",，、"
_THANKS = ("谢谢你", "谢谢您", "谢谢", "多谢")  # longest first
UNSUBSCRIBED = "21610"
OPT_OUT_INTENT = "/opt_out"  # sent to the bot for an opt-out word, whatever its model makes of the word
TECHNICAL_FAULT = TEXTS["en"].sms_fault  # in English; a conversation gets its own language's


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
        word_language = our_opt_out(body)
        if word_language:
            return await self._opt_out(agent, phone, body, confirm_in=word_language)
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
        except StoreUnavailable:  # a 503, as for any store failure on this route: nothing to text back
            raise
        except Exception:
            log.exception("sms conversation with %s: the bot failed", mask_phone(phone))
            call = await context_of(conversation["attempt"]) if conversation else None
            return xml(twiml.messages([texts_in(call.language if call else None).sms_fault]))
        if conversation:
            await self._progress(conversation, ended=reply.asked_with is None)
        return xml(twiml.messages(reply.texts))

    async def _opt_out(self, agent: Agent, phone: str, said: str, confirm_in: Optional[str] = None) -> HTTPResponse:
        """Record an opt-out; answers given so far are kept (the bot's opt-out action does that).

        For Twilio's words (`confirm_in` None), Twilio has stopped our messages to this number and
        told the resident, so we answer nothing: a reply would be refused (error 21610). For ours,
        the confirmation is ours to send: the bot's, in the conversation's language, or with no
        conversation open, the channel's in the household's language, else in `confirm_in`."""
        conversation = await in_database(lambda s: _open_conversation(s, phone))
        if conversation:
            reply = await converse(agent, channel="sms", conversation_id=conversation["id"], text=OPT_OUT_INTENT,
                                   metadata=conversation["metadata"])
            await in_database(lambda s: _keep_words(s, conversation["id"], said))
            await self._progress(conversation, ended=True)
            texts = reply.texts
        else:
            language = await in_database(lambda s: _record_opt_out(s, phone, said))
            texts = [texts_in(language or confirm_in).opted_out]
        log.info("SMS opt-out from %s", mask_phone(phone))
        return xml(twiml.messages(texts if confirm_in else []))

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


def our_opt_out(body: str) -> Optional[str]:
    """The language of an opt-out word Twilio leaves to us ("退订", "TD", "td", "退订。"), else None.
    A thanks after it ("退订，谢谢") is still the word; anything else around it is left to the bot."""
    word = body.strip().rstrip(_TRAILING)
    for thanks in _THANKS:
        if word.endswith(thanks):
            word = word[: -len(thanks)].rstrip(_TRAILING + _COMMAS)
            break
    return OUR_OPT_OUT_WORDS.get(word.upper())


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


def _keep_words(session: Session, conversation_id: str, said: str) -> None:
    """The opt-out the bot just recorded keeps what the resident wrote, not the intent we sent for it."""
    opt_out = session.exec(select(OptOut).where(OptOut.conversation_id == conversation_id)
                           .order_by(OptOut.id.desc())).first()
    if opt_out is not None and opt_out.said == OPT_OUT_INTENT:
        opt_out.said = said[:200]
        session.add(opt_out)


def _record_opt_out(session: Session, phone: str, said: str) -> Optional[str]:
    """Opt the household with this number out; its own language, if it has one."""
    household = find_household_by_phone(session, phone=phone)
    if household is not None and household.opted_out_at is None:
        record_opt_out(session, household=household, channel="sms", conversation_id=phone, said=said)
    return language_of(household.language) if household is not None else None

