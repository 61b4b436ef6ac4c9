"""Tests for bot.understanding's registry: every language's readers behind one seam, and flow reading through it."""

from __future__ import annotations

import ast
import importlib
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import flow
from bot.understanding import PACKAGES, Readers, readers_for
from bot.understanding.core.symptoms import SymptomReport
from bot.understanding.core.temperature import Temperature
from campaigns.records.vocabulary import LANGUAGES, RED_FLAG_CODES, SYMPTOM_CODES

ROOT = Path(__file__).resolve().parents[3]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)  # Monday 10:00 CST = 02:00 UTC

# What each language says for the same answers: (temperature, symptoms, yes, count, callback).
SAID = {
    "en": ("thirty eight point six", "a cough, no fever", "yes", "two", "tomorrow at 9"),
    "zh": ("三十八度六", "咳嗽，没有发烧", "是的", "两个", "明天上午九点"),
}


@pytest.mark.parametrize(("asked", "language"), [
    ("zh", "zh"), ("zh-CN", "zh"), ("cmn", "zh"), ("ZH", "zh"), ("en", "en"), ("en-GB", "en"), (None, "en"),
    ("", "en"), ("vi", "en"),
])
def test_readers_for_reads_a_language_code(asked: str | None, language: str) -> None:
    assert readers_for(asked).language == language


def test_every_language_the_bot_speaks_has_readers() -> None:
    assert set(PACKAGES) == set(LANGUAGES)
    for language in LANGUAGES:
        readers = importlib.import_module(PACKAGES[language]).READERS
        assert isinstance(readers, Readers) and readers.language == language


@pytest.mark.parametrize("language", sorted(SAID))
def test_every_language_answers_in_language_free_values(language: str) -> None:
    read = readers_for(language)
    temperature, symptoms, yes, count, callback = SAID[language]

    assert read.temperature(temperature) == Temperature(celsius=38.6, said=temperature, unit="C")
    assert read.symptoms(symptoms) == SymptomReport(symptoms=("cough",), red_flags=())
    assert read.yes_no(yes) is True and read.yes_no("1") is True and read.yes_no("2") is False
    assert read.count(count) == 2
    assert read.callback_time(callback, NOW, SHANGHAI) == datetime(2026, 6, 2, 1, 0, tzinfo=timezone.utc)
    assert read.mentions_callback(callback) is True


@pytest.mark.parametrize("language", sorted(SAID))
def test_every_code_a_reader_gives_is_in_the_vocabulary(language: str) -> None:
    report = readers_for(language).symptoms(SAID[language][1])

    assert report is not None and set(report.symptoms) <= set(SYMPTOM_CODES)
    assert set(report.red_flags) <= set(RED_FLAG_CODES)


def test_flow_asks_the_registry_and_no_language_directly() -> None:
    tree = ast.parse((ROOT / "bot" / "flow.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    assert {m for m in imported if m and m.startswith("bot.understanding")} == {"bot.understanding"}


def _answer(state: dict, text: str, language: str) -> dict:
    state, understood = flow.read_answer(state, flow.next_question(state), text, now=NOW, tz=SHANGHAI,
                                         language=language)
    assert understood, text
    return state


def test_flow_reads_a_mandarin_screening() -> None:
    state = flow.new_state()
    for text in ("是的", "三十八度六", "咳嗽，没有发烧", "有两个", "三十七度二", "都没有", "没量", "不", "头疼"):
        state = _answer(state, text, "zh")

    assert flow.next_question(state) is None
    assert [(p["temperature_c"], p["not_measured"], p["feels_feverish"], p["symptoms"]) for p in state["people"]] == [
        (38.6, False, None, ["cough"]), (37.2, False, None, []), (None, True, False, ["headache"])]


def test_flow_reads_a_mandarin_opening_and_callback() -> None:
    state = flow.read_opening(flow.new_state(), "现在不方便，两个小时后再打", now=NOW, tz=SHANGHAI, language="zh")

    assert state["good_time"] is False
    assert state["callback"]["at"] == "2026-06-01T04:00:00+00:00"


def test_flow_reads_english_when_no_language_is_given() -> None:
    state, understood = flow.read_answer(flow.new_state(), "good_time", "是的", now=NOW, tz=SHANGHAI)

    assert not understood and state["good_time"] is None
    assert flow.read_answer(flow.new_state(), "good_time", "yes", now=NOW, tz=SHANGHAI)[0]["good_time"] is True
