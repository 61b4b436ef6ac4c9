"""Tests for bot.understanding.en.symptoms.parse_symptoms."""

from __future__ import annotations

import time

import pytest

from bot.understanding.core.symptoms import SymptomReport
from bot.understanding.en.symptoms import parse_symptoms
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

# (id, answer, expected symptoms, expected red flags)
UNDERSTOOD = [
    # fever
    ("fever-word", "fever", ("fever",), ()),
    ("fever-feverish", "I'm feverish", ("fever",), ()),
    ("fever-high-temperature", "high temperature", ("fever",), ()),
    ("fever-running-temperature", "I've been running a temperature", ("fever",), ()),
    ("fever-feel-hot", "I feel hot", ("fever",), ()),
    ("fever-burning-up", "burning up", ("fever",), ()),
    # chills
    ("chills-word", "chills", ("chills",), ()),
    ("chills-shivering", "I'm shivering", ("chills",), ()),
    ("chills-shivers", "the shivers", ("chills",), ()),
    ("chills-cold-sweats", "cold sweats", ("chills",), ()),
    ("chills-cold-sweat-not-a-cold", "I have a cold sweat", ("chills",), ()),
    # cough
    ("cough-word", "cough", ("cough",), ()),
    ("cough-coughing", "coughing a lot", ("cough",), ()),
    ("cough-little", "a little cough", ("cough",), ()),
    ("cough-dry", "dry cough", ("cough",), ()),
    ("cough-weak-is-not-fatigue", "a weak cough", ("cough",), ()),
    # shortness of breath
    ("sob-short-of-breath", "short of breath", ("shortness_of_breath",), ()),
    ("sob-shortness", "shortness of breath", ("shortness_of_breath",), ()),
    ("sob-breathless", "breathless", ("shortness_of_breath",), ()),
    ("sob-out-of-breath", "out of breath", ("shortness_of_breath",), ()),
    ("sob-winded", "a bit winded", ("shortness_of_breath",), ()),
    ("sob-cant-catch-breath", "I can't catch my breath", ("shortness_of_breath",), ()),
    # fatigue
    ("fatigue-tired", "tired", ("fatigue",), ()),
    ("fatigue-tiredness", "tiredness", ("fatigue",), ()),
    ("fatigue-exhausted", "exhausted", ("fatigue",), ()),
    ("fatigue-word", "fatigue", ("fatigue",), ()),
    ("fatigue-no-energy", "no energy", ("fatigue",), ()),
    ("fatigue-weak", "I feel weak", ("fatigue",), ()),
    # muscle aches
    ("aches-body", "body aches", ("muscle_aches",), ()),
    ("aches-muscle-pain", "muscle pain", ("muscle_aches",), ()),
    ("aches-all-over", "aching all over", ("muscle_aches",), ()),
    ("aches-muscles-hurt", "my muscles hurt", ("muscle_aches",), ()),
    ("aches-sore-muscles", "sore muscles", ("muscle_aches",), ()),
    # headache
    ("headache-word", "headache", ("headache",), ()),
    ("headache-head-hurts", "my head hurts", ("headache",), ()),
    ("headache-pounding", "my head is pounding", ("headache",), ()),
    ("headache-migraine", "a migraine", ("headache",), ()),
    # loss of taste or smell
    ("taste-cant-smell-anything", "I can't smell anything", ("loss_of_taste_or_smell",), ()),
    ("taste-lost-sense", "I lost my sense of taste", ("loss_of_taste_or_smell",), ()),
    ("taste-cant-taste-food", "can't taste food", ("loss_of_taste_or_smell",), ()),
    ("taste-no-sense-of-smell", "no sense of smell", ("loss_of_taste_or_smell",), ()),
    ("taste-food-like-nothing", "food tastes like nothing", ("loss_of_taste_or_smell",), ()),
    ("taste-loss-of", "loss of taste or smell", ("loss_of_taste_or_smell",), ()),
    # sore throat
    ("throat-sore", "sore throat", ("sore_throat",), ()),
    ("throat-hurts", "my throat hurts", ("sore_throat",), ()),
    ("throat-scratchy", "scratchy throat", ("sore_throat",), ()),
    ("throat-swallow", "it's painful to swallow", ("sore_throat",), ()),
    # runny nose
    ("nose-runny", "runny nose", ("runny_nose",), ()),
    ("nose-blocked", "blocked nose", ("runny_nose",), ()),
    ("nose-stuffy", "stuffy nose", ("runny_nose",), ()),
    ("nose-congestion", "congestion", ("runny_nose",), ()),
    ("nose-congested", "I'm congested", ("runny_nose",), ()),
    ("nose-sniffles", "the sniffles", ("runny_nose",), ()),
    ("nose-is-running", "my nose is running", ("runny_nose",), ()),
    # nausea / vomiting
    ("nausea-word", "nausea", ("nausea_vomiting",), ()),
    ("nausea-nauseous", "nauseous", ("nausea_vomiting",), ()),
    ("nausea-sick-to-stomach", "I feel sick to my stomach", ("nausea_vomiting",), ()),
    ("nausea-throwing-up", "throwing up", ("nausea_vomiting",), ()),
    ("nausea-vomiting", "vomiting", ("nausea_vomiting",), ()),
    ("nausea-threw-up", "I threw up last night", ("nausea_vomiting",), ()),
    # diarrhea
    ("diarrhea-us", "diarrhea", ("diarrhea",), ()),
    ("diarrhea-uk", "diarrhoea", ("diarrhea",), ()),
    ("diarrhea-loose-stools", "loose stools", ("diarrhea",), ()),
    ("diarrhea-upset-stomach-runs", "upset stomach with runs", ("diarrhea",), ()),
    # red flags: never also reported as ordinary symptoms
    ("red-difficulty-breathing", "difficulty breathing", (), ("difficulty_breathing",)),
    ("red-cant-breathe", "I can't breathe", (), ("difficulty_breathing",)),
    ("red-cant-breath-stt-typo", "i cant breath", (), ("difficulty_breathing",)),
    ("red-struggling", "struggling to breathe", (), ("difficulty_breathing",)),
    ("red-hard-to-breathe", "it's hard to breathe", (), ("difficulty_breathing",)),
    ("red-gasping", "gasping", (), ("difficulty_breathing",)),
    ("red-chest-pain", "chest pain", (), ("chest_pain",)),
    ("red-pain-in-chest", "pain in my chest", (), ("chest_pain",)),
    ("red-chest-tight", "my chest feels tight", (), ("chest_pain",)),
    ("red-chest-pressure", "pressure in my chest", (), ("chest_pain",)),
    ("red-confused", "confused", (), ("confusion",)),
    ("red-confusion", "confusion", (), ("confusion",)),
    ("red-disoriented", "disoriented", (), ("confusion",)),
    ("red-cant-think", "I can't think straight", (), ("confusion",)),
    ("red-blue-lips", "blue lips", (), ("bluish_lips",)),
    ("red-bluish-lips", "bluish lips", (), ("bluish_lips",)),
    ("red-lips-turning-blue", "my lips are turning blue", (), ("bluish_lips",)),
    ("red-blue-face", "blue face", (), ("bluish_lips",)),
    # combinations, reported in canonical order whatever the spoken order
    ("combo-cough-throat", "just a little cough and a sore throat", ("cough", "sore_throat"), ()),
    ("combo-headache-fever-chills", "headache, fever and chills", ("fever", "chills", "headache"), ()),
    ("combo-tired-nose", "I'm tired and my nose is running", ("fatigue", "runny_nose"), ()),
    ("combo-symptom-and-red-flag", "short of breath and I can't breathe",
     ("shortness_of_breath",), ("difficulty_breathing",)),
    ("combo-cough-chest-pain", "coughing with chest pain", ("cough",), ("chest_pain",)),
    ("combo-stt-no-punctuation", "fever cough diarrhea and a runny nose",
     ("fever", "cough", "runny_nose", "diarrhea"), ()),
    # negation
    ("neg-no-cough-but-headache", "no cough but I have a headache", ("headache",), ()),
    ("neg-no-fever-and-i-have", "no fever and I have a cough", ("cough",), ()),
    ("neg-not-really-maybe-tired", "not really, maybe a bit tired", ("fatigue",), ()),
    ("neg-yes-a-cough", "yes a cough", ("cough",), ()),
    ("neg-scope-ends-at-comma", "no fever, a cough", ("cough",), ()),
    ("neg-scope-covers-or", "no fever or cough but a headache", ("headache",), ()),
    ("neg-after-positive", "I have a cough, not a fever", ("cough",), ()),
    ("neg-except", "nothing except a sore throat", ("sore_throat",), ()),
    ("neg-cant-is-not-negator", "I can't stop coughing", ("cough",), ()),
    ("neg-masked-inside-phrase", "no energy and a headache", ("fatigue", "headache"), ()),
    ("neg-red-flag-negated", "not struggling to breathe but my chest hurts", (), ("chest_pain",)),
    # robustness: case, punctuation, unicode
    ("robust-upper-case", "I HAVE A FEVER!!!", ("fever",), ()),
    ("robust-curly-apostrophe", "I can\u2019t smell anything", ("loss_of_taste_or_smell",), ()),
    ("robust-hyphens", "short-of-breath", ("shortness_of_breath",), ()),
    ("robust-accents", "f\u00e9ver and co\u00fcgh", ("fever", "cough"), ()),
    ("robust-fullwidth", "\uff46\uff45\uff56\uff45\uff52", ("fever",), ()),
    ("robust-emoji-around", "\U0001F912 fever \U0001F912", ("fever",), ()),
]

