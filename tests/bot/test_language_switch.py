"""Switching a conversation's language when the resident asks, through the trained model and the
real custom actions: the switch is confirmed and the same question asked again in the new
language; nothing is recorded for the request, and no answer is lost or counted twice."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.understanding import language_asked_for

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout_language_switch.yml"
ASK_TEMPERATURE_EN = "What is your body temperature today?"
ASK_TEMPERATURE_ZH = "您今天的体温是多少"
ASK_SYMPTOMS_EN = "Do you have any of these today"
SWITCHED = {"en": "All right, we'll use English.", "zh": "好的，我们用中文。"}


def _examples(path: Path) -> list[str]:
    [block] = yaml.safe_load(path.read_text())["nlu"]
    return [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]


def test_an_english_screening_switched_to_mandarin_and_back_keeps_every_answer_once(resident):
    r = resident()
    r.talk("hi", "yes")
    assert r.say("中文") == [SWITCHED["zh"], "您今天的体温是多少？比如36.8。"]
    assert "症状" in r.say("三十八度六")[0]
    replies = r.say("English")
    assert replies[0] == SWITCHED["en"] and ASK_SYMPTOMS_EN in replies[1]  # the same question, in English
    assert "Is anyone else" in r.say("a cough")[0]
    assert "health worker will follow up" in r.say("no")[0]
    [row] = r.rows()
    assert (row.temperature_c, row.temperature_said, row.symptoms, row.outcome) == (38.6, "三十八度六", "cough", "completed")
    assert [e.kind for e in r.escalations()] == ["abnormal"]
    assert r.opt_outs() == []


def test_a_switch_is_no_answer_and_uses_none_of_the_questions_tries(resident):
    r = resident()
    r.talk("hi", "yes")
    r.say("请说中文")
    assert "抱歉，没听清体温" in r.say("香蕉")[0]  # the first unclear answer is re-asked: the switch was no try
    assert "症状" in r.say("香蕉")[0]  # the second gives the question up, as always
    r.talk("没有", "没有")
    [row] = r.rows()
    assert row.temperature_c is None and row.temperature_said is None and row.reason.startswith("not judged")


def test_a_switch_at_the_greeting_greets_again_in_full(resident):
    r = resident()
    assert "Is now a good time" in r.say("hello")[0]
    replies = r.say("speak Chinese")
    assert replies[0] == SWITCHED["zh"] and "您好，这里是" in replies[1] and "现在方便" in replies[1]
    assert ASK_TEMPERATURE_ZH in r.say("好的")[0]


@pytest.mark.parametrize("n, first, language, greeting", [
    (1, "English", "en", "Is now a good time"), (2, "中文", "zh", "现在方便"), (3, "in Chinese please", "zh", "现在方便"),
    (4, "英文", "en", "Is now a good time")])
def test_a_first_message_asking_for_a_language_starts_the_screening_in_it(resident, n, first, language, greeting):
    r = resident(f"chat:web-switch-{n}", channel="chat")
    replies = r.say(first)
    assert replies[0] == SWITCHED[language] and greeting in replies[1]
    assert r.rows() == [] and r.escalations() == []


def test_a_mandarin_walk_in_who_cannot_read_english_stays_in_mandarin(resident):
    r = resident("chat:web-zh-no-en", channel="chat")
    r.talk("你好", "是的")
    assert r.say("我看不懂英文") == [SWITCHED["zh"], "您今天的体温是多少？比如36.8。"]


def test_asking_for_a_language_the_bot_does_not_speak_changes_nothing(resident):
    r = resident("chat:web-french", channel="chat")
    assert r.say("speak French please") == ["Sorry, I can only write in English or Chinese."]
    r.talk("hi", "yes")
    reply = r.say("speak French please")[0]  # inside the screening: an answer that is not understood
    assert "didn't get a temperature" in reply
    assert r.rows() == []


def test_a_language_named_inside_an_answer_is_an_answer(resident):
    r = resident()
    r.talk("hi", "yes", "37")
    r.say("I had Chinese food and now I have a cough")
    assert "Thank you" in r.say("no")[0]
    [row] = r.rows()
    assert row.symptoms == "cough"


def test_a_call_keeps_its_language(resident):
    """A call's voice and recogniser are the attempt's: asked for Mandarin, the bot asks again in English."""
    r = resident(channel="voice")
    r.talk("hi", "yes")
    reply = r.say("Chinese")
    assert len(reply) == 1 and "didn't get a temperature" in reply[0] and not re.search("[\u4e00-\u9fff]", reply[0])


def test_heldout_requests_for_a_language_are_understood(screening_bot, event_loop_for_bot):
    training = {text.lower() for path in (ROOT / "data").rglob("*.yml")
                for block in (yaml.safe_load(path.read_text()).get("nlu") or ()) if "examples" in block
                for text in (line.strip()[2:] for line in block["examples"].splitlines()) if text}
    examples = _examples(HELDOUT)
    assert [text for text in examples if text.lower() in training] == []
    parsed = [event_loop_for_bot.run_until_complete(screening_bot.agent.parse_message(text)) for text in examples]
    misses = [(text, p["intent"]["name"]) for text, p in zip(examples, parsed) if p["intent"]["name"] != "switch_language"]
    assert misses == []
    assert [text for text in examples if language_asked_for(text) is None] == []
