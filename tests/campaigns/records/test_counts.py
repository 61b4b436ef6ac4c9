"""The one way of counting (records/counts.py): targeted, reached, unreachable, opted out, screened,
abnormal, urgent and help requests, per round, per day and community or language, per campaign."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from campaigns.records import counts, progress, summaries
from campaigns.records.counts import Tally
from campaigns.records.models import Attempt, Campaign, Escalation, Household, OptOut, Screening
from sqlmodel import Session
from tests.campaigns.engine_helpers import add, household, utc

DAY, NEXT = date(2024, 3, 5), date(2024, 3, 6)
AT = utc(2024, 3, 5, 9)


def attempt(household_id: str, round_no: int, status: str, *, try_no: int = 1, placed: bool = True,
            conversation: str | None = None, campaign: str = "c1", day: date = DAY) -> Attempt:
    return Attempt(campaign_id=campaign, household_id=household_id, day=day, round_no=round_no, try_no=try_no,
                   due_at=AT, placed_at=AT if placed else None, status=status, conversation_id=conversation)


def screening(household_id: str, conversation: str, *, person: int = 0, answered: bool = True, **fields) -> Screening:
    return Screening(household_id=household_id, conversation_id=conversation, person_index=person, campaign_id="c1",
                     started_at=AT, finished_at=AT + timedelta(minutes=3),
                     temperature_c=36.6 if answered else None, **fields)


@pytest.fixture
def day_of_calls(db):
    """Day 2024-03-05 of c1, two rounds; another campaign and another day beside it."""
    add(db, Campaign(id="c1", spec_json="{}"), Campaign(id="c2", spec_json="{}"),
        household("A", "+14155550101", community="North"), household("B", "+14155550102", community="North"),
        household("C", "+14155550103", community="South"), household("E", "+14155550104", community="South"),
        household("F", "+14155550105"), household("G", "+14155550106", community="North"))
    add(db,
        # A: reached in both rounds; two people in round 1 (one abnormal), urgent in round 2.
        attempt("A", 1, "completed", conversation="a1"), attempt("A", 2, "completed", conversation="a2"),
        # B: every attempt of both rounds failed: unreachable in each round and on the day.
        attempt("B", 1, "no_answer"), attempt("B", 1, "busy", try_no=2), attempt("B", 2, "failed"),
        # C: reached and opted out in round 1, skipped in round 2.
        attempt("C", 1, "completed", conversation="c1"), attempt("C", 2, "skipped", placed=False),
        # E: not reached in round 1, then skipped: unreachable in round 1 only, not on the day.
        attempt("E", 1, "no_answer"), attempt("E", 2, "skipped", placed=False),
        # F: still due in round 1, being called in round 2.
        attempt("F", 1, "due", placed=False), attempt("F", 2, "dialing"),
        # G: reached, asked for help.
        attempt("G", 1, "completed", conversation="g1"),
        # Not this campaign, not this day.
        attempt("A", 1, "completed", campaign="c2", conversation="a-c2"),
        attempt("G", 1, "completed", day=NEXT, conversation="g-next"))
    add(db,
        screening("A", "a1"), screening("A", "a1", person=1, abnormal=True),
        screening("A", "a2", abnormal=True, urgent=True), screening("A", "a2", person=1, answered=False),
        screening("C", "c1", answered=False, outcome="opted_out"),
        screening("G", "g1", answered=False, symptoms=""),  # "no symptoms" is an answer
        screening("A", "a-c2", abnormal=True), screening("G", "g-next", abnormal=True),
        OptOut(household_id="C", channel="voice", conversation_id="c1", said="STOP"),
        Escalation(household_id="G", kind="help_request", severity="high", conversation_id="g1"),
        Escalation(household_id="A", kind="abnormal", severity="high", conversation_id="a1"))
    return db


def test_a_day_per_community_follows_each_rule(day_of_calls):
    with Session(day_of_calls) as session:
        found = counts.by_community(session, day=DAY, campaign_id="c1")
    assert found == [
        ("North", Tally(targeted=3, reached=2, unreachable=1, screened=4, abnormal=2, urgent=1, help_requests=1)),
        ("South", Tally(targeted=2, reached=1, opted_out=1)),
        (counts.NO_COMMUNITY, Tally(targeted=1, due=1, dialling=1)),
    ]


def test_every_campaign_of_a_day_counts_a_household_once(day_of_calls):
    with Session(day_of_calls) as session:
        north = dict(counts.by_community(session, day=DAY))["North"]
    assert (north.targeted, north.reached, north.screened, north.abnormal) == (3, 2, 5, 3)


def test_rounds_use_the_same_rules_and_add_up_to_the_people_of_the_day(day_of_calls):
    with Session(day_of_calls) as session:
        rounds = progress.round_progress(session, campaign_id="c1")
        day = counts.tally(session, by=("day",), campaign_id="c1")[(DAY,)]
    assert [(r.day, r.round_no) for r in rounds] == [(DAY, 1), (DAY, 2), (NEXT, 1)]
    rounds = rounds[:2]
    assert [(r.round_no, r.households, r.reached, r.due, r.dialling, r.unreachable, r.abnormal) for r in rounds] == [
        (1, 6, 3, 1, 0, 2, 1),  # B and E unreachable in round 1
        (2, 5, 1, 0, 1, 1, 1),  # C and E skipped: not unreachable
    ]
    assert sum(r.abnormal for r in rounds) == day.abnormal == 2
    assert day.unreachable == 1  # E was skipped later in the day: no field visit


def test_campaign_totals_count_households_once_and_unreachable_days(day_of_calls):
    add(day_of_calls, attempt("B", 1, "no_answer", day=NEXT))  # B: not reached on the 6th either (c1)
    with Session(day_of_calls) as session:
        totals = counts.campaign_totals(session, campaign_id="c1")
    assert (totals.households.targeted, totals.households.reached, totals.never_reached) == (6, 3, 3)
    assert (totals.unreachable_days, totals.households.opted_out) == (2, 1)  # B on both days
    assert (totals.calls_placed, totals.retries) == (11, 0)
    assert (totals.households.screened, totals.households.abnormal, totals.households.urgent) == (5, 3, 1)


def test_daily_summary_lines_end_with_their_sum(day_of_calls):
    with Session(day_of_calls) as session:
        summary = summaries.daily_summary(session, day=DAY, campaign_id="c1")
    assert [line.community for line in summary.lines] == ["North", "South", counts.NO_COMMUNITY, summaries.TOTAL]
    assert summary.total == summaries.DailyLine(summaries.TOTAL, households_targeted=6, reached=3, unreachable=1,
                                                opted_out=1, people_screened=4, abnormal=2, urgent=1, help_requests=1)
    assert summaries.csv_lines(summary)[-1] == ["2024-03-05", "c1", summaries.TOTAL, 6, 3, 1, 1, 4, 2, 1, 1]


def set_languages(engine, languages: dict[str, str], campaign_spec: str = "{}") -> None:
    with Session(engine) as session:
        for household_id, language in languages.items():
            session.get(Household, household_id).language = language
        session.get(Campaign, "c1").spec_json = campaign_spec
        session.commit()


@pytest.mark.parametrize("spec, unspoken", [("{}", "en"), ('{"language": "zh"}', "zh")],
                         ids=["english-campaign", "mandarin-campaign"])
def test_per_language_reads_the_households_language_as_the_bot_does(day_of_calls, spec, unspoken):
    # Written as lists write them; F's French and G's empty language are spoken the campaign's.
    set_languages(day_of_calls, {"A": "zh", "B": "ZH", "C": "cmn", "E": "en", "F": "fr", "G": ""}, spec)
    with Session(day_of_calls) as session:
        found = dict(counts.by_language(session, day=DAY, campaign_id="c1"))
        communities = counts.by_community(session, day=DAY, campaign_id="c1")
    zh = Tally(targeted=3, reached=2, unreachable=1, opted_out=1, screened=3, abnormal=2, urgent=1)  # A, B, C
    english = Tally(targeted=1)  # E: not reached, then skipped
    unspoken_ones = Tally(targeted=2, reached=1, due=1, dialling=1, screened=1, help_requests=1)  # F, G
    if unspoken == "zh":
        assert found == {"zh": zh + unspoken_ones, "en": english}
    else:
        assert found == {"zh": zh, "en": english + unspoken_ones}
    assert counts.total(list(found.items())) == counts.total(communities)  # the same day, grouped otherwise


def test_per_language_over_a_campaign_counts_a_household_once_in_languages_order(day_of_calls):
    set_languages(day_of_calls, {"G": "zh-CN"})  # reached on both days of c1
    with Session(day_of_calls) as session:
        found = counts.by_language(session, campaign_id="c1")
        totals = counts.campaign_totals(session, campaign_id="c1")
    assert [code for code, _ in found] == ["en", "zh"]
    assert found[1] == ("zh", Tally(targeted=1, reached=1, screened=2, abnormal=1, help_requests=1))
    assert counts.total(found) == totals.households


def test_a_day_without_attempts_is_all_zero(db):
    with Session(db) as session:
        summary = summaries.daily_summary(session, day=DAY)
        totals = counts.campaign_totals(session, campaign_id="none")
        languages = counts.by_language(session, day=DAY)
    assert languages == []
    assert summary.lines == [summaries.DailyLine(summaries.TOTAL, 0, 0, 0, 0, 0, 0, 0, 0)]
    assert (totals.households, totals.unreachable_days, totals.calls_placed) == (Tally(), 0, 0)


def test_counts_agree_on_postgres(pg_db):
    add(pg_db, Campaign(id="c1", spec_json="{}"), household("A", "+14155550101", community="North"),
        household("B", "+14155550102", language="zh-CN"))
    add(pg_db, attempt("A", 1, "completed", conversation="a1"), attempt("B", 1, "no_answer"))
    add(pg_db, screening("A", "a1", abnormal=True), OptOut(household_id="A", channel="voice", conversation_id="a1"))
    with Session(pg_db) as session:
        found = counts.by_community(session, day=DAY, campaign_id="c1")
        rounds = progress.round_progress(session, campaign_id="c1")
        languages = counts.by_language(session, day=DAY, campaign_id="c1")
    assert languages == [("en", Tally(targeted=1, reached=1, opted_out=1, screened=1, abnormal=1)),
                         ("zh", Tally(targeted=1, unreachable=1))]
    assert found == [("North", Tally(targeted=1, reached=1, opted_out=1, screened=1, abnormal=1)),
                     (counts.NO_COMMUNITY, Tally(targeted=1, unreachable=1))]
    assert [(r.households, r.reached, r.unreachable, r.abnormal) for r in rounds] == [(2, 1, 1, 1)]
