"""A campaign file's `language` and `voices`: exact codes of languages the bot speaks, one voice per
language, `voice` kept as the voice of the campaign's own language; stored campaigns read leniently."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from campaigns.outreach.campaign_file import (
    CampaignFileError, load_campaign, parse_campaign, spec_from_json, spec_to_json,
)

PATH = Path("campaign-files/x.yml")
BASE = {"name": "x", "schedule": {"start": "2026-12-01", "days": 1, "rounds": ["09:00"]}}


def parse(**fields):
    return parse_campaign({**BASE, **fields}, path=PATH)


def problems(**fields) -> list[tuple[str, str]]:
    with pytest.raises(CampaignFileError) as caught:
        parse(**fields)
    return caught.value.problems


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_spoken_language_is_taken(language):
    assert parse(language=language).language == language


@pytest.mark.parametrize("written, reason", [
    ("fr", "'fr' is not a language the bot speaks (en, zh)"),
    ("yue", "'yue' is not a language the bot speaks (en, zh)"),  # Cantonese is not Mandarin
    ("zh-yue", "'zh-yue' is not a language the bot speaks (en, zh)"),
    ("English", "'English' is not a language the bot speaks (en, zh)"),
    ("", "'' is not a language the bot speaks (en, zh)"),
    (5, "5 is not a language the bot speaks (en, zh)"),
    ("zh-CN", "'zh-CN' is not one of the bot's language codes (en, zh); write zh"),
    ("ZH", "'ZH' is not one of the bot's language codes (en, zh); write zh"),
    ("cmn", "'cmn' is not one of the bot's language codes (en, zh); write zh"),
    ("en-GB", "'en-GB' is not one of the bot's language codes (en, zh); write en"),
])
def test_a_language_the_bot_does_not_speak_or_a_code_not_written_exactly_is_an_error(written, reason):
    assert problems(language=written) == [("language", reason)]


def test_the_error_line_names_the_file_the_field_and_the_languages(tmp_path):
    path = tmp_path / "campaign.yml"
    path.write_text("name: x\nlanguage: fr\nschedule: {start: 2026-12-01, days: 1, rounds: ['09:00']}\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path)
    assert str(caught.value) == f"{path}: language: 'fr' is not a language the bot speaks (en, zh)"


def test_voices_name_a_voice_per_language_and_default_to_none():
    assert parse().voices == {} and parse().voice is None
    spec = parse(voices={"en": "Polly.Joanna", "zh": "Polly.Zhiyu-Neural"})
    assert spec.voices == {"en": "Polly.Joanna", "zh": "Polly.Zhiyu-Neural"}


@pytest.mark.parametrize("voices, expected", [
    ({"fr": "Polly.Celine"}, [("voices.fr", "'fr' is not a language the bot speaks (en, zh)")]),
    ({"zh-CN": "Polly.Zhiyu"}, [("voices.zh-CN", "'zh-CN' is not one of the bot's language codes (en, zh); write zh")]),
    ({"zh": ""}, [("voices.zh", "'' is not a voice name like Polly.Joanna or Google.en-US-Standard-C")]),
    ({"zh": None}, [("voices.zh", "None is not a voice name like Polly.Joanna or Google.en-US-Standard-C")]),
    ({"en": "Polly Joanna"}, [("voices.en", "'Polly Joanna' is not a voice name like Polly.Joanna or "
                                            "Google.en-US-Standard-C")]),
    ({"en": "Polly.Joanna", "xx": "", "zh": 3},
     [("voices.xx", "'xx' is not a language the bot speaks (en, zh)"),
      ("voices.zh", "3 is not a voice name like Polly.Joanna or Google.en-US-Standard-C")]),
    ("Polly.Joanna", [("voices", "must be a mapping of language to voice, like {en: Polly.Joanna, zh: Polly.Zhiyu}")]),
    (None, [("voices", "must be a mapping of language to voice, like {en: Polly.Joanna, zh: Polly.Zhiyu}")]),
], ids=["unspoken", "not-exact", "empty", "blank", "space", "several", "not-a-mapping", "null"])
def test_bad_voices_are_named_by_language(voices, expected):
    assert problems(voices=voices) == expected


def test_voice_is_the_voice_of_the_campaigns_language_and_joins_voices():
    assert parse(voice="Polly.Joanna").voices == {"en": "Polly.Joanna"}  # older files keep working
    spec = parse(language="zh", voice="Polly.Zhiyu", voices={"en": "Polly.Joanna"})
    assert spec.voices == {"en": "Polly.Joanna", "zh": "Polly.Zhiyu"}
    assert parse(voice="Polly.Joanna", voices={"en": "Polly.Joanna"}).voices == {"en": "Polly.Joanna"}


def test_voice_and_voices_naming_two_voices_for_one_language_is_an_error():
    assert problems(voice="Polly.Amy", voices={"en": "Polly.Joanna", "zh": "Polly.Zhiyu"}) == [
        ("voice", "'Polly.Amy' is the en voice, but voices.en is 'Polly.Joanna'; name the en voice once")]


def test_stored_campaign_round_trips_its_voices():
    spec = parse(language="zh", voice="Polly.Zhiyu", voices={"en": "Polly.Joanna"})
    again = spec_from_json(spec_to_json(spec))
    assert (again.language, again.voice, again.voices) == ("zh", "Polly.Zhiyu", spec.voices)


@pytest.mark.parametrize("stored, read", [("en-US", "en"), ("zh-CN", "zh"), ("cmn", "zh"), ("fr", "en")])
def test_a_campaign_stored_before_languages_were_checked_still_loads(stored, read):
    """Started when any code was accepted; the bot already spoke `read` to its households."""
    data = json.loads(spec_to_json(parse()))
    assert spec_from_json(json.dumps({**data, "language": stored})).language == read
