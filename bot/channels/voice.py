"""Outbound voice calls through Twilio: the Rasa input channel `voice`.

Unlike Rasa's `twilio_voice`, the conversation id comes from the campaign (the household
and the attempt, in the webhook URL the dispatcher gave Twilio), never from `From`, which
is our own number; the conversation starts when the call is answered, not when it rings.
Every webhook checks X-Twilio-Signature and answers 403 when it does not match.

Routes, under /webhooks/voice/:
- answer: Twilio fetches it when the call is answered (AnsweredBy tells a machine apart).
- gather: each answer, spoken or typed on the keypad; silence is re-prompted twice, then
  the call ends politely and what was said is kept as a partial screening.
- status: call progress; queued for the dispatchers, which retry per the campaign.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import twiml
from bot.channels.hints import hints_for
from bot.channels.webhooks import (Handler, MessageHandler, Reply, TwilioChannel, carrier_event, converse, hang_up,
                                   is_question, query, xml)

log = logging.getLogger(__name__)

MAX_REPROMPTS = 2
NOT_HEARD = "Sorry, I did not hear an answer."
NEVER_HEARD = "We could not hear you, so we will call again another time. Goodbye."
TECHNICAL_FAULT = "Sorry, we have a technical problem. We will call you again later. Goodbye."
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
        if handler != self.status and not query(request).get("conversation"):
            # Only a URL we did not make lacks it: the dispatcher names every call's conversation.
            return "the webhook URL names no conversation"
        return None

    # --- the call is answered ----------------------------------------------------------
    async def answer(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        args = query(request)
        speaker = twiml.Speaker(args.get("lang") or "en", args.get("voice"))
        if fields.get("AnsweredBy") in MACHINES:
            message = args.get("machine_message")
            await carrier_event(attempt_id=args.get("attempt"), status="machine", carrier_ref=fields.get("CallSid", ""),
                                detail=f"answering machine ({fields['AnsweredBy']}): "
                                       + ("message left" if message else "hung up"))
            return xml(twiml.hang_up([message] if message else [], speaker=speaker))
        metadata = {"household_id": args.get("household"), "campaign_id": args.get("campaign"),
                    "emergency_number": args.get("emergency")}
        return await self._turn(on_new_message, args["conversation"], "/greet", speaker, metadata=metadata)

    # --- an answer, or silence ---------------------------------------------------------
    async def gather(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        args = query(request)
        speaker = twiml.Speaker(args.get("lang") or "en", args.get("voice"))
        said = (fields.get("SpeechResult") or "").strip() or (fields.get("Digits") or "").strip().rstrip("#")
        if said:
            return await self._turn(on_new_message, args["conversation"], said, speaker)
        tries = int(args.get("tries") or 0) + 1
        if tries > MAX_REPROMPTS:
            await hang_up(request, args["conversation"])
            return xml(twiml.hang_up([NEVER_HEARD], speaker=speaker))
        question = await _last_question(request, args["conversation"])
        texts = [NOT_HEARD, question] if question else [NOT_HEARD]
        action = self._gather_url(args["conversation"], speaker, args.get("question"), tries)
        return xml(twiml.ask(texts, action=action, speaker=speaker, hints=hints_for(args.get("question"))))

    async def _turn(self, on_new_message: MessageHandler, conversation: str, text: str, speaker: twiml.Speaker,
                    metadata: Optional[dict[str, Any]] = None) -> HTTPResponse:
        try:
            reply = await converse(on_new_message, channel="voice", conversation_id=conversation, text=text,
                                   metadata=metadata)
        except Exception:  # the resident hears an apology; the call ends with nothing recorded and is retried
            log.exception("voice conversation %s: the bot failed", conversation)
            return xml(twiml.hang_up([TECHNICAL_FAULT], speaker=speaker))
        return xml(self._say(reply, conversation, speaker))

    def _say(self, reply: Reply, conversation: str, speaker: twiml.Speaker) -> str:
        if reply.question is None:  # the bot has closed the conversation
            return twiml.hang_up(reply.texts, speaker=speaker)
        action = self._gather_url(conversation, speaker, reply.question, 0)
        return twiml.ask(reply.texts, action=action, speaker=speaker, hints=hints_for(reply.question))

    def _gather_url(self, conversation: str, speaker: twiml.Speaker, question: Optional[str], tries: int) -> str:
        return self.config.url("/webhooks/voice/gather", conversation=conversation, lang=speaker.language,
                               voice=speaker.voice, question=question, tries=tries or None)

    # --- call progress -----------------------------------------------------------------
    async def status(self, request: Request, fields: dict[str, str], on_new_message: MessageHandler) -> HTTPResponse:
        args = query(request)
        twilio_status = fields.get("CallStatus", "")
        if twilio_status not in CALL_STATUSES:
            return response.text(f"unknown CallStatus {twilio_status!r}", status=400)
        status = CALL_STATUSES[twilio_status]
        if status == "completed" and fields.get("AnsweredBy") in MACHINES:
            status = "machine"
        elif status == "completed" and args.get("conversation"):
            # Keep what was said before the line went dead, before the dispatcher sees the end.
            await hang_up(request, args["conversation"])
        if status is not None:
            detail = f"Twilio: {twilio_status}" + (f" (error {fields['ErrorCode']})" if fields.get("ErrorCode") else "")
            await carrier_event(attempt_id=args.get("attempt"), status=status,
                                carrier_ref=fields.get("CallSid", ""), detail=detail)
        return response.empty()


async def _last_question(request: Request, conversation: str) -> Optional[str]:
    """The question the bot asked last, to repeat it after silence."""
    agent = getattr(request.app.ctx, "agent", None)
    tracker = await agent.tracker_store.retrieve(conversation) if agent else None
    for event in reversed(tracker.events if tracker else []):
        if getattr(event, "text", None) and is_question((getattr(event, "metadata", None) or {}).get("utter_action")):
            return event.text
    return None
