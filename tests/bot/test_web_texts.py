"""The web page's words: every button sends what the language's readers read as that answer, both
languages have every label, and a browser's Accept-Language chooses a language the bot speaks."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bot.channels.web_render import Pages
from bot.channels.web_texts import SIGNS, TEXTS, accepted_language, signs_for
from bot.understanding import readers_for
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES


def test_every_symptom_and_red_flag_has_a_button():
    assert tuple(SIGNS) == SYMPTOM_CODES + RED_FLAG_CODES


@pytest.mark.parametrize("language", ["en", "zh"])
def test_each_sign_button_is_read_as_its_own_code_alone_and_together(language):
    readers, join = readers_for(language), TEXTS[language]["join"]
    for sign in signs_for(language):
        report = readers.symptoms(sign["words"])
        assert (report.red_flags if sign["red_flag"] else report.symptoms) == (sign["code"],), sign
    every = readers.symptoms(join.join(s["words"] for s in signs_for(language)))
    assert every.symptoms == SYMPTOM_CODES and every.red_flags == RED_FLAG_CODES


@pytest.mark.parametrize("language", ["en", "zh"])
def test_yes_no_none_and_no_thermometer_buttons_say_what_they_show(language):
    readers, texts = readers_for(language), TEXTS[language]
    assert readers.yes_no(texts["say_yes"]) is True and readers.yes_no(texts["say_no"]) is False
    assert readers.symptoms(texts["say_none"]).symptoms == () and readers.symptoms(texts["say_none"]).red_flags == ()
    assert readers.not_measured(texts["say_no_thermometer"])
    assert readers.temperature("37.2").celsius == 37.2  # what the number pad sends


def test_both_languages_have_the_same_labels():
    assert set(TEXTS["en"]) == set(TEXTS["zh"])


@pytest.mark.parametrize("header, language", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en-US,en;q=0.9,zh;q=0.8", "en"), ("fr-FR,fr;q=0.9,zh;q=0.5", "zh"),
    ("zh-yue,en;q=0.5", "en"), ("en;q=0.1,zh;q=0.9", "zh"), ("zh;q=0", "en"), ("", "en"), (None, "en"),
    ("zh-Hant-TW", "zh"), ("*", "en"), ("zh;q=abc,en", "en"),
])
def test_accept_language_chooses_a_language_the_bot_speaks(header, language):
    assert accepted_language(header) == language


@given(st.text(max_size=300))
def test_accept_language_never_raises(header):
    assert accepted_language(header) in ("en", "zh")


def test_the_page_is_small_and_nothing_in_it_can_close_its_config_script():
    pages = Pages.load()
    page = pages.chat(language="zh", mode="walk_in", base="/report", sender="wabc",
                      communities=("North", "</script><script>alert(1)</script>"), community="North")
    assert len(page.encode()) < 100_000
    assert page.count("</script>") == 2 and "alert(1)</script>" not in page
    assert '<html lang="zh">' in page and "http://" not in page and "https://" not in page  # nothing from elsewhere
