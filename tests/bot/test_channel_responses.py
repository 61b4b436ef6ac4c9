"""Channel variants of the bot's responses (SMS fits one segment, voice explains the keypad) and speech hints."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.gsm7 import fits_one_segment, is_gsm7
from bot.channels.hints import HINTS, hints_for
from bot.flow import QUESTIONS
from bot.understanding.en.counts import parse_count
from bot.understanding.en.symptoms import parse_symptoms
from bot.understanding.en.temperature import parse_temperature, says_not_measured
from bot.understanding.en.yesno import parse_yes_no
from campaigns.records.vocabulary import SYMPTOM_CODES

ROOT = Path(__file__).resolve().parents[2]

# The longest value each placeholder can take (see bot/actions/screening.py).
WORST_CASE = {
    "office": "O" * 30,
    "household": " for the household of " + "N" * 25,
    "ordinal": "number 20",  # longer than any word ordinal; others are capped at 20
    "emergency_number": "9" * 15,
    "when": "Wednesday 30 September at 18:30",  # longest weekday and month names
}
YES_NO = ("good_time", "feels_feverish", "others_unwell", "other_feels_feverish")
SYMPTOMS = ("symptoms", "other_symptoms")


DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RESPONSES: dict[str, list[dict]] = DOMAIN.responses
QUESTION_RESPONSES = sorted(
    name for name in RESPONSES if name.startswith(("utter_ask_", "utter_reask_"))
)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return DOMAIN


@pytest.fixture(scope="module")
def nlg() -> TemplatedNaturalLanguageGenerator:
    return TemplatedNaturalLanguageGenerator(RESPONSES)


def _language(variant: dict) -> str:
    """The language a variation is conditioned on; English variations carry no condition."""
    return next((c["value"] for c in variant.get("condition") or () if c.get("name") == "language"), "en")


def _variants(name: str, channel: str | None, language: str = "en") -> list[dict]:
    return [v for v in RESPONSES[name] if v.get("channel") == channel and _language(v) == language]


def _voice_text(name: str) -> str:
    [variant] = _variants(name, "voice")
    return variant["text"]


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


# --- SMS --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_sms_response_fits_one_gsm7_segment_with_worst_case_values(nlg, name):
    rendered = nlg.generate_from_slots(name, {}, "sms", **WORST_CASE)["text"]
    assert "{" not in rendered and "}" not in rendered, rendered
    assert is_gsm7(rendered), rendered
    assert fits_one_segment(rendered), (len(rendered), rendered)


@pytest.mark.parametrize("name", sorted(n for n in RESPONSES if _variants(n, "sms")))
def test_sms_variant_names_the_same_values_as_the_default(name):
    [default], [sms] = _variants(name, None), _variants(name, "sms")
    assert _placeholders(sms["text"]) == _placeholders(default["text"])


def test_sms_variants_exist_only_where_the_default_is_too_long():
    assert sorted(n for n in RESPONSES if _variants(n, "sms")) == ["utter_ask_good_time", "utter_ask_symptoms"]


@pytest.mark.parametrize("channel", ["sms", "voice", None])
def test_symptom_question_names_every_symptom_family(channel):
    [variant] = _variants("utter_ask_symptoms", channel)
    assert parse_symptoms(variant["text"]).symptoms == SYMPTOM_CODES


def test_sms_symptom_question_offers_none_as_a_reply():
    [sms] = _variants("utter_ask_symptoms", "sms")
    assert sms["text"].endswith("or NONE")
    assert parse_symptoms("NONE").none_reported


# --- voice ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", QUESTION_RESPONSES)
def test_voice_variant_exists_for_every_question_with_the_same_values(name):
    [default] = _variants(name, None)
    assert _placeholders(_voice_text(name)) == _placeholders(default["text"])
    assert "write" not in _voice_text(name).lower()


@pytest.mark.parametrize("name", [f"utter_{kind}_{q}" for q in YES_NO for kind in ("ask", "reask")])
def test_voice_yes_no_question_explains_keys_the_reader_understands(name):
    assert "Say yes or no, or press 1 for yes and 2 for no." in _voice_text(name)
    assert (parse_yes_no("1"), parse_yes_no("2")) == (True, False)


@pytest.mark.parametrize(
    "name", ["utter_ask_temperature", "utter_reask_temperature", "utter_reask_temperature_implausible",
             "utter_ask_other_temperature", "utter_reask_other_temperature"],
)
def test_voice_temperature_question_examples_read_as_36_8(name):
    text = _voice_text(name)
    assert "type it on the keypad, like 3 6 8, then press the hash key" in text
    spoken = re.search(r"like ([a-z ]+), or type", text).group(1)
    assert spoken == "thirty six point eight"
    assert parse_temperature(spoken).celsius == 36.8
    assert parse_temperature("368").celsius == 36.8  # what the keypad sends


@pytest.mark.parametrize(
    ("name", "phrase"),
    [("utter_reask_temperature", "no thermometer"), ("utter_reask_other_temperature", "not measured")],
)
def test_voice_temperature_reask_offers_a_phrase_read_as_not_measured(name, phrase):
    assert f"say {phrase}." in _voice_text(name)
    assert says_not_measured(phrase)


@pytest.mark.parametrize("name", ["utter_ask_others_count", "utter_reask_others_count"])
def test_voice_count_question_offers_the_keypad(name):
    assert "or type the number on the keypad" in _voice_text(name)
    assert (parse_count("2"), parse_count("two"), parse_count("one")) == (2, 2, 1)


@pytest.mark.parametrize("name", [f"utter_{kind}_{q}" for q in SYMPTOMS for kind in ("ask", "reask")])
def test_voice_symptom_question_offers_none(name):
    assert "say none." in _voice_text(name)
    assert parse_symptoms("none").none_reported


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("utter_rephrase", "Sorry, I didn't understand that. To report your temperature and symptoms, say report."),
        ("utter_fallback_final", "I'm sorry, I still can't understand. Say report to start a health screening, "
                                 "or say talk to a person, and a member of staff will call you back."),
    ],
)
def test_voice_fallback_says_instead_of_write(name, expected):
    assert _voice_text(name) == expected


# --- the chat default is untouched -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("utter_ask_good_time", "Hello, this is the {office} health screening{household}. "
                                "Is now a good time for a few quick questions about temperature and symptoms?"),
        ("utter_ask_temperature", "What is your body temperature today? For example 36.8."),
        ("utter_ask_symptoms", "Do you have any of these today: fever, chills, cough, shortness of breath, "
                               "tiredness, body aches, headache, loss of taste or smell, sore throat, runny nose, "
                               "nausea, or diarrhoea?"),
        ("utter_reask_others_count", "Sorry, how many other people are unwell? Please say a number, like 1 or 2."),
        ("utter_rephrase", 'Sorry, I didn\'t understand that. To report your temperature and symptoms, write "report".'),
    ],
)
def test_default_variant_is_unchanged(name, expected):
    assert [v["text"] for v in _variants(name, None)] == [expected]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_keeps_exactly_one_default_variant(name):
    assert len(_variants(name, None)) == 1
    assert {v.get("channel") for v in RESPONSES[name]} <= {None, "sms", "voice"}


# --- Rasa picks the variant by output channel -----------------------------------------


@pytest.mark.parametrize(
    ("name", "channel", "expected"),
    [
        ("utter_ask_temperature", "sms", "What is your body temperature today? For example 36.8."),
        ("utter_ask_temperature", "voice", "What is your body temperature today? Say the number, like thirty six "
                                           "point eight, or type it on the keypad, like 3 6 8, then press the hash key."),
        ("utter_ask_temperature", "rest", "What is your body temperature today? For example 36.8."),
        ("utter_ask_symptoms", "sms", "Any today? Fever, chills, cough, breathless, tired, aches, headache, "
                                      "lost taste/smell, sore throat, runny nose, nausea, diarrhoea. "
                                      "Reply any you have, or NONE"),
        ("utter_ask_symptoms", "socketio", "Do you have any of these today: fever, chills, cough, shortness of "
                                           "breath, tiredness, body aches, headache, loss of taste or smell, sore "
                                           "throat, runny nose, nausea, or diarrhoea?"),
        ("utter_reask_feels_feverish", "voice", "Sorry, do you feel feverish or hot today? "
                                                "Say yes or no, or press 1 for yes and 2 for no."),
    ],
    ids=["temperature-sms-default", "temperature-voice", "temperature-rest", "symptoms-sms", "symptoms-socketio",
         "feverish-voice"],
)
def test_rasa_generator_selects_the_output_channel_variant(domain, nlg, name, channel, expected):
    tracker = DialogueStateTracker.from_events("+15550100", [], slots=domain.slots)
    message = asyncio.run(nlg.generate(name, tracker, output_channel=channel))
    assert message["text"] == expected


def test_rasa_generator_fills_the_sms_greeting(domain, nlg):
    tracker = DialogueStateTracker.from_events("+15550100", [], slots=domain.slots)
    message = asyncio.run(nlg.generate("utter_ask_good_time", tracker, output_channel="sms",
                                       office="City Health Office", household=" for the household of Ana"))
    assert message["text"] == ("City Health Office health screening for the household of Ana. "
                               "Can we ask about temperature and symptoms now? Reply YES or NO")


# --- speech hints -----------------------------------------------------------------------


def _phrases(hints: str) -> list[str]:
    return hints.split(", ")


def test_hints_cover_every_question():
    assert set(HINTS) == set(QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS)
def test_hints_respect_twilio_limits(question):
    phrases = _phrases(HINTS[question])
    assert 0 < len(phrases) <= 500
    assert len(phrases) == len(set(phrases))
    for phrase in phrases:
        assert 0 < len(phrase) <= 100 and phrase == phrase.strip()
        assert re.fullmatch(r"[A-Za-z0-9' ]+", phrase), phrase  # no commas, no class tokens


@pytest.mark.parametrize(
    ("response", "question"),
    [
        ("utter_ask_good_time", "good_time"),
        ("utter_reask_callback_when", "callback_when"),
        ("utter_ask_temperature", "temperature"),
        ("utter_reask_temperature_implausible", "temperature"),
        ("utter_reask_other_temperature", "other_temperature"),
        ("utter_ask_other_symptoms", "other_symptoms"),
        ("utter_reask_others_count", "others_count"),
    ],
)
def test_hints_for_question_responses(response, question):
    assert hints_for(response) == HINTS[question]


@pytest.mark.parametrize(
    "response",
    [None, "", "utter_close_well", "utter_rephrase", "utter_ask_", "utter_ask_favourite_colour",
     "action_ask_temperature", "temperature"],
)
def test_hints_for_non_questions_is_none(response):
    assert hints_for(response) is None


def test_hints_for_every_question_response_in_the_domain():
    assert all(hints_for(name) for name in QUESTION_RESPONSES)


@pytest.mark.parametrize("question", ["temperature", "other_temperature"])
def test_temperature_hints_read_as_plausible_or_not_measured(question):
    phrases = [p for p in _phrases(HINTS[question]) if p not in ("degrees", "celsius", "fahrenheit")]
    for phrase in phrases:
        reading = parse_temperature(phrase)
        assert (reading is not None and reading.plausible) or says_not_measured(phrase), phrase
    assert "thirty six point eight" in phrases and parse_temperature("thirty six point eight").celsius == 36.8


@pytest.mark.parametrize("question", ["symptoms", "other_symptoms"])
def test_symptom_hints_are_all_understood(question):
    named = set()
    for phrase in _phrases(HINTS[question]):
        report = parse_symptoms(phrase)
        assert report is not None, phrase
        named.update(report.symptoms)
    assert named == set(SYMPTOM_CODES)


def test_count_hints_all_read_as_a_count():
    assert all(parse_count(p) is not None for p in _phrases(HINTS["others_count"]))
