"""TwiML for the voice and SMS channels: pure functions from the bot's replies to the XML
Twilio runs. Tests compare their output exactly.

A call's TwiML is written here as text, not through the twilio package's builders: what is the
same on every turn of a language (the <Gather> attributes with their hints, the <Say> tag with
its voice) is escaped once and kept, and a turn only escapes its own texts and action URL. The
output is the builders' own, byte for byte (tests/bot/test_twiml.py checks it against them).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

from twilio.twiml.messaging_response import MessagingResponse

# Twilio wants a locale for speech recognition; a campaign gives a bare language code.
_LOCALES = {"en": "en-US", "es": "es-ES", "fr": "fr-FR", "de": "de-DE", "pt": "pt-BR", "it": "it-IT",
            "zh": "cmn-CN", "ja": "ja-JP", "ko": "ko-KR", "ru": "ru-RU", "ar": "ar-EG", "hi": "hi-IN"}
# Twilio's Mandarin recogniser is named apart from its text-to-speech locale.
_GATHER_LOCALES = {"zh": "cmn-Hans-CN"}
# A voice that speaks the language when the campaign names none for it (Twilio's default is English).
DEFAULT_VOICES = {"zh": "Polly.Zhiyu"}
GATHER_TIMEOUT = 6  # seconds of silence before Twilio gives up waiting for an answer
_HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'
_TAIL = "</Response>"


@dataclass(frozen=True)
class Speaker:
    """How the call sounds: the conversation's language and the campaign's Twilio voice for it
    (None: that language's default voice, else Twilio's)."""

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
    says = _says(texts, speaker)
    gather = f'<Gather action="{_attribute(action)}"{_gather_attributes(speaker, hints)}'
    return f"{_HEAD}{gather}>{says}</Gather>{_TAIL}" if says else f"{_HEAD}{gather} />{_TAIL}"


def hang_up(texts: Sequence[str], *, speaker: Speaker) -> str:
    """Say the texts, then end the call."""
    return f"{_HEAD}{_says(texts, speaker)}<Hangup />{_TAIL}"


def messages(texts: Sequence[str]) -> str:
    """An SMS webhook's answer: one <Message> per text; none gives an empty <Response/>."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return response.to_xml()


@lru_cache(maxsize=256)
def _gather_attributes(speaker: Speaker, hints: Optional[str]) -> str:
    """Every <Gather> attribute after `action`, in the builders' (alphabetical) order; once per
    language, voice and question."""
    hinted = f' hints="{_attribute(hints)}"' if hints is not None else ""
    return (f' actionOnEmptyResult="true" finishOnKey="#"{hinted} input="speech dtmf"'
            f' language="{_attribute(speaker.gather_locale)}" method="POST" speechTimeout="auto"'
            f' timeout="{GATHER_TIMEOUT}"')


@lru_cache(maxsize=64)
def _say_tag(speaker: Speaker) -> str:
    voice = speaker.voice_name
    return (f'<Say language="{_attribute(speaker.locale)}"'
            + (f' voice="{_attribute(voice)}"' if voice is not None else "") + ">")


def _says(texts: Sequence[str], speaker: Speaker) -> str:
    tag = _say_tag(speaker)
    return "".join(f"{tag}{_text(text)}</Say>" if text else f"{tag[:-1]} />" for text in texts)


def _text(text: str) -> str:
    """Character data escaped as xml.etree writes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    """An attribute value escaped as xml.etree writes it."""
    return (_text(value).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))
