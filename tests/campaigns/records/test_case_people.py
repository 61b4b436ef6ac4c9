"""A household's people in words: names from the household list, readings as a case shows them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from campaigns.records import case_people
from campaigns.records.models import Screening

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc)
T1 = datetime(2024, 3, 5, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("contact, names, members, roster", [
    ("Lena", "Lena;Jun;Mei", 3, ["Lena", "Jun", "Mei"]),
    ("Lena", " Jun ; Lena ;;Mei", 3, ["Lena", "Jun", "Mei"]),  # the contact first, wherever listed
    (None, "Lena;Jun", 2, ["Lena", "Jun"]),  # no contact name: the list's first is the contact
    ("Lena", "Jun;Mei", 3, ["Lena", "Jun", "Mei"]),  # the list leaves the contact out
    ("Lena W.", "Lena;Jun", 2, ["Lena W.", "Jun"]),  # the list names everyone: its first is the contact
    ("Lena", None, 2, ["Lena"]),
    (None, None, 1, []),
], ids=["contact-first", "contact-listed-later", "no-contact-name", "contact-not-listed", "spelt-otherwise",
        "no-list", "nothing"])
def test_roster_contact_first(contact, names, members, roster):
    assert case_people.roster(contact_name=contact, member_names=names, members=members) == roster


@pytest.mark.parametrize("index, name, label", [
    (0, "Lena", "Lena (contact)"), (0, None, "contact"), (1, "Jun", "Jun"), (1, None, "member 2"),
    (4, None, "member 5"),
])
def test_label_never_a_code(index, name, label):
    assert case_people.label(index, name) == label


def row(index: int, *, at=T0, **fields) -> Screening:
    values = dict(household_id="H1", person_index=index, conversation_id="c", started_at=at, finished_at=at,
                  abnormal=True, symptoms="", red_flags="")
    values.update(fields)
    return Screening(**values)


@pytest.mark.parametrize("fields, words", [
    (dict(temperature_c=38.25, red_flags="difficulty_breathing"), "Lena (contact), 38.2 °C, difficulty breathing"),
    (dict(feels_feverish=True, symptoms="cough;nausea_vomiting;loss_of_taste_or_smell"),
     "Lena (contact), feels feverish, cough, nausea or vomiting, loss of taste or smell"),
    (dict(abnormal=False, temperature_said="fifty one", symptoms=None,
          reason="not judged: temperature unclear, symptoms not given"),
     "Lena (contact), temperature unclear, symptoms not given"),
    (dict(abnormal=False, reason="no answers given", symptoms=None, red_flags=None),
     "Lena (contact), no answers given"),
], ids=["fever-red-flag", "feverish-symptoms", "unclear", "no-answers"])
def test_person_words(fields, words):
    assert case_people.person_words(case_people.reading(row(0, **fields), name="Lena")) == words


def test_readings_keep_each_person_once_with_the_latest_reading():
    first = [case_people.reading(row(0, temperature_c=38.3), name="Lena"),
             case_people.reading(row(1, temperature_c=37.9), name="Jun")]
    later = [case_people.reading(row(1, at=T1, temperature_c=38.6, symptoms="cough"), name="Jun"),
             case_people.reading(row(2, at=T1, temperature_c=37.5), name=None)]
    people = case_people.merged(first, later)
    assert case_people.describe(people) == "Lena (contact), 38.3 °C; Jun, 38.6 °C, cough; member 3, 37.5 °C"
    assert case_people.merged(later, first) == people  # the order of arrival does not matter: the time does
    assert case_people.load(case_people.dump(people)) == people


def test_describe_says_how_many_more_when_the_detail_is_full():
    people = [case_people.reading(row(i, temperature_c=38.0, symptoms="cough;sore_throat;headache;fatigue"),
                                  name=f"Person number {i}") for i in range(30)]
    text = case_people.describe(people)
    assert len(text) <= case_people.DETAIL_MAX and text.endswith(" more")
    shown = text.count("°C")
    assert text.endswith(f"; and {30 - shown} more")


def test_joined_detail_adds_new_words_once_and_drops_the_oldest_when_full():
    text = case_people.joined_detail("resident said: I need food", "resident said: I need medicine")
    assert text == "resident said: I need food; resident said: I need medicine"
    assert case_people.joined_detail(text, "resident said: I need food") == text
    long = case_people.joined_detail("a" * 300, "b" * 300)
    assert long == "b" * 300