NEGATIVE_ANSWERS = [
    ("no", "no"),
    ("nope", "nope"),
    ("no-nothing", "no, nothing"),
    ("none", "none"),
    ("feel-fine", "I feel fine"),
    ("all-good", "all good"),
    ("nothing-like-that", "nothing like that"),
    ("healthy", "I'm healthy"),
    ("no-symptoms", "no symptoms"),
    ("no-fever-no-cough", "no fever, no cough"),
    ("dont-have-sore-throat", "I don't have a sore throat"),
    ("without", "without any cough or fever"),
    ("neither-nor", "neither fever nor chills"),
    ("cant-breathe-negated", "I haven't had trouble breathing"),
    ("nah-upper", "NAH"),
]

NOT_UNDERSTOOD = [
    ("empty", ""),
    ("whitespace", "   "),
    ("unrelated-word", "banana"),
    ("emoji-only", "\U0001F912\U0001F912"),
    ("sql", "'; DROP TABLE screenings; --"),
    ("chinese", "\u6211\u54b3\u55fd"),
    ("question", "what?"),
    ("bare-yes", "yes"),
    ("maybe", "maybe"),
    ("dont-know", "I don't know"),
    ("not-sure-negated-symptom", "not sure if I have a fever"),
    ("clarification-question", "what do you mean by fever?"),
    ("spanish", "tengo tos"),
    ("unlisted-complaint", "stomach ache"),
    ("punctuation-only", "?!..."),
    ("control-chars", "\x00\x1b[31m\t\n"),
]


