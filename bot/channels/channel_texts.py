"""The few texts a channel says itself, outside the bot's responses, in each language the bot speaks.

They are said when the bot cannot be asked: silence on a call, a failed turn, or an opt-out word
that arrives with no conversation open. A Mandarin text fits one UCS-2 SMS segment.
"""
from __future__ import annotations

from dataclasses import dataclass

from campaigns.records.vocabulary import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class ChannelTexts:
    not_heard: str  # a call's silence, before the question is asked again
    never_heard: str  # the call ends after silence re-prompted twice
    voice_fault: str  # the bot failed during a call; the call ends and is retried
    sms_fault: str  # the bot failed on a text
    opted_out: str  # an opt-out word we confirm ourselves (Twilio confirms its own: STOP ...)


TEXTS: dict[str, ChannelTexts] = {
    "en": ChannelTexts(
        not_heard="Sorry, I did not hear an answer.",
        never_heard="We could not hear you, so we will call again another time. Goodbye.",
        voice_fault="Sorry, we have a technical problem. We will call you again later. Goodbye.",
        sms_fault="Sorry, we have a technical problem. Please try again later.",
        opted_out="You will not be contacted again by the health screening. Goodbye.",
    ),
    "zh": ChannelTexts(
        not_heard="抱歉，我没有听到您的回答。",
        never_heard="我们听不到您的声音，会另找时间再给您打电话。再见。",
        voice_fault="抱歉，我们遇到了技术问题，稍后会再给您打电话。再见。",
        sms_fault="抱歉，我们遇到了技术问题，请稍后再试。",
        opted_out="健康筛查不会再联系您。再见。",
    ),
}


def texts_in(language: str | None) -> ChannelTexts:
    """The channel's texts in a conversation's language; English for a language without its own."""
    return TEXTS.get(language or DEFAULT_LANGUAGE) or TEXTS[DEFAULT_LANGUAGE]
