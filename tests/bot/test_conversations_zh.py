"""Whole Mandarin conversations through the trained model and the real custom actions: walk-ins
who write in Chinese, interruptions said in Mandarin, and a chat tied to a Mandarin household.

Each test asserts what lands in the screening, escalation and opt-out tables.
"""
from __future__ import annotations

from datetime import timezone

import pytest
from sqlmodel import Session

from campaigns.records.models import Household

GREETING = "现在方便回答"
ASK_TEMPERATURE = "您今天的体温是多少"
ASK_SYMPTOMS = "症状"
ASK_OTHERS = "家里还有其他人"
CHINESE = "\u4e00-\u9fff"


def _household(engine, **fields) -> None:
    with Session(engine) as session:
        session.add(Household(**fields))
        session.commit()


def english_free(texts: list[str]) -> bool:
    """No English word in the bot's texts (the office's name is a setting, and may be English)."""
    import re

    from campaigns.settings import get_settings

    office = get_settings().office_name
    return not any(re.search(r"[A-Za-z]{2,}", t.replace(office, "")) for t in texts)


def test_a_walk_in_chat_that_says_nihao_is_screened_in_mandarin(resident):
    r = resident("chat:web-nihao", channel="chat")
    greeting = r.say("你好")
    assert GREETING in greeting[0] and english_free(greeting)
    assert ASK_TEMPERATURE in r.say("是的")[0]
    assert ASK_SYMPTOMS in r.say("三十八度六")[0]
    assert ASK_OTHERS in r.say("咳嗽和嗓子疼")[0]
    closing = r.say("没有")
    assert "卫生工作人员会尽快跟进" in closing[0]
    assert all(english_free(replies) for _, replies in r.transcript)
    [row] = r.rows()
    assert (row.temperature_c, row.temperature_said, row.symptoms, row.red_flags) == (
        38.6, "三十八度六", "cough;sore_throat", "")
    assert (row.abnormal, row.outcome, row.channel) == (True, "completed", "chat")
    assert [e.kind for e in r.escalations()] == ["abnormal"]


def test_an_sms_walk_in_who_writes_chinese_gets_the_mandarin_texts(resident):
    r = resident("+8613800000301", channel="sms")  # a number nobody listed: a walk-in
    greeting = r.say("你好")[0]
    assert "请回复是或否" in greeting  # the SMS variant, in Mandarin
    r.talk("是的", "36.5")
    assert "请回复有的症状" in r.transcript[-1][1][0]
    r.talk("没有", "没有")
    [row] = r.rows()
    assert (row.temperature_c, row.outcome, row.channel) == (36.5, "completed", "sms")


@pytest.mark.parametrize("channel, sender", [("chat", "chat:web-help"), ("sms", "+8613800000302")])
def test_a_first_message_asking_for_help_is_escalated_in_mandarin(resident, channel, sender):
    r = resident(sender, channel=channel)
    reply = r.say("我需要帮助")
    assert "我已经把您的请求转给卫生办公室" in reply[0]
    [esc] = r.escalations()
    assert (esc.kind, esc.severity) == ("help_request", "high") and "我需要帮助" in esc.detail
    assert r.rows() == []


@pytest.mark.parametrize("said", ["退订", "别再打了"])
def test_a_mandarin_opt_out_mid_screening_keeps_the_answers_given(resident, said):
    r = resident("chat:web-optout-" + str(len(said)), channel="chat")
    r.talk("你好", "是的")
    assert ASK_SYMPTOMS in r.say("三十八度五")[0]
    assert "健康筛查不会再联系您" in r.say(said)[0]
    [row] = r.rows()
    assert (row.outcome, row.temperature_c, row.temperature_said, row.symptoms, row.abnormal) == (
        "opted_out", 38.5, "三十八度五", None, True)
    [opt] = r.opt_outs()
    assert opt.said == said
    assert r.household().opted_out_at is not None


def test_asking_for_a_person_in_mandarin_escalates_and_the_screening_goes_on(resident):
    r = resident("chat:web-human", channel="chat")
    r.talk("你好", "是的", "三十六度九")
    replies = r.say("转人工")
    assert "我已经请工作人员给您回电话" in replies[0] and ASK_SYMPTOMS in replies[1]
    assert "谢谢您的回答。祝您健康" in r.talk("没有", "没有")[0]
    assert [e.kind for e in r.escalations()] == ["staff_callback"]
    [row] = r.rows()
    assert (row.outcome, row.temperature_c, row.symptoms) == ("completed", 36.9, "")


def test_call_me_later_in_mandarin_asks_when_and_records_the_callback(resident):
    r = resident("chat:web-later", channel="chat")
    r.say("你好")
    assert "什么时候联系您比较方便" in r.say("晚点再打")[0]
    closing = r.say("明天上午九点")[0]
    assert "我们会在" in closing and "09:00" in closing and "再联系您" in closing
    [row] = r.rows()
    assert row.outcome == "callback_requested" and row.temperature_c is None
    local = row.callback_at.astimezone(timezone.utc)  # a walk-in's household keeps the default zone, UTC
    assert (local.hour, local.minute) == (9, 0)


def test_a_chat_that_proves_a_mandarin_households_number_speaks_mandarin(resident, db):
    phone = "+8613800000303"
    _household(db, id="H-zh-chat", phone=phone, contact_name="王芳", members=1, language="zh", timezone="UTC")
    r = resident("chat:web-proved", channel="chat")
    assert "Is now a good time" in r.say("hello")[0]  # an anonymous walk-in who wrote English
    r.say("/session_start", metadata={"phone": phone})  # what the chat channel does once the code is right
    greeting = r.say("hi")[0]
    assert GREETING in greeting and "找王芳家" in greeting  # the household's language, and its greeting in full
    r.talk("是的", "三十七度", "没有")
    assert "祝您健康" in r.say("没有")[0]
    [row] = r.rows()
    assert (row.household_id, row.temperature_c, row.outcome) == ("H-zh-chat", 37.0, "completed")


def test_a_chat_that_proves_an_unlisted_number_keeps_its_language(resident):
    r = resident("chat:web-unlisted", channel="chat")
    assert GREETING in r.say("你好")[0]
    r.say("/session_start", metadata={"phone": "+8613800000304"})  # nobody's number: a walk-in still
    assert GREETING in r.say("36.8")[0]  # no letters to go by: the chat's language so far


def test_a_chat_switched_to_english_keeps_english_when_it_proves_an_unlisted_number(resident):
    r = resident("chat:web-unlisted-en", channel="chat")
    r.say("你好")
    assert r.say("English")[0] == "All right, we'll use English."
    r.say("/session_start", metadata={"phone": "+8613800000305"})  # not what the chat's first message said
    assert "Is now a good time" in r.say("36.8")[0]


def test_a_listed_household_keeps_its_own_language_whatever_it_writes(resident, db):
    phone = "+14155557501"
    _household(db, id="H-en-sms", phone=phone, language="en", timezone="UTC")
    assert "health screening" in resident(phone, channel="sms").say("你好")[0]


@pytest.mark.parametrize("n, first, words", [(1, "hello", "Is now a good time"), (2, "36.8", "Is now a good time"),
                                             (3, "三十八度", GREETING), (4, "hi 你好", GREETING)])
def test_a_walk_ins_first_message_chooses_the_language(resident, n, first, words):
    r = resident(f"chat:web-first-{n}", channel="chat")
    assert words in r.say(first)[0]
