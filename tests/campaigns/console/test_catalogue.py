"""The console's catalogues against its source: every message the templates and Python mark (found
as `pybabel extract` finds them, with babel.cfg) is in each catalogue, translated, with the same
placeholders; nothing stale is left in one; every code the records keep has a word."""
from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from campaigns.console import i18n, words
from campaigns.records import vocabulary
from campaigns.records.models import (AttemptKind, AttemptStatus, CampaignStatus, Channel, EscalationKind,
                                      EscalationStatus, Outcome, Role, Severity)

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = [language for language in i18n.languages() if language != i18n.DEFAULT]


def extracted() -> Catalog:
    """The messages of the source, extracted as `pybabel extract -F babel.cfg` does."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = Catalog()
    for path, line, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS, strip_comment_tags=True):
        found.add(message, locations=[(path, line)], auto_comments=comments, context=context)
    return found


@pytest.fixture(scope="module")
def source() -> Catalog:
    return extracted()


def catalogue(language: str) -> Catalog:
    with i18n.catalogue_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def test_the_source_has_the_messages_of_every_page(source):
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in source if message.id}
    assert len(ids) > 300
    assert {"Escalations", "Sign in", "not flagged", "Screenings per day (%(zone)s)", "there is no escalation %(id)s",
            "help request", "%(days)s d %(hours)s h"} <= ids  # templates, charts, errors, words, ages


def test_chinese_is_a_catalogue_the_console_offers():
    assert i18n.languages() == ("en", "zh")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_in_the_catalogue_and_translated(source, language):
    shipped = catalogue(language)
    missing, empty, fuzzy = [], [], []
    for message in source:
        if not message.id:
            continue
        found = shipped.get(message.id, context=message.context)
        if found is None:
            missing.append(message.id)
        elif not (all(found.string) if isinstance(found.string, (list, tuple)) else found.string):
            empty.append(message.id)
        elif found.fuzzy:
            fuzzy.append(message.id)
    assert (missing, empty, fuzzy) == ([], [], []), (
        f"update translations/{language}: pybabel extract, pybabel update, then translate (see the README)")


@pytest.mark.parametrize("language", TRANSLATED)
def test_nothing_stale_is_left_in_the_catalogue(source, language):
    stale = [(message.context, message.id) for message in catalogue(language)
             if message.id and source.get(message.id, context=message.context) is None]
    assert stale == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_loads_from_its_po(language):
    loaded = i18n.translations(language)
    assert isinstance(loaded, gettext.GNUTranslations)
    assert loaded.gettext("Escalations") != "Escalations"
    assert loaded.ngettext("%(num)s case.", "%(num)s cases.", 2) != "%(num)s cases."


def test_the_chinese_words_staff_read():
    zh = i18n.translations("zh")
    assert zh.gettext("not flagged") == "未标记" and "正常" not in Path(i18n.catalogue_path("zh")).read_text()
    assert (zh.gettext("Temperature"), zh.gettext("Symptoms")) == ("体温", "症状")
    assert zh.gettext("Escalations") == "待处理事项"
    assert words.words(zh, "symptom", "cough;fever") == "咳嗽、发热"
    assert words.word(zh, "kind", "a_code_added_later") == "a_code_added_later"
    english = gettext.NullTranslations()
    assert (words.word(english, "kind", "help_request"), words.words(english, "symptom", "cough;fever")) == (
        "help_request", "cough;fever")  # English pages show codes as they always have


@pytest.mark.parametrize("vocabulary_name, codes", [
    ("kind", [k.value for k in EscalationKind]), ("severity", [s.value for s in Severity]),
    ("status", [s.value for s in EscalationStatus]), ("campaign status", [s.value for s in CampaignStatus]),
    ("attempt status", [s.value for s in AttemptStatus]), ("attempt kind", [k.value for k in AttemptKind]),
    ("outcome", [o.value for o in Outcome]), ("channel", [c.value for c in Channel]), ("role", [r.value for r in Role]),
    ("symptom", list(vocabulary.SYMPTOM_CODES)), ("red flag", list(vocabulary.RED_FLAG_CODES)),
])
def test_every_code_the_records_keep_has_a_word(vocabulary_name, codes):
    assert sorted(set(codes) - set(words.WORDS[vocabulary_name])) == []
