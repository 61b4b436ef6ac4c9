"""Simulated residents: population rows, consent per conversation, questions, answers, and their language."""
from __future__ import annotations

import pytest

from bot.understanding import readers_for
from campaigns.carriers.residents import (PHRASES, PICKUPS, UNKNOWN_ANSWER, Answerer, PopulationError, SimResident,
                                          consent_for, outcome_on, resident_from_row)
from campaigns.records.vocabulary import LANGUAGES


@pytest.mark.parametrize("text, pickup", [
    ("", ("answer",)),
    ("answer", ("answer",)),
    ("no_answer;busy;answer", ("no_answer", "busy", "answer")),
    (" No Answer ; BUSY ;; machine ", ("no_answer", "busy", "machine")),
    ("no-answer;failed", ("no_answer", "failed")),
], ids=["empty-means-answer", "one", "several", "spaces-and-case", "hyphen"])
def test_resident_from_row_reads_pickup(text, pickup):
    assert resident_from_row({"pickup": text}).pickup == pickup


@pytest.mark.parametrize("channel, expected", [
    ("voice", ["answer", "busy", "no_answer", "failed", "machine", "failed", "no_answer"]),
    ("sms", ["answer", "not_opened", "not_opened", "undelivered", "not_opened", "undelivered", "not_opened"]),
    ("chat_link", ["answer", "not_opened", "not_opened", "undelivered", "not_opened", "undelivered", "not_opened"]),
])
def test_outcome_on_a_channel_texts_are_never_busy_or_a_machine(channel, expected):
    # PICKUPS order: answer, busy, no_answer, failed, machine, undelivered, not_opened
    assert [outcome_on(channel, pickup) for pickup in PICKUPS] == expected


@pytest.mark.parametrize("row, message", [
    ({"pickup": "answer;ring"}, "pickup: unknown outcome 'ring' (known: answer, busy, no_answer, failed, machine, undelivered, "
                               "not_opened)"),
    ({"others": '[{"temperature": 38'}, "others: not valid JSON (Expecting ',' delimiter at character 19)"),
    ({"others": '{"temperature": "38"}'}, 'others: must be a JSON list of {"temperature": ..., "symptoms": ...}'),
    ({"others": '["38"]'}, 'others: must be a JSON list of {"temperature": ..., "symptoms": ...}'),
    ({"others": '[{"temperature": "38"}, {"temp": "37", "age": 3}]'}, "others[1]: unknown key 'age'"),
], ids=["unknown-pickup", "bad-json", "not-a-list", "list-of-text", "unknown-key-with-index"])
def test_resident_from_row_rejects_malformed_columns(row, message):
    with pytest.raises(PopulationError) as error:
        resident_from_row(row)
    assert str(error.value) == message


@pytest.mark.parametrize("row, says", [
    ({}, {}),
    ({"others": '[{"temperature": "38"}]', "says_others_unwell": "just my son"}, {"others_unwell": "just my son"}),
    ({"says_consent": "yes", "says_temperature": "36.6", "says_symptoms": "", "says_callback": "at 6pm",
      "says_feels_feverish": "no"},
     {"good_time": "yes", "temperature": "36.6", "callback_when": "at 6pm", "feels_feverish": "no"}),
], ids=["nothing", "others-unwell-given", "columns"])
def test_resident_from_row_maps_says_columns(row, says):
    assert resident_from_row(row).says == says


@pytest.mark.parametrize("row, answer", [
    ({}, "no"),
    ({"others": '[{"temperature": "38"}]'}, "yes"),
    ({"others": '[{"temperature": "38"}]', "says_others_unwell": "just my son"}, "just my son"),
], ids=["default-no", "yes-with-others", "given"])
def test_others_unwell_answer_defaults_to_whether_others_are_given(row, answer):
    assert Answerer(resident_from_row(row)).answer("others_unwell") == answer


def test_resident_from_row_others_values_become_text():
    resident = resident_from_row({"others": '[{"temperature": 38.5, "symptoms": "cough"}, {"feels_feverish": "yes"}]'})
    assert resident.others == ({"temperature": "38.5", "symptoms": "cough"}, {"feels_feverish": "yes"})


def test_sim_resident_next_pickup_repeats_last_outcome():
    resident = SimResident(pickup=("busy", "answer"))
    assert [resident.next_pickup() for _ in range(4)] == ["busy", "answer", "answer", "answer"]
    assert resident.attempts == 4


