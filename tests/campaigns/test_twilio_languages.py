"""Mandarin and mixed-language campaigns end to end: the dispatcher and the Twilio carrier, the local
Twilio emulator, and the live Rasa server with the real model and actions. Each household is spoken
to in its own language (else the campaign's), with that language's voice, recogniser and hints."""
from __future__ import annotations

import asyncio
import csv
import re

from sqlmodel import Session, select

from bot.channels.gsm7 import fits_one_segment, is_gsm7
from campaigns.household_lists.importer import import_households
from campaigns.records.models import Household, OptOut, Screening
from campaigns.settings import Settings
from tests.campaigns.twilio_helpers import (
    all_settled, community_households, ended, new_phone, run_campaign, settled, texting,
)
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID
from tests.twilio_emulator import STOP_CONFIRMATION, Resident, TwilioEmulator

OPTED_OUT_ZH = "健康筛查不会再联系您。再见。"  # utter_opt_out_confirmed, Mandarin
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def screenings(engine, household_id: str) -> list[Screening]:
    with Session(engine) as session:
        return list(session.exec(select(Screening).where(Screening.household_id == household_id)
                                 .order_by(Screening.person_index)).all())


def household(engine, household_id: str) -> Household:
    with Session(engine) as session:
        return session.get(Household, household_id)


def mandarin_households(*phones: str, members: int = 1, language: str = "zh") -> list[Household]:
    rows = community_households(*phones, members=members, languages={phone: language for phone in phones})
    for row, name in zip(rows, ("王芳", "李伟", "张敏")):
        row.contact_name = name  # the greeting names the household
    return rows


def says_mandarin(text: str) -> bool:
    """Chinese, and no English word but the office's name (a setting, said as it is written)."""
    text = text.replace(Settings().office_name, "")
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not ENGLISH_WORD.search(text)


# --- voice ---------------------------------------------------------------------------------------

def test_twilio_mandarin_call_speaks_and_listens_in_mandarin_and_records_the_answers(live_server, live_db):
    phone = new_phone()
    resident = Resident(answers=["speech:是的", "speech:三十八度六", "speech:咳嗽", "dtmf:1", "speech:一个",
                                 "dtmf:375#", "speech:没有"])
    campaign, emulator = run_campaign(live_server, live_db, {phone: resident}, until=settled,
                                      households=mandarin_households(phone, members=2))

    [attempt] = campaign.attempts()
    call = next(iter(emulator.calls.values()))
    assert (attempt.status, call.ended_by) == ("completed", "app")
    assert {(say.language, say.voice) for say in call.says} == {("cmn-CN", "Polly.Zhiyu")}
    assert all(says_mandarin(say.text) for say in call.says), call.heard
    assert "王芳" in call.heard[0]
    assert {gather.language for gather in call.gathers} == {"cmn-Hans-CN"}
    temperature, symptoms = call.gathers[1], call.gathers[2]  # after the yes to "is now a good time?"
    assert "三十八度六" in temperature.hints and "三十七点五" in temperature.hints
    assert {"咳嗽", "发烧", "没有"} <= set(symptoms.hints)
    assert all(not ENGLISH_WORD.search(hint) for gather in call.gathers for hint in gather.hints)
    rows = screenings(live_db, attempt.household_id)
    assert [(r.person_index, r.temperature_c, r.temperature_said, r.symptoms, r.abnormal, r.outcome)
            for r in rows] == [(0, 38.6, "三十八度六", "cough", True, "completed"),
                               (1, 37.5, "375", "", True, "completed")]


def test_twilio_mandarin_silence_is_reprompted_in_mandarin(live_server, live_db):
    phone = new_phone()
    resident = Resident(answers=["speech:好的", "silence", "silence", "silence"])
    campaign, emulator = run_campaign(live_server, live_db, {phone: resident}, until=settled,
                                      households=mandarin_households(phone))

    call = next(iter(emulator.calls.values()))
    assert call.heard.count("抱歉，我没有听到您的回答。") == 2
    assert call.heard[-1] == "我们听不到您的声音，会另找时间再给您打电话。再见。"
    assert all(says_mandarin(text) for text in call.heard)
    assert {gather.language for gather in call.gathers} == {"cmn-Hans-CN"}
    assert all("三十八度六" in gather.hints for gather in call.gathers[1:])  # the temperature, re-asked


