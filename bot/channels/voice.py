"""Outbound voice calls through Twilio: the Rasa input channel `voice`.

Unlike Rasa's `twilio_voice`, a call is known by the signed attempt reference in the webhook
URL the dispatcher gave Twilio (`ref`), never by `From`, which is our own number. Household,
campaign, language, voice and machine message are looked up from the attempt, server side.
The conversation starts when the call is answered, not when it rings. Every webhook checks
X-Twilio-Signature and answers 403 when it does not match.

Routes, under /webhooks/voice/:
- answer: Twilio fetches it when the call is answered (AnsweredBy tells a machine apart).
- gather: each answer, spoken or typed on the keypad; silence is re-prompted twice, then
  the call ends politely and what was said is kept as a partial screening. Its URL carries
  Twilio's connection overrides, so an answer that could not reach us is sent again.
- status: call progress; queued for the dispatchers, which retry per the campaign.
"""
from __future__ import annotations

import logging
from typing import Optional

from rasa.core.agent import Agent
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import twiml
from bot.channels.channel_texts import TEXTS, texts_in
from bot.channels.conversation import WAY_FORWARD, Reply, converse, hang_up, last_question
from bot.channels.edge import MAX_ANSWER_CHARS, clean_text
from bot.channels.hints import hints_for
from bot.channels.storage import StoreUnavailable, carrier_event, context_of
from bot.channels.twilio_base import Handler, TwilioChannel, query, xml
from campaigns.records.contacts import CallContext

log = logging.getLogger(__name__)

MAX_REPROMPTS = 2
# In English; a call hears them in its own language (channel_texts).
NOT_HEARD, NEVER_HEARD, TECHNICAL_FAULT = TEXTS["en"].not_heard, TEXTS["en"].never_heard, TEXTS["en"].voice_fault
MACHINES = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")
# Twilio's CallStatus -> ours (campaigns.carriers.base.CallStatus); None: nothing to record.
CALL_STATUSES = {"queued": None, "initiated": None, "ringing": "ringing", "in-progress": "in_progress",
                 "completed": "completed", "busy": "busy", "no-answer": "no_answer", "failed": "failed",
                 "canceled": "canceled"}


class VoiceInput(TwilioChannel):
    """Twilio voice webhooks for calls the campaign dispatcher places."""

    @classmethod
    def name(cls) -> str:
        return "voice"

    def routes(self) -> dict[str, Handler]:
        return {"answer": self.answer, "gather": self.gather, "status": self.status}

    def problem(self, request: Request, handler: Handler) -> Optional[str]:
        # Only a URL we did not make lacks it: the dispatcher names every call's attempt.
        if self.config.attempt_of(request) is None:
            return "the webhook URL names no attempt"
        if not (query(request).get("tries") or "0").isdigit():
            return "tries must be a whole number"
        return None

    async def _context(self, request: Request) -> Optional[CallContext]:
        return await context_of(self.config.attempt_of(request))

    # --- the call is answered ----------------------------------------------------------
    async def answer(self, request: Request, fields: dict[str, str], agent: Agent) -> HTTPResponse:
        call = await self._context(request)
        if call is None:
            return response.text("no such call", status=404)
        if fields.get("AnsweredBy") in MACHINES:
            message = call.machine_message
            await carrier_event(attempt_id=call.attempt_id, status="machine", carrier_ref=fields.get("CallSid", ""),
                                detail=f"answering machine ({fields['AnsweredBy']}): "
                                       + ("message left" if message else "hung up"))
            # The campaign wrote its message in its own language: it is said in that language's voice.
            speaker = twiml.Speaker(call.machine_language, call.machine_voice)
            return xml(twiml.hang_up([message] if message else [], speaker=speaker))
        return await self._turn(agent, call, "/greet", twiml.Speaker(call.language, call.voice))

    # --- an answer, or silence ---------------------------------------------------------
    async def gather(self, request: Request, fields: dict[str, str], agent: Agent) -> HTTPResponse:
        call = await self._context(request)
        if call is None:
            return response.text("no such call", status=404)
        args = query(request)
        speaker = twiml.Speaker(call.language, call.voice)
        said = clean_text(fields.get("SpeechResult") or "") or clean_text(fields.get("Digits") or "").rstrip("#")
        said = said[:MAX_ANSWER_CHARS]  # a recogniser's transcript of a long speech: the start is the answer
        if said:
            return await self._turn(agent, call, said, speaker, question=args.get("question"))
        tries = int(args.get("tries") or 0) + 1
        said_by_us = texts_in(call.language)
        if tries > MAX_REPROMPTS:
            await hang_up(agent, call.conversation_id)
            return xml(twiml.hang_up([said_by_us.never_heard], speaker=speaker))
        question = await last_question(agent, call.conversation_id)
        texts = [said_by_us.not_heard, question] if question else [said_by_us.not_heard]
        action = self._gather_url(call, args.get("question"), tries)
        return xml(twiml.ask(texts, action=action, speaker=speaker,
                             hints=hints_for(args.get("question"), call.language)))

    async def _turn(self, agent: Agent, call: CallContext, text: str, speaker: twiml.Speaker,
                    question: Optional[str] = None) -> HTTPResponse:
        try:
            reply = await converse(agent, channel="voice", conversation_id=call.conversation_id, text=text,
                                   metadata={"attempt_id": call.attempt_id})
        except StoreUnavailable:  # a 503: Twilio treats the webhook as failed
            raise
        except Exception:  # the resident hears an apology; the call ends with nothing recorded and is retried
            log.exception("voice conversation %s: the bot failed", call.conversation_id)
            return xml(twiml.hang_up([texts_in(call.language).voice_fault], speaker=speaker))
        return xml(self._say(reply, call, speaker, question))

    def _say(self, reply: Reply, call: CallContext, speaker: twiml.Speaker, question: Optional[str] = None) -> str:
        """The reply, then listening for the next answer; or hanging up once the bot has closed."""
        jammed = WAY_FORWARD in reply.responses  # it asks for the answer again: `question` is still open
        if reply.asked_with is None and not jammed:
            return twiml.hang_up(reply.texts, speaker=speaker)
        asked = reply.asked_with or question
        action = self._gather_url(call, asked, 0)
        return twiml.ask(reply.texts, action=action, speaker=speaker, hints=hints_for(asked, call.language))

    def _gather_url(self, call: CallContext, question: Optional[str], tries: int) -> str:
        return self.config.retried_url("/webhooks/voice/gather", ref=self.config.ref(call.attempt_id),
                                       question=question, tries=tries or None)

    # --- call progress -----------------------------------------------------------------
    async def status(self, request: Request, fields: dict[str, str], agent: Agent) -> HTTPResponse:
        attempt_id = self.config.attempt_of(request)
        twilio_status = fields.get("CallStatus", "")
        if twilio_status not in CALL_STATUSES:
            return response.text(f"unknown CallStatus {twilio_status!r}", status=400)
        status = CALL_STATUSES[twilio_status]
        if status == "completed" and fields.get("AnsweredBy") in MACHINES:
            status = "machine"
        elif status == "completed":
            # Keep what was said before the line went dead, before the dispatcher sees the end.
            call = await context_of(attempt_id)
            if call is not None:
                await hang_up(agent, call.conversation_id)
        if status is not None:
            detail = f"Twilio: {twilio_status}" + (f" (error {fields['ErrorCode']})" if fields.get("ErrorCode") else "")
            await carrier_event(attempt_id=attempt_id, status=status,
                                carrier_ref=fields.get("CallSid", ""), detail=detail)
        return response.empty()
