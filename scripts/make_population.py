"""Writes examples/population-500.csv, the demo's simulated households (deterministic).

Usage: python scripts/make_population.py [COUNT] [OUT.csv]
"""
from __future__ import annotations

import csv
import json
import random
import sys

import phonenumbers

ZONES = [("+1202", "America/New_York", "Riverside"), ("+1312", "America/Chicago", "Lakeside"),
         ("+1415", "America/Los_Angeles", "Hillview"), ("+86138", "Asia/Shanghai", "Old Town")]
NAMES = ["Ana", "Wei", "Sam", "Lena", "Omar", "Mei", "Ravi", "Ines", "Tom", "Yara", "Jun", "Eva"]
CONSENT = [("yes", 70), ("sure, go ahead", 12), ("not now, call me back at 6pm;yes", 5), ("no thanks", 3),
           ("STOP", 2), ("wrong number", 2), ("I need to talk to a nurse", 1), ("mm", 3)]
TEMPERATURE = [("36.6", 30), ("36.9", 15), ("thirty seven point one", 10), ("37.8", 8), ("38.4", 5),
               ("101 F", 3), ("we don't have a thermometer", 6), ("45", 2), ("three six eight", 6)]
SYMPTOMS = [("no", 40), ("nothing", 15), ("a bit of a cough", 8), ("sore throat and a headache", 6),
            ("runny nose", 5), ("I can't breathe properly and I have chest pain", 2), ("fever and chills", 3),
            ("I lost my sense of smell", 2), ("no symptoms at all", 10)]
PICKUP = [("answer", 70), ("no_answer;answer", 8), ("busy;answer", 6), ("machine;answer", 4),
          ("failed;answer", 2), ("no_answer;no_answer;no_answer;no_answer;no_answer;no_answer;no_answer;no_answer;answer", 4),
          ("busy;busy;answer", 3)]


def pick(rng: random.Random, table):
    values, weights = zip(*table)
    return rng.choices(values, weights)[0]


def phone(prefix: str, n: int) -> str:
    number = f"{prefix}{5550000 + n:07d}" if prefix.startswith("+1") else f"{prefix}{10000000 + n:08d}"
    parsed = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(parsed), number
    return number


def row(rng: random.Random, n: int) -> dict:
    prefix, zone, community = ZONES[n % len(ZONES)]
    members = rng.choice([1, 1, 2, 2, 3, 4, 5])
    names = rng.sample(NAMES, members)
    others = []
    if members > 1 and rng.random() < 0.15:
        others = [{"temperature": pick(rng, TEMPERATURE[:6]), "symptoms": pick(rng, SYMPTOMS)}
                  for _ in range(rng.randint(1, members - 1))]
    temperature = pick(rng, TEMPERATURE)
    return {
        "household_id": f"H-{n:04d}", "phone": phone(prefix, n), "contact_name": names[0],
        "members": members, "member_names": ";".join(names), "language": "en", "timezone": zone,
        "community": community, "pickup": pick(rng, PICKUP), "says_consent": pick(rng, CONSENT),
        "says_temperature": temperature,
        "says_feels_feverish": rng.choice(["no", "yes, a little"]) if "thermometer" in temperature else "",
        "says_symptoms": pick(rng, SYMPTOMS), "says_others_unwell": "yes" if others else "no",
        "others": json.dumps(others) if others else "", "says_callback": "",
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    out = sys.argv[2] if len(sys.argv) > 2 else "examples/population-500.csv"
    rng = random.Random(2020)
    rows = [row(rng, n) for n in range(1, count + 1)]
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