def import_list(engine, tmp_path, rows: list[list[str]]) -> list[Household]:
    """A household list imported as an office would: (household_id, phone, language) rows in one community."""
    path = tmp_path / "households.csv"
    community = rows[0][0].rsplit("-", 1)[0]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["household_id", "phone", "contact_name", "language", "community"]]
                                     + [[*row[:2], row[3], row[2], community] for row in rows])
    report = import_households(engine, path=path, region="US", default_timezone="UTC", rejects_path=None)
    assert [(r.household_id, r.reason) for r in report.rejects] == [
        (row[0], f"unsupported language {row[2]!r} (the bot speaks en, zh)") for row in rows if row[2] == "fr"]
    with Session(engine) as session:
        return list(session.exec(select(Household).where(Household.community == community)
                                 .order_by(Household.id)).all())


def test_twilio_mixed_campaign_calls_each_household_in_its_own_language(live_server, live_db, tmp_path):
    phones = [new_phone() for _ in range(4)]
    community = f"mixed-{phones[0][-4:]}"
    households = import_list(live_db, tmp_path, [
        [f"{community}-1", phones[0], "EN", "Ann Lee"],
        [f"{community}-2", phones[1], "zh-CN", "王芳"],
        [f"{community}-3", phones[2], "", "李伟"],  # no language: the campaign's
        [f"{community}-4", phones[3], "fr", "Jean"],  # rejected; the rest imports
    ])
    assert [(h.phone, h.language) for h in households] == [(phones[0], "en"), (phones[1], "zh"), (phones[2], "")]
    residents = {phones[0]: Resident(answers=["speech:yes", "speech:thirty seven point two", "speech:none",
                                              "dtmf:2"]),
                 phones[1]: Resident(answers=["speech:是的", "speech:三十八度", "speech:发烧", "speech:不是"]),
                 phones[2]: Resident(answers=["dtmf:1", "dtmf:365#", "speech:没有", "dtmf:2"])}
    campaign, emulator = run_campaign(
        live_server, live_db, residents, until=all_settled, households=households,
        language="zh", voices={"en": "Polly.Joanna", "zh": "Polly.Zhiyu-Neural"})

    calls = {call.to: call for call in emulator.calls.values()}
    english, mandarin, campaigns_own = calls[phones[0]], calls[phones[1]], calls[phones[2]]
    assert {(s.language, s.voice) for s in english.says} == {("en-US", "Polly.Joanna")}
    assert {g.language for g in english.gathers} == {"en-US"} and "thirty seven" in english.gathers[1].hints
    assert "Ann Lee" in english.heard[0] and not any(re.search(r"[\u4e00-\u9fff]", t) for t in english.heard)
    for call in (mandarin, campaigns_own):
        assert {(s.language, s.voice) for s in call.says} == {("cmn-CN", "Polly.Zhiyu-Neural")}
        assert {g.language for g in call.gathers} == {"cmn-Hans-CN"} and "三十八度" in call.gathers[1].hints
        assert all(says_mandarin(text) for text in call.heard), call.heard
    recorded = {h.phone: [(r.temperature_c, r.temperature_said, r.symptoms, r.abnormal)
                          for r in screenings(live_db, h.id)] for h in households}
    assert recorded == {phones[0]: [(37.2, "thirty seven point two", "", False)],
                        phones[1]: [(38.0, "三十八度", "fever", True)],
                        phones[2]: [(36.5, "365", "", False)]}


# --- SMS -----------------------------------------------------------------------------------------

