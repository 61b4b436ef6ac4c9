"""The TwiML the voice and SMS channels answer with, compared exactly."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import Gather, VoiceResponse

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


def test_twiml_ask_in_mandarin_speaks_cmn_cn_with_zhiyu_and_listens_in_cmn_hans_cn():
    assert twiml.ask(["您今天的体温是多少？"], action="/g", speaker=twiml.Speaker("zh"), hints="三十七度五, 没量") == (
        HEAD + '<Response><Gather action="/g" actionOnEmptyResult="true" finishOnKey="#" hints="三十七度五, 没量" '
        'input="speech dtmf" language="cmn-Hans-CN" method="POST" speechTimeout="auto" timeout="6">'
        '<Say language="cmn-CN" voice="Polly.Zhiyu">您今天的体温是多少？</Say></Gather></Response>')
    assert twiml.hang_up(["再见。"], speaker=twiml.Speaker("zh", "Polly.Zhiyu-Neural")) == (
        HEAD + '<Response><Say language="cmn-CN" voice="Polly.Zhiyu-Neural">再见。</Say><Hangup /></Response>')


def _built_by_twilio(texts, *, action, speaker, hints):
    """The same TwiML through the twilio package's builders, which twiml.ask writes by hand."""
    response = VoiceResponse()
    gather = Gather(input="speech dtmf", action=action, method="POST", language=speaker.gather_locale,
                    finish_on_key="#", timeout=twiml.GATHER_TIMEOUT, speech_timeout="auto",
                    action_on_empty_result=True, hints=hints)
    for text in texts:
        gather.say(text, language=speaker.locale, voice=speaker.voice_name)
    response.append(gather)
    return response.to_xml()


_XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('&<>"\'\n\t\r'), max_size=40)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_XML_TEXT, max_size=3), action=_XML_TEXT, hints=st.none() | _XML_TEXT,
       language=st.sampled_from(["en", "zh", "es"]), voice=st.none() | st.sampled_from(["Polly.Joanna", 'a"b&c']))
def test_twiml_written_by_hand_is_the_twilio_builders_own(texts, action, hints, language, voice):
    speaker = twiml.Speaker(language, voice)
    assert twiml.ask(texts, action=action, speaker=speaker, hints=hints) == _built_by_twilio(
        texts, action=action, speaker=speaker, hints=hints)
    hangup = VoiceResponse()
    for text in texts:
        hangup.say(text, language=speaker.locale, voice=speaker.voice_name)
    hangup.hangup()
    assert twiml.hang_up(texts, speaker=speaker) == hangup.to_xml()
