"""Writes examples/population-500.csv, the demo's simulated households (deterministic).

About a third of the households speak Mandarin (`zh`): all of Old Town (Asia/Shanghai) and
about one in nine of the American communities. A Mandarin household has Chinese names and
answers in Mandarin as residents say it, with the same proportions of answers, refusals and
opt-outs as an English one. The English rows draw from the same seeded stream as before
Mandarin was added; the language has a stream of its own, so adding it left them unchanged.

Usage: python scripts/make_population.py [COUNT] [OUT.csv]
"""
from __future__ import annotations

import csv
import json
import random
import sys
from typing import TextIO

import phonenumbers

ZONES = [("+1202", "America/New_York", "Riverside"), ("+1312", "America/Chicago", "Lakeside"),
         ("+1415", "America/Los_Angeles", "Hillview"), ("+86138", "Asia/Shanghai", "Old Town")]
MANDARIN_COMMUNITIES = {"Old Town"}
MANDARIN_ELSEWHERE = 1 / 9  # the share of Mandarin households in the other communities
SEED, LANGUAGE_SEED = 2020, 2021
FIELDS = ["household_id", "phone", "contact_name", "members", "member_names", "language", "timezone", "community",
          "pickup", "says_consent", "says_temperature", "says_feels_feverish", "says_symptoms",
          "says_others_unwell", "others", "says_callback"]
PICKUP = [("answer", 70), ("no_answer;answer", 8), ("busy;answer", 6), ("machine;answer", 4),
          ("failed;answer", 2), ("no_answer;no_answer;no_answer;no_answer;no_answer;no_answer;no_answer;no_answer;answer", 4),
          ("busy;busy;answer", 3)]

# What residents say, per language. A language's tables line up with the English ones, entry
# for entry and weight for weight, so both answer alike: the same share flagged, unclear,
# refusing or opting out. The first six temperatures are readings (others' are drawn from those).
SAYS = {
    "en": {
        "names": ["Ana", "Wei", "Sam", "Lena", "Omar", "Mei", "Ravi", "Ines", "Tom", "Yara", "Jun", "Eva"],
        "consent": [("yes", 70), ("sure, go ahead", 12), ("not now, call me back at 6pm;yes", 5), ("no thanks", 3),
                    ("STOP", 2), ("wrong number", 2), ("I need to talk to a nurse", 1), ("mm", 3)],
        "temperature": [("36.6", 30), ("36.9", 15), ("thirty seven point one", 10), ("37.8", 8), ("38.4", 5),
                        ("101 F", 3), ("we don't have a thermometer", 6), ("45", 2), ("three six eight", 6)],
        "symptoms": [("no", 40), ("nothing", 15), ("a bit of a cough", 8), ("sore throat and a headache", 6),
                     ("runny nose", 5), ("I can't breathe properly and I have chest pain", 2),
                     ("fever and chills", 3), ("I lost my sense of smell", 2), ("no symptoms at all", 10)],
        "not_measured": {"we don't have a thermometer"},
        "feverish": ["no", "yes, a little"],
        "others_unwell": ("yes", "no"),
        "callback_later": {},  # consents that ask for a callback without a time, and when
    },
    "zh": {
        "names": ["王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周丽", "吴杰", "徐婷", "孙浩"],
        "consent": [("是的", 45), ("好的", 25), ("可以，你问吧", 12), ("现在不方便，晚上六点再打吧;好的", 3),
                    ("在忙，晚点再打;好的", 2), ("不用了，谢谢", 3), ("别再打了", 2), ("打错了", 2),
                    ("我想跟护士说话", 1), ("啊？", 3)],
        "temperature": [("三十六度六", 30), ("37度2", 15), ("体温37.1", 10), ("37.8", 8), ("三十八度半", 5),
                        ("华氏一百零一度", 3), ("家里没有体温计", 6), ("45度", 2), ("三十六度八", 6)],
        "symptoms": [("没有", 40), ("都没有", 15), ("有点咳嗽", 8), ("嗓子疼还有点头疼", 6), ("流鼻涕", 5),
                     ("喘不上气，胸口疼", 2), ("发烧，还发冷", 3), ("闻不到味道了", 2), ("什么症状都没有", 10)],
        "not_measured": {"家里没有体温计"},
        "feverish": ["没有", "有一点"],
        "others_unwell": ("有", "没有"),
        "callback_later": {"在忙，晚点再打;好的": ["晚上", "明天上午九点"]},
    },
}


def pick(rng: random.Random, table):
    values, weights = zip(*table)
    return rng.choices(values, weights)[0]


def phone(prefix: str, n: int) -> str:
    number = f"{prefix}{5550000 + n:07d}" if prefix.startswith("+1") else f"{prefix}{10000000 + n:08d}"
    parsed = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(parsed), number
    return number


def language(languages: random.Random, community: str) -> str:
    draw = languages.random()  # drawn for every row, so one row's language never moves another's
    return "zh" if community in MANDARIN_COMMUNITIES or draw < MANDARIN_ELSEWHERE else "en"


def row(rng: random.Random, languages: random.Random, n: int) -> dict:
    prefix, zone, community = ZONES[n % len(ZONES)]
    code = language(languages, community)
    says = SAYS[code]
    members = rng.choice([1, 1, 2, 2, 3, 4, 5])
    names = rng.sample(says["names"], members)
    others = []
    if members > 1 and rng.random() < 0.15:
        others = [{"temperature": pick(rng, says["temperature"][:6]), "symptoms": pick(rng, says["symptoms"])}
                  for _ in range(rng.randint(1, members - 1))]
    temperature = pick(rng, says["temperature"])
    pickup = pick(rng, PICKUP)
    consent = pick(rng, says["consent"])
    later = says["callback_later"].get(consent)
    yes, no = says["others_unwell"]
    return {
        "household_id": f"H-{n:04d}", "phone": phone(prefix, n), "contact_name": names[0],
        "members": members, "member_names": ";".join(names), "language": code, "timezone": zone,
        "community": community, "pickup": pickup, "says_consent": consent,
        "says_temperature": temperature,
        "says_feels_feverish": rng.choice(says["feverish"]) if temperature in says["not_measured"] else "",
        "says_symptoms": pick(rng, says["symptoms"]), "says_others_unwell": yes if others else no,
        "others": json.dumps(others, ensure_ascii=False) if others else "",
        "says_callback": later[n % len(later)] if later else "",
    }


def rows(count: int) -> list[dict]:
    """The first `count` households, the same on every run."""
    rng, languages = random.Random(SEED), random.Random(LANGUAGE_SEED)
    return [row(rng, languages, n) for n in range(1, count + 1)]


def write(count: int, out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(rows(count))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    path = sys.argv[2] if len(sys.argv) > 2 else "examples/population-500.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write(count, handle)


if __name__ == "__main__":
    main()
