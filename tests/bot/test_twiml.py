"""The TwiML the voice and SMS channels answer with, compared exactly."""
from __future__ import annotations

import pytest

from bot.channels import twiml

HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
EN = twiml.Speaker("en")


def test_twiml_ask_puts_every_text_inside_a_speech_and_keypad_gather():
    xml = twiml.ask(["Thank you.", "What is your temperature? Type 375 for 37.5 & press #."],
                    action="https://x.example/webhooks/voice/gather?conversation=h1%3Aa2&question=utter_ask_temperature",
                    speaker=twiml.Speaker("en", "Polly.Joanna"), hints="thirty seven, no thermometer")
    assert xml == (
        HEAD + '<Response><Gather action="https://x.example/webhooks/voice/gather?conversation=h1%3Aa2&amp;'
        'question=utter_ask_temperature" actionOnEmptyResult="true" finishOnKey="#" '
        'hints="thirty seven, no thermometer" input="speech dtmf" language="en-US" method="POST" '
        'speechTimeout="auto" timeout="6">'
        '<Say language="en-US" voice="Polly.Joanna">Thank you.</Say>'
        '<Say language="en-US" voice="Polly.Joanna">What is your temperature? Type 375 for 37.5 &amp; press #.</Say>'
        '</Gather></Response>')


def test_twiml_ask_without_hints_or_voice_leaves_the_attributes_out():
    assert twiml.ask(["Yes or no?"], action="/g", speaker=EN) == (
        HEAD + '<Response><Gather action="/g" actionOnEmptyResult="true" finishOnKey="#" input="speech dtmf" '
        'language="en-US" method="POST" speechTimeout="auto" timeout="6"><Say language="en-US">Yes or no?</Say>'
        '</Gather></Response>')


def test_twiml_hang_up_says_the_texts_then_hangs_up():
    assert twiml.hang_up(["Thank you.", "Goodbye."], speaker=twiml.Speaker("es")) == (
        HEAD + '<Response><Say language="es-ES">Thank you.</Say><Say language="es-ES">Goodbye.</Say>'
        '<Hangup /></Response>')
    assert twiml.hang_up([], speaker=EN) == HEAD + "<Response><Hangup /></Response>"


def test_twiml_messages_one_message_per_text_and_none_is_an_empty_response():
    assert twiml.messages(["Hi <there>", "Reply YES or NO"]) == (
        HEAD + "<Response><Message>Hi &lt;there&gt;</Message><Message>Reply YES or NO</Message></Response>")
    assert twiml.messages([]) == HEAD + "<Response />"


@pytest.mark.parametrize("language, locale", [
    ("en", "en-US"), ("es", "es-ES"), ("zh", "cmn-CN"), ("en-GB", "en-GB"), ("pt_PT", "pt-PT"), ("xx", "en-US"),
])
def test_twiml_locale_of_a_campaign_language(language, locale):
    assert twiml.locale(language) == locale
