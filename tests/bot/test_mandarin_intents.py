"""Mandarin intents through the trained model and the real actions: a first message in Chinese
starts a screening, and 退订, 转人工, 我需要帮助 and 打错了 interrupt it, in a Mandarin household.

The household's language makes the conversation Mandarin (set server-side at session start);
what lands in the tables is asserted, as in test_conversations.py.
"""
from __future__ import annotations

import itertools
import re

import pytest
from sqlmodel import Session, select

from bot.demo import SCRIPTS, ZH_SCRIPTS, mandarin_household, send_mandarin
from campaigns.records.models import Household, Screening

CJK = re.compile(r"[\u4e00-\u9fff]")
GREETING = "现在方便回答"
ASK_TEMPERATURE = "您今天的体温是多少"
ASK_SYMPTOMS = "今天有以下症状吗"
_phones = itertools.count(1)


@pytest.fixture
def mandarin(resident, db):
    """A factory: a resident of a Mandarin-speaking household, texting from its listed phone."""

    def make():
        phone = f"+86139{next(_phones) + 5_000_000:08d}"
        with Session(db) as session:
            session.add(Household(id=f"H-zh-{phone[-4:]}", phone=phone, language="zh"))
            session.commit()
        return resident(phone)

    return make


@pytest.mark.parametrize("opening", ["你好", "喂，您好", "我要报体温", "上报"])
def test_a_first_message_in_chinese_starts_a_mandarin_screening(mandarin, opening):
    r = mandarin()
    assert GREETING in r.say(opening)[0]
    assert ASK_TEMPERATURE in r.say("好的")[0]
    assert ASK_SYMPTOMS in r.say("36度6")[0]
    r.talk("都没有", "没有")
    [row] = r.rows()
    assert (row.temperature_c, row.symptoms, row.outcome) == (36.6, "", "completed")


@pytest.mark.parametrize("said", ["退订", "别再打了", "不要给我打电话"])
def test_an_opt_out_in_chinese_during_the_screening_is_recorded(mandarin, said):
    r = mandarin()
    r.talk("你好", "可以")
    assert "不会再联系您" in r.say(said)[0]
    [opt_out] = r.opt_outs()
    assert opt_out.said == said and r.household().opted_out_at is not None
    assert [row.outcome for row in r.rows()] == ["opted_out"]


@pytest.mark.parametrize("said, kind, reply", [
    ("转人工", "staff_callback", "请工作人员给您回电话"),
    ("我要跟人说话", "staff_callback", "请工作人员给您回电话"),
    ("我需要帮助", "help_request", "转给卫生办公室"),
    ("家里没吃的", "help_request", "转给卫生办公室"),
])
def test_a_request_in_chinese_is_escalated_and_the_screening_carries_on(mandarin, said, kind, reply):
    r = mandarin()
    r.talk("你好", "是的")
    replies = r.say(said)
    assert reply in replies[0] and ASK_TEMPERATURE in replies[-1]
    assert [e.kind for e in r.escalations()] == [kind]
    r.talk("三十七度二", "没有", "没有")
    assert [row.temperature_c for row in r.rows()] == [37.2]


def test_a_wrong_number_in_chinese_flags_the_household(mandarin):
    r = mandarin()
    r.say("你好")
    assert "更正记录" in r.say("打错了，没有这个人")[0]
    assert r.household().wrong_number_at is not None


def test_a_callback_request_in_chinese_is_kept(mandarin):
    r = mandarin()
    r.say("你好")
    r.say("现在不方便，明天再打给我")
    assert [row.outcome for row in r.rows()] == ["callback_requested"]


def test_the_demo_mandarin_scripts_speak_mandarin_and_mirror_the_english_rows(screening_bot, event_loop_for_bot, db):
    with Session(db) as session:
        for phone, _ in ZH_SCRIPTS:
            mandarin_household(session, phone)
        session.commit()
    run = event_loop_for_bot.run_until_complete
    for (sender, english), (phone, chinese) in zip(SCRIPTS, ZH_SCRIPTS, strict=True):
        assert len(english) == len(chinese)
        for line in english:
            run(screening_bot.send(f"en-{sender}", line))
        for line in chinese:
            replies = run(send_mandarin(screening_bot, phone, line))
            assert replies and all(CJK.search(text) for text in replies), (line, replies)
    assert _rows_by_script(db, "en-") == _rows_by_script(db, "+86")


def _rows_by_script(engine, prefix: str) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id.startswith(prefix))
                            .order_by(Screening.id)).all()
    return [(r.person_index, r.temperature_c, r.symptoms, r.red_flags, r.abnormal, r.outcome) for r in rows]
