"""Chat links for real: the dispatcher texts each household a signed link (in its language, paced
by sms_per_second, good until the day's window closes), the simulated carrier opens it for
residents who answer, and each result names the channel that reached the household."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.channels.gsm7 import segments
from campaigns.outreach import chat_links
from campaigns.outreach.pacing import max_in_any_second
from campaigns.records import links
from campaigns.records.models import Screening
from campaigns.records.screenings import ChannelCount, add_screening, count_by_channel
from campaigns.carriers.residents import SimResident
from tests.campaigns.engine_helpers import (TIMINGS, Run, add, attempts, escalations, household, log_of, make_spec,
                                            screenings, unreachable_days, utc)

BEGIN = utc(2024, 3, 5, 0, 0)
R1 = utc(2024, 3, 5, 9, 0)
CLOSES = utc(2024, 3, 5, 20, 0)  # the window's close: when the day's links expire (households in UTC)
DAY_OVER = utc(2024, 3, 5, 21, 0)
PHONE, OTHER = "+12025550111", "+12025550112"
ONE_ROUND = {"start": "2024-03-05", "days": 1, "rounds": ["09:00"]}
LINKS = [{"type": "chat_link"}]
SMS_THEN_LINK = [{"type": "sms", "attempts": 1}, {"type": "chat_link"}]
TEXT = re.compile(r"Please complete today's health screening: (\S+)/r/([A-Za-z0-9_-]{24})")
ANSWERS = {"good_time": "yes", "temperature": "36.6", "symptoms": "no", "others_unwell": "no"}
S = timedelta(seconds=1)


@pytest.fixture
def loop(event_loop_for_bot):
    return event_loop_for_bot.run_until_complete


def read(db, token: str, now) -> tuple[str, int | None]:
    with Session(db) as session:
        check = links.read(session, token=token, now=now)
        return check.status.value, check.attempt_id


def token_sent(run: Run, phone: str) -> str:
    [(to, text)] = run.carrier.links
    match = TEXT.fullmatch(text)
    assert to == phone and match, text
    assert match.group(1) == (run.dispatcher.public_url or chat_links.LOCAL_URL)
    return match.group(2)


@pytest.mark.parametrize("language, words", [
    ("en", "Please complete today's health screening: "), ("zh", "请今天完成健康筛查："),
    (None, "Please complete"), ("fr", "Please complete")], ids=["en", "zh", "none", "unspoken"])
def test_link_text_is_in_the_language_and_one_sms_segment(language, words):
    url = links.link_url("https://screening.example.org", "A" * links.TOKEN_CHARS)
    text = chat_links.link_text(language, url)
    assert text.startswith(words) and text.endswith(url)
    assert segments(text) == 1
    # Mandarin is UCS-2: 70 code units in one segment, the words leave 60 for the link.
    assert segments(chat_links.link_text("zh", "https://x.org/r/" + "A" * 44)) == 1
    assert segments(chat_links.link_text("zh", "https://x.org/r/" + "A" * 45)) == 2


def test_a_chat_link_is_signed_for_its_attempt_opened_and_its_result_names_link(db, loop, screening_bot):
    add(db, household("lk1", PHONE))
    run = Run(db, make_spec(channels=LINKS, schedule=ONE_ROUND), begin=BEGIN,
              residents={PHONE: SimResident(says=ANSWERS)}, bot=screening_bot)
    loop(run.run_until(R1 + 5 * S))  # texted, not opened yet
    token = token_sent(run, PHONE)
    [attempt] = attempts(db, "lk1")
    assert (attempt.channel, attempt.status, attempt.placed_at) == ("chat_link", "dialing", R1)
    assert read(db, token, R1 + 5 * S) == ("ok", attempt.id)
    assert read(db, token, CLOSES) == ("expired", attempt.id)  # the day's window closes
    assert read(db, token[:-1] + ("A" if token[-1] != "A" else "B"), R1) == ("forged", None)

    loop(run.run_until(DAY_OVER))
    [attempt] = attempts(db, "lk1")
    opened = R1 + (TIMINGS.ring + TIMINGS.answer + TIMINGS.link_open) * S
    assert (attempt.status, attempt.answered_at) == ("completed", opened)
    [row] = screenings(db, "lk1")
    assert (row.channel, row.temperature_c, row.outcome, row.campaign_id) == ("link", 36.6, "completed", "c1")
    assert read(db, token, R1 + timedelta(hours=2)) == ("completed", attempt.id)  # used: it cannot start another
    assert run.calls_to(PHONE) == ["chat_link"]
    with Session(db) as session:
        assert count_by_channel(session, campaign_id="c1") == [ChannelCount("link", 1, 1)]


def test_sms_unanswered_falls_back_to_a_link_and_each_result_names_its_channel(db, loop, screening_bot):
    add(db, household("fb1", PHONE), household("fb2", OTHER, language="zh"))
    residents = {PHONE: SimResident(says=ANSWERS),
                 OTHER: SimResident(pickup=("busy", "answer"), says={**ANSWERS, "temperature": "38.5"})}
    run = Run(db, make_spec(channels=SMS_THEN_LINK, schedule=ONE_ROUND), begin=BEGIN, residents=residents,
              bot=screening_bot)
    loop(run.run_until(DAY_OVER))
    # The text goes unanswered (never "busy"): after the 4 h reply wait, the retry 2 h later is a link.
    [(r1, t1, kind1, ch1, due1, st1), (r2, t2, kind2, ch2, due2, st2)] = log_of(db, "fb2")
    assert (kind1, ch1, due1, st1) == ("round", "sms", R1, "no_answer")
    assert (kind2, ch2, st2) == ("retry", "chat_link", "completed")
    assert R1 + timedelta(hours=6) <= due2 < R1 + timedelta(hours=7)
    [(_, text)] = run.carrier.links
    assert text.startswith("请今天完成健康筛查：")  # the household's language
    assert [(s.channel, s.temperature_c) for s in screenings(db, "fb1")] == [("sms", 36.6)]
    assert [(s.channel, s.temperature_c) for s in screenings(db, "fb2")] == [("link", 38.5)]
    with Session(db) as session:
        assert count_by_channel(session, campaign_id="c1") == [ChannelCount("sms", 1, 1), ChannelCount("link", 1, 1)]


def test_a_link_never_opened_counts_as_unanswered_when_it_expires(db, loop):
    add(db, household("no1", PHONE))
    run = Run(db, make_spec(channels=LINKS, schedule=ONE_ROUND), begin=BEGIN,
              residents={PHONE: SimResident(pickup=("not_opened",))})
    loop(run.run_until(CLOSES - S))
    token = token_sent(run, PHONE)
    assert [a.status for a in attempts(db, "no1")] == ["dialing"]  # still good for a late opening
    loop(run.run_until(DAY_OVER))
    [attempt] = attempts(db, "no1")
    assert (attempt.status, attempt.detail) == ("no_answer", "the link was not opened before it expired")
    assert CLOSES <= attempt.ended_at <= CLOSES + timedelta(minutes=1)
    assert read(db, token, attempt.ended_at) == ("expired", attempt.id)
    assert [d.day.isoformat() for d in unreachable_days(db, "no1")] == ["2024-03-05"]
    assert len(escalations(db, "no1", "field_visit")) == 1
    assert run.calls_to(PHONE) == ["chat_link"]  # no retry: the round ended with the link


@pytest.mark.parametrize("pickup", ["undelivered", "failed"])
def test_an_undelivered_link_fails_and_waits_for_the_next_round(db, loop, pickup):
    add(db, household("ud1", PHONE))
    run = Run(db, make_spec(channels=LINKS), begin=BEGIN, residents={PHONE: SimResident(pickup=(pickup,))})
    loop(run.run_until(DAY_OVER))
    rows = [(a.round_no, a.status, a.detail, a.ended_at - a.placed_at) for a in attempts(db, "ud1")]
    ends = (TIMINGS.ring + TIMINGS.failed) * S
    assert rows == [(1, "failed", "simulated: the text was undelivered", ends),
                    (2, "failed", "simulated: the text was undelivered", ends)]  # failed: the next round
    assert run.calls_to(PHONE) == ["chat_link", "chat_link"]


@pytest.mark.parametrize("pickup", ["busy", "machine", "no_answer"])
def test_texts_and_links_are_never_busy_or_a_machine(db, loop, pickup):
    add(db, household("nb1", PHONE))
    run = Run(db, make_spec(channels=SMS_THEN_LINK, schedule=ONE_ROUND), begin=BEGIN,
              residents={PHONE: SimResident(pickup=(pickup,))})
    loop(run.run_until(DAY_OVER))
    assert [(a.channel, a.status) for a in attempts(db, "nb1")] == [("sms", "no_answer"), ("chat_link", "no_answer")]


def test_a_screening_written_by_the_page_completes_the_link_and_names_link(db, loop):
    """Live, the page's conversation runs on the Rasa server and reports nothing to the carrier:
    the attempt is reached once its screening is written, at the next minute's housekeeping."""
    add(db, household("pg1", PHONE))
    run = Run(db, make_spec(channels=LINKS, schedule=ONE_ROUND), begin=BEGIN,
              residents={PHONE: SimResident(pickup=("not_opened",))})
    loop(run.run_until(R1 + timedelta(minutes=30)))
    [attempt] = attempts(db, "pg1")
    written = R1 + timedelta(minutes=30)
    with Session(db) as session:
        row = add_screening(session, screening=Screening(
            household_id="pg1", campaign_id="c1", channel="chat", conversation_id=attempt.conversation_id,
            started_at=written, finished_at=written, temperature_c=36.8, symptoms=""))
        session.commit()
        assert row.channel == "link"  # the attempt's channel, not the one the page said
    loop(run.run_until(written + timedelta(minutes=2)))
    [attempt] = attempts(db, "pg1")
    assert (attempt.status, attempt.detail) == ("completed", "the screening on the link's page was written")
    assert written <= attempt.ended_at <= written + timedelta(minutes=2)  # housekeeping runs once a minute


def test_a_walk_in_result_keeps_its_own_channel(db):
    add(db, household("wk1", PHONE))
    with Session(db) as session:
        row = add_screening(session, screening=Screening(
            household_id="wk1", channel="web", conversation_id="web:abc", started_at=R1, finished_at=R1))
        session.commit()
        assert row.channel == "web"


def test_links_are_paced_at_sms_per_second(db, loop):
    phones = [f"+1202555{i:04d}" for i in range(30)]
    add(db, *[household(f"pc{i:02d}", phone) for i, phone in enumerate(phones)])
    run = Run(db, make_spec(channels=LINKS, schedule=ONE_ROUND,
                            pacing={"calls_per_second": 1, "sms_per_second": 4}),
              begin=BEGIN, residents={phone: SimResident(pickup=("not_opened",)) for phone in phones})
    loop(run.run_until(R1 + timedelta(seconds=20)))
    starts = [at for at, contact in run.carrier.calls if contact.channel == "chat_link"]
    assert len(starts) == len(run.carrier.links) == 30
    assert max_in_any_second(starts) == 4
    assert 7 <= starts[-1] - starts[0] < 8  # 0.2525 s apart
    assert len({text for _, text in run.carrier.links}) == 30  # a link of its own for each