def test_twilio_mandarin_sms_screening_is_texted_in_mandarin_and_recorded(live_server, live_db):
    phone = new_phone()
    campaign, emulator, _ = texting(live_server, live_db, {phone: Resident(answers=["是", "三十七度二", "没有", "不是"])},
                                    until=ended, households=mandarin_households(phone))

    [attempt] = campaign.attempts()
    texts = emulator.texts[phone]
    assert len(texts) >= 4 and all(says_mandarin(text) for text in texts), texts
    assert all(fits_one_segment(text) and not is_gsm7(text) for text in texts)
    [row] = screenings(live_db, attempt.household_id)
    assert (row.channel, row.temperature_c, row.temperature_said, row.symptoms, row.abnormal, row.outcome) == (
        "sms", 37.2, "三十七度二", "", False, "completed")


def test_twilio_mandarin_sms_stop_is_confirmed_by_twilio_and_keeps_the_answers(live_server, live_db):
    phone = new_phone()
    campaign, emulator, _ = texting(live_server, live_db, {phone: Resident(answers=["是", "38.1", "STOP"])},
                                    until=ended, households=mandarin_households(phone))

    [attempt] = campaign.attempts()
    assert emulator.texts[phone][-1] == STOP_CONFIRMATION  # Twilio's, in English; we answer nothing
    assert all(says_mandarin(text) for text in emulator.texts[phone][:-1])
    assert phone in emulator.unsubscribed
    assert household(live_db, attempt.household_id).opted_out_at is not None
    [row] = screenings(live_db, attempt.household_id)
    assert (row.outcome, row.temperature_c) == ("opted_out", 38.1)
    with Session(live_db) as session:
        [opt_out] = session.exec(select(OptOut).where(OptOut.household_id == attempt.household_id)).all()
    assert (opt_out.channel, opt_out.said) == ("sms", "STOP")


def test_twilio_mandarin_sms_tuiding_opts_out_keeps_the_answers_and_we_confirm_in_mandarin(live_server, live_db):
    phone = new_phone()
    campaign, emulator, _ = texting(live_server, live_db, {phone: Resident(answers=["是", "三十八度一", "退订"])},
                                    until=ended, households=mandarin_households(phone))

    [attempt] = campaign.attempts()
    confirmation = emulator.texts[phone][-1]
    assert confirmation == OPTED_OUT_ZH  # ours: Twilio does not reserve 退订
    assert fits_one_segment(confirmation) and not is_gsm7(confirmation)
    assert phone not in emulator.unsubscribed
    assert (attempt.status, household(live_db, attempt.household_id).opted_out_at is not None) == ("completed", True)
    [row] = screenings(live_db, attempt.household_id)
    assert (row.outcome, row.temperature_c, row.temperature_said) == ("opted_out", 38.1, "三十八度一")
    with Session(live_db) as session:
        [opt_out] = session.exec(select(OptOut).where(OptOut.household_id == attempt.household_id)).all()
    assert (opt_out.channel, opt_out.said) == ("sms", "退订")  # what the resident wrote


def test_twilio_sms_td_with_no_conversation_open_opts_out_and_is_confirmed_in_the_households_language(
        live_server, live_db):
    mandarin, english = new_phone(), new_phone()
    rows = mandarin_households(mandarin) + community_households(english)
    ids = [row.id for row in rows]
    with Session(live_db) as session:
        for row in rows:
            session.add(row)
        session.commit()

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN, sms_url=f"{live_server.url}/webhooks/sms/inbound",
                                  our_number=CALLER_ID) as emulator:
            replies = [await emulator.text_us(mandarin, "td"), await emulator.text_us(english, "退订。")]
            return replies, emulator

    replies, emulator = asyncio.run(main())
    assert [status for status, _ in replies] == [200, 200]
    assert emulator.texts[mandarin] == [OPTED_OUT_ZH]
    assert emulator.texts[english] == ["You will not be contacted again by the health screening. Goodbye."]
    assert all(household(live_db, household_id).opted_out_at is not None for household_id in ids)
