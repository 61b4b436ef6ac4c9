"""A short scripted self-report chat through the real model and actions; prints the rows written.

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
from campaigns.records.models import Escalation, Screening
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


async def chat(bot: InProcessBot) -> None:
    for sender, lines in SCRIPTS:
        print(f"\n--- resident {mask_phone(sender)} ---")
        for line in lines:
            print(f"  resident: {line}")
            for reply in await bot.send(sender, line):
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
    bot = InProcessBot.load(ensure_model())
    asyncio.run(chat(bot))
    with Session(engine) as session:
        print_rows(session, before)
    print(f"\nDatabase: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
