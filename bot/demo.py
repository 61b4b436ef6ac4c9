"""Short scripted self-report chats, in English and Mandarin, through the real model and actions;
prints the rows written.

Usage: python -m bot.demo   (database: SCREENING_DATABASE_URL, by default out/screening.db)
"""
from __future__ import annotations

import asyncio
import sys

from sqlmodel import Session, func, select

from bot.inprocess import InProcessBot
from bot.model import ensure_model
from campaigns.records.db import get_engine
from campaigns.phones import mask_phone
from campaigns.records.households import find_household_by_phone
from campaigns.records.models import Escalation, Household, Screening
from campaigns.settings import get_settings

# (sender phone, what the resident writes, turn by turn)
SCRIPTS = [
    ("+14155550101", ["hi", "yes", "36.6", "no, nothing", "no"]),
    ("+14155550102", ["I want to report my temperature", "sure", "thirty eight point two",
                      "just a little cough and a sore throat", "yes, two of them", "37.9",
                      "runny nose", "we don't have a thermometer", "yes", "no symptoms"]),
    ("+14155550103", ["hello", "yes", "a hundred and one", "I have chest pain and I can't breathe", "no"]),
    ("+14155550104", ["hi", "no, call me tomorrow at 9"]),
    ("+14155550105", ["report", "yes", "45", "36.9", "I need medicine", "I can't smell anything", "nobody"]),
    ("+14155550106", ["hi", "STOP"]),
]
# The same residents in Mandarin households: the household's language, not the text, makes the
# conversation Mandarin (see `mandarin_household`).
ZH_SCRIPTS = [
    ("+8613900000101", ["你好", "好的", "36度6", "没有，都没有", "没有"]),
    ("+8613900000102", ["我要报体温", "可以", "三十八度二", "有点咳嗽，嗓子疼", "有，两个", "37度9",
                        "流鼻涕", "家里没有体温计", "是的", "没有症状"]),
    ("+8613900000103", ["喂，你好", "是的", "华氏一百零一度", "胸口疼，喘不上气", "没有"]),
    ("+8613900000104", ["你好", "不行，明天上午九点再打"]),
    ("+8613900000105", ["上报", "好", "45", "36度9", "我需要药", "闻不到味道", "没有别人"]),
    ("+8613900000106", ["你好", "退订"]),
]


def mandarin_household(session: Session, phone: str) -> Household:
    """A Mandarin-speaking household with this phone, as an imported list holds it. A conversation
    that names the phone in its session metadata (as the SMS channel does after a signed webhook)
    joins it, and the server sets the language from it."""
    household = find_household_by_phone(session, phone=phone)
    if household is None:
        household = Household(id=f"demo-zh-{phone.lstrip('+')}", phone=phone, language="zh")
        session.add(household)
        session.flush()
    return household


async def send_mandarin(bot: InProcessBot, phone: str, text: str) -> list[str]:
    """A Mandarin household's turn: the session metadata names its phone, never its language."""
    return await bot.send(phone, text, metadata={"phone": phone})


async def chat(bot: InProcessBot) -> None:
    for language, scripts in (("en", SCRIPTS), ("zh", ZH_SCRIPTS)):
        for sender, lines in scripts:
            print(f"\n--- resident {mask_phone(sender)} ({language}) ---")
            for line in lines:
                print(f"  resident: {line}")
                replies = await (bot.send(sender, line) if language == "en" else send_mandarin(bot, sender, line))
                for reply in replies:
                    print(f"  bot:      {reply}")


def last_ids(session: Session) -> tuple[int, int]:
    return (session.exec(select(func.max(Screening.id))).one() or 0,
            session.exec(select(func.max(Escalation.id))).one() or 0)


def print_rows(session: Session, after: tuple[int, int]) -> None:
    rows = session.exec(select(Screening).where(Screening.id > after[0]).order_by(Screening.id)).all()
    print(f"\nScreening rows written ({len(rows)}):")
    print(f"  {'household':<20} {'p':>1} {'temp':>5} {'symptoms':<28} {'red flags':<30} {'abn':<5} outcome")
    for r in rows:
        temp = f"{r.temperature_c:.1f}" if r.temperature_c is not None else "-"
        print(f"  {r.household_id:<20} {r.person_index:>1} {temp:>5} {(r.symptoms or '-'):<28.28} "
              f"{(r.red_flags or '-'):<30.30} {str(r.abnormal).lower():<5} {r.outcome}")
    escalations = session.exec(select(Escalation).where(Escalation.id > after[1]).order_by(Escalation.id)).all()
    print(f"\nEscalations raised ({len(escalations)}):")
    for e in escalations:
        print(f"  #{e.id:<4} {e.kind:<15} {e.severity:<8} {e.household_id:<20} {e.detail}")


def main() -> int:
    url = get_settings().database_url
    engine = get_engine(url)
    with Session(engine) as session:
        before = last_ids(session)
        for phone, _ in ZH_SCRIPTS:
            mandarin_household(session, phone)
        session.commit()
    bot = InProcessBot.load(ensure_model())
    asyncio.run(chat(bot))
    with Session(engine) as session:
        print_rows(session, before)
    print(f"\nDatabase: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