@pytest.mark.parametrize(
    ("text", "symptoms", "red_flags"),
    [case[1:] for case in UNDERSTOOD],
    ids=[case[0] for case in UNDERSTOOD],
)
def test_parse_symptoms_understood_answer_gives_exact_codes(
    text: str, symptoms: tuple[str, ...], red_flags: tuple[str, ...]
) -> None:
    assert parse_symptoms(text) == SymptomReport(symptoms=symptoms, red_flags=red_flags)


@pytest.mark.parametrize("text", [case[1] for case in NEGATIVE_ANSWERS], ids=[case[0] for case in NEGATIVE_ANSWERS])
def test_parse_symptoms_explicit_negative_gives_empty_report(text: str) -> None:
    report = parse_symptoms(text)
    assert report == SymptomReport(symptoms=(), red_flags=())
    assert report is not None and report.none_reported


@pytest.mark.parametrize("text", [case[1] for case in NOT_UNDERSTOOD], ids=[case[0] for case in NOT_UNDERSTOOD])
def test_parse_symptoms_unrelated_or_unclear_text_gives_none(text: str) -> None:
    assert parse_symptoms(text) is None


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (SymptomReport(symptoms=(), red_flags=()), True),
        (SymptomReport(symptoms=("cough",), red_flags=()), False),
        (SymptomReport(symptoms=(), red_flags=("chest_pain",)), False),
    ],
    ids=["empty", "symptom", "red-flag"],
)
def test_none_reported_true_only_when_both_tuples_empty(report: SymptomReport, expected: bool) -> None:
    assert report.none_reported is expected


@pytest.mark.parametrize(
    "text",
    [
        "cough " * 1000,
        "no fever, " * 500,
        "a" * 5000,
        "can't breathe and " * 280,
        "\U0001F912" * 5000,
        "x" * 2 + "(" * 4998,
    ],
    ids=["repeated-symptom", "repeated-negation", "one-long-word", "repeated-red-flag", "emoji", "brackets"],
)
def test_parse_symptoms_long_input_returns_within_50ms(text: str) -> None:
    parse_symptoms(text)  # warm-up so only the steady-state cost is measured
    started = time.perf_counter()
    parse_symptoms(text)
    assert time.perf_counter() - started < 0.05


@pytest.mark.parametrize(
    "text",
    ["\ud800", "\u0000", "|||", "I'm | fever", "\u202e reversed", "\ufeffcough", "n\u0303o", "'" * 100, "-- -- --"],
    ids=["lone-surrogate", "nul", "pipes", "pipe-inside", "bidi", "bom", "combining", "apostrophes", "dashes"],
)
def test_parse_symptoms_odd_strings_do_not_raise(text: str) -> None:
    result = parse_symptoms(text)
    assert result is None or isinstance(result, SymptomReport)


def test_parse_symptoms_codes_come_from_the_published_vocabularies() -> None:
    every_phrase = " , ".join(case[1] for case in UNDERSTOOD)
    report = parse_symptoms(every_phrase)
    assert report is not None
    assert report.symptoms == SYMPTOM_CODES
    assert report.red_flags == RED_FLAG_CODES