@pytest.mark.parametrize("says, conversation, answer", [
    ("yes", 0, "yes"),
    ("not now, call me back at 6pm;yes", 0, "not now, call me back at 6pm"),
    ("not now, call me back at 6pm;yes", 1, "yes"),
    ("not now, call me back at 6pm;yes", 7, "yes"),
    (" later ; ; sure ", 1, "sure"),
    ("", 0, ""),
], ids=["single", "first", "second", "last-repeats", "blanks-ignored", "empty"])
def test_consent_for_picks_answer_of_conversation(says, conversation, answer):
    assert consent_for(says, conversation) == answer


def test_answerer_advances_other_index_on_new_member_not_on_reask():
    resident = SimResident(says={"good_time": "later;yes", "temperature": "36.6"},
                           others=({"temperature": "38", "symptoms": "cough"}, {"temperature": "36.5"}))
    answerer = Answerer(resident)
    questions = ["good_time", "temperature", "others_count", "other_temperature", "other_temperature",
                 "other_symptoms", "other_temperature", "other_symptoms", "other_temperature", "symptoms"]
    assert [answerer.answer(q) for q in questions] == [
        "later", "36.6", "2", "38", "38", "cough", "36.5", UNKNOWN_ANSWER, UNKNOWN_ANSWER, UNKNOWN_ANSWER]


def test_answerer_second_conversation_gives_next_consent():
    resident = SimResident(says={"good_time": "later;yes"})
    first, second = Answerer(resident), Answerer(resident)
    assert (first.answer("good_time"), second.answer("good_time")) == ("later", "yes")
    assert resident.conversations == 2


def test_answerer_without_others_does_not_invent_answers():
    answerer = Answerer(SimResident())
    assert [answerer.answer(q) for q in ("others_count", "other_temperature", "good_time", "callback_when")] == [
        UNKNOWN_ANSWER] * 4


# --- the household's language ------------------------------------------------------------------

@pytest.mark.parametrize("written, language", [
    ("zh", "zh"), ("ZH", "zh"), ("zh-CN", "zh"), ("cmn", "zh"), ("en", "en"), ("", None), ("fr", None),
], ids=["zh", "upper-case", "region", "cmn", "en", "empty-is-the-campaigns", "unspoken"])
def test_resident_speaks_the_households_language_as_the_bot_reads_it(written, language):
    assert resident_from_row({"language": written}).language == language


@pytest.mark.parametrize("written, conversation, answer", [
    ("", None, "I don't know"), ("", "zh", "不知道"), ("zh", None, "不知道"), ("en", "zh", "I don't know"),
], ids=["none-is-english", "none-takes-the-conversations", "own", "own-over-the-conversations"])
def test_a_resident_without_a_language_speaks_the_conversations(written, conversation, answer):
    assert Answerer(resident_from_row({"language": written}), conversation).answer("temperature") == answer


def test_mandarin_resident_says_what_no_column_gives_in_mandarin():
    resident = resident_from_row({"language": "zh", "says_temperature": "三十六度六",
                                  "others": '[{"temperature": "37度8"}, {"symptoms": "有点咳嗽"}]'})
    answerer = Answerer(resident)
    questions = ["good_time", "temperature", "symptoms", "others_unwell", "others_count", "other_temperature",
                 "other_symptoms", "other_temperature", "other_symptoms", "callback_when"]
    assert [answerer.answer(q) for q in questions] == [
        "不知道", "三十六度六", "不知道", "有", "两个", "37度8", "不知道", "不知道", "有点咳嗽", "不知道"]
    assert Answerer(resident_from_row({"language": "zh"})).answer("others_unwell") == "没有"


def test_every_language_the_bot_speaks_has_the_residents_phrases():
    assert set(PHRASES) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_residents_phrases_read_as_the_resident_means_them(language):
    """The bot reads a resident's yes, no and counts as meant, and "I don't know" as no answer at all."""
    read, phrases = readers_for(language), PHRASES[language]
    assert (read.yes_no(phrases.yes), read.yes_no(phrases.no)) == (True, False)
    assert [read.count(phrases.count(n)) for n in range(1, 21)] == list(range(1, 21))
    unknown = phrases.unknown
    assert (read.yes_no(unknown), read.temperature(unknown), read.symptoms(unknown), read.count(unknown),
            read.not_measured(unknown), read.mentions_callback(unknown)) == (None, None, None, None, False, False)
