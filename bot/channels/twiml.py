"""TwiML for the voice and SMS channels: pure functions from the bot's replies to the XML
Twilio runs. Tests compare their output exactly."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

# Twilio wants a locale for speech recognition; a campaign gives a bare language code.
_LOCALES = {"en": "en-US", "es": "es-ES", "fr": "fr-FR", "de": "de-DE", "pt": "pt-BR", "it": "it-IT",
            "zh": "cmn-CN", "ja": "ja-JP", "ko": "ko-KR", "ru": "ru-RU", "ar": "ar-EG", "hi": "hi-IN"}
# Twilio's Mandarin recogniser is named apart from its text-to-speech locale.
_GATHER_LOCALES = {"zh": "cmn-Hans-CN"}
# A voice that speaks the language when the campaign names none for it (Twilio's default is English).
DEFAULT_VOICES = {"zh": "Polly.Zhiyu"}
GATHER_TIMEOUT = 6  # seconds of silence before Twilio gives up waiting for an answer


@dataclass(frozen=True)
class Speaker:
    """How the call sounds: the campaign's language and Twilio voice (None: Twilio's default)."""

    language: str = "en"
    voice: Optional[str] = None

    @property
    def locale(self) -> str:
        return locale(self.language)

    @property
    def gather_locale(self) -> str:
        return _GATHER_LOCALES.get(self.language.lower(), self.locale)

    @property
    def voice_name(self) -> Optional[str]:
        return self.voice or DEFAULT_VOICES.get(self.language.lower())


def locale(language: str) -> str:
    """A Twilio locale for a language code: "en" -> "en-US"; a full locale is kept."""
    language = language.replace("_", "-")
    if "-" in language:
        return language
    return _LOCALES.get(language.lower(), "en-US")


def ask(texts: Sequence[str], *, action: str, speaker: Speaker, hints: Optional[str] = None) -> str:
    """Say the texts inside a <Gather> that takes speech or keypad digits (# ends an entry).

    The texts are inside the Gather so a resident may answer before the question is over;
    `actionOnEmptyResult` makes Twilio come back even after silence, so we decide what follows."""
    response = VoiceResponse()
    gather = Gather(input="speech dtmf", action=action, method="POST", language=speaker.gather_locale,
                    finish_on_key="#", timeout=GATHER_TIMEOUT, speech_timeout="auto",
                    action_on_empty_result=True, hints=hints)
    for text in texts:
        _say(gather, text, speaker)
    response.append(gather)
    return response.to_xml()


def hang_up(texts: Sequence[str], *, speaker: Speaker) -> str:
    """Say the texts, then end the call."""
    response = VoiceResponse()
    for text in texts:
        _say(response, text, speaker)
    response.hangup()
    return response.to_xml()


def messages(texts: Sequence[str]) -> str:
    """An SMS webhook's answer: one <Message> per text; none gives an empty <Response/>."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return response.to_xml()


def _say(parent, text: str, speaker: Speaker) -> None:
    parent.say(text, language=speaker.locale, voice=speaker.voice_name)
