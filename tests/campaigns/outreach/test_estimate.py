"""Capacity planning: small cases worked by hand, the dispatcher's rules (pacing, calls at once,
windows, the day's attempts, channels), agreement with a dry run, and the command's errors."""
from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest

from campaigns.cli import main
from campaigns.outreach import dryrun, estimate
from campaigns.outreach.estimate import Assumptions
from campaigns.carriers.residents import SimResident
from tests.campaigns.engine_helpers import TIMINGS, add, household, make_spec, utc

ONE_ROUND = {"start": "2024-03-05", "days": 1, "rounds": ["09:00"]}
PACE = {"calls_per_second": 2, "max_concurrent_calls": 1000}


def spec(**fields):
    return make_spec(**{"schedule": ONE_ROUND, "pacing": PACE, **fields})


def test_100_households_all_answering_at_2_calls_a_second_end_exactly():
    (r,) = estimate.simulate(spec(), Assumptions(households=100, pickup=1.0, call_seconds=60))
    # The pacer's grid is (1 + 1%) / 2 = 0.505 s: the 100th call starts 99 x 0.505 = 49.995 s in, and lasts 60 s.
    assert (r.attempts, r.retries, r.reached, r.late, r.used_up) == (100, 0, 100, 0, 0)
    assert abs((r.finished - utc(2024, 3, 5, 9, 1, 49, 995000)).total_seconds()) < 1e-3
    assert r.on_time


def test_half_reached_with_one_retry_makes_150_attempts():
    rules = {"no_answer": "10m", "max_attempts_per_day": 2}
    result = estimate.estimate(spec(retries=rules), Assumptions(households=100, pickup=0.5))
    (r,) = result.rounds
    assert (r.attempts, r.retries, r.reached) == (150, 50, 75)
    assert (result.attempts, result.retries) == (150, 50)


def test_a_busy_retry_follows_its_own_rule_and_next_round_waits():
    busy = estimate.simulate(spec(retries={"busy": "10m"}), Assumptions(households=100, pickup=0.5, unreached="busy"))
    machine = estimate.simulate(spec(), Assumptions(households=100, pickup=0.5, unreached="machine"))
    assert busy[0].attempts == 100 + 50 + 25 + 12.5  # four a day: the first and three retries
    assert (machine[0].attempts, machine[0].retries) == (100, 0)  # machine: the next round, none today


def test_calls_at_once_bound_the_pace_by_the_mean_call_length():
    (r,) = estimate.simulate(spec(pacing={"calls_per_second": 10, "max_concurrent_calls": 5}),
                             Assumptions(households=100, pickup=1.0, call_seconds=60))
    # 5 calls of 60 s at once: one call every 12 s, not ten a second; the 100th starts 99 x 12 s in.
    assert abs((r.finished - utc(2024, 3, 5, 9, 0) - timedelta(seconds=99 * 12 + 60)).total_seconds()) < 1e-6


def test_attempts_still_waiting_when_the_window_closes_are_not_placed_and_the_pace_needed_is_given():
    narrow = spec(pacing={"calls_per_second": 1, "max_concurrent_calls": 1000},
                  schedule={**ONE_ROUND, "rounds": ["08:00"]}, calling_window={"start": "08:00", "end": "08:10"})
    result = estimate.estimate(narrow, Assumptions(households=1000, pickup=1.0, call_seconds=60))
    (r,) = result.rounds
    served = 600 / 1.01  # 600 s of window at one start every 1.01 s
    assert abs(r.attempts - served) < 1 and abs(r.late - (1000 - served)) < 1 and not r.on_time
    # 1000 starts in 600 s is 1.67 a second, but the pacer lets at most floor(rate) start in any
    # second (and keeps 1% under it): 1.7/s starts one a second, so it takes 2/s.
    assert result.needed_rate == 2.0
    assert result.needed_concurrent == math.ceil(result.needed_rate * 60)  # 60 s calls held at once


def test_the_days_attempts_are_shared_by_its_rounds():
    two = spec(schedule={**ONE_ROUND, "rounds": ["09:00", "16:00"]},
               retries={"no_answer": "10m", "max_attempts_per_day": 2})
    first, second = estimate.simulate(two, Assumptions(households=100, pickup=0.5))
    assert (first.attempts, first.retries) == (150, 50)
    # The 50 not reached at once used both of the day's attempts: round 2 calls only the other 50,
    # and none of those is retried, as that would be a third attempt.
    assert (second.attempts, second.retries, second.used_up) == (50, 0, 50)


def test_a_fallback_channel_goes_on_the_texting_lane():
    voice_then_sms = spec(channels=[{"type": "voice", "attempts": 1}, {"type": "sms"}],
                          retries={"no_answer": "10m", "max_attempts_per_day": 2})
    (r,) = estimate.simulate(voice_then_sms, Assumptions(households=100, pickup=0.5))
    assert (r.attempts, r.retries) == (150, 50)
    # The retries are texts: their start does not wait for the calls' 0.505 s grid, and they ring no line.
    # Each retry is due 30 s of ringing and 10 minutes after its call: the last at 99 x 0.505 s + 630 s.
    assert abs((r.finished - utc(2024, 3, 5, 9, 0)).total_seconds() - (99 * 0.505 + 630)) < 1e-3


def test_a_campaign_of_texts_needs_no_calls_per_second():
    result = estimate.estimate(spec(channels=[{"type": "sms"}]), Assumptions(households=100, pickup=1.0))
    (r,) = result.rounds
    assert (result.needed_rate, r.calls, r.attempts) == (0.0, 0, 100)
    # Ten texts a second on their own grid (1.01 / 10 s), holding no line: the 100th leaves 9.999 s in.
    assert abs((r.finished - utc(2024, 3, 5, 9, 0)).total_seconds() - 99 * 0.101) < 1e-3


# --- agreement with a dry run ---------------------------------------------------------------------

# Sixteen households that realise pickup 0.5 exactly over four attempts a day: 8 answer the first,
# 4 the second, 2 the third, 1 the fourth, and 1 never does.
PATTERNS = [("answer",)] * 8 + [("no_answer", "answer")] * 4 + [("no_answer",) * 2 + ("answer",)] * 2 + [
    ("no_answer",) * 3 + ("answer",), ("no_answer",)]
ANSWERS = {"good_time": "yes", "temperature": "36.6", "symptoms": "no", "others_unwell": "no"}


def test_the_estimate_agrees_with_a_dry_run_of_the_same_rules(db, screening_bot):
    """Attempts and retries agree exactly (this population realises the expected values); households
    reached within half a household (the last one answers its fourth try or not: 0.5 expected)."""
    rehearsed = spec(pacing={"calls_per_second": 2, "max_concurrent_calls": 50})
    phones = [f"+1202555{i:04d}" for i in range(len(PATTERNS))]
    add(db, *[household(f"H{i:02d}", phone) for i, phone in enumerate(phones)])
    residents = {phone: SimResident(pickup=pattern, says=ANSWERS) for phone, pattern in zip(phones, PATTERNS)}
    summary, _ = asyncio.run(dryrun.run(db, spec=rehearsed, source="test", residents=residents, bot=screening_bot,
                                        progress=False))
    ring = TIMINGS.ring + TIMINGS.no_answer
    (r,) = estimate.simulate(rehearsed, Assumptions(households=len(PATTERNS), pickup=0.5, ring_seconds=ring))
    assert (summary.calls_placed, summary.retries) == (r.attempts, r.retries) == (30, 14)
    assert abs(summary.reached - r.reached) <= 0.5


# --- the command ----------------------------------------------------------------------------------


def test_the_command_prints_each_round_and_the_pace_needed(tmp_path, capsys):
    path = tmp_path / "c1.yml"
    path.write_text("name: c1\nschedule: {start: 2024-03-05, days: 1, rounds: ['09:00']}\n"
                    "pacing: {calls_per_second: 2, max_concurrent_calls: 1000}\n", encoding="utf-8")
    assert main(["campaign", "estimate", str(path), "--households", "100", "--pickup", "1",
                 "--call-seconds", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("campaign c1: 100 households in UTC, pickup 1, 2 calls/s, 1000 at once, "
                        "answered call 60 s, unanswered 30 s")
    assert lines[2].split() == ["2024-03-05", "1", "09:00", "03-05", "09:01:49", "100", "0", "100", "0", "yes"]
    assert lines[3] == "expected attempts 100, of which retries 0"
    assert lines[4].startswith("needs ") and lines[4].endswith("the file gives 2/s and 1000")


@pytest.mark.parametrize("args, message", [
    (["--households", "0"], "'0' is not a number of households"),
    (["--households", "-5"], "'-5' is not a number of households"),
    (["--households", "10", "--pickup", "0"], "'0' is not a pickup rate"),
    (["--households", "10", "--pickup", "1.01"], "'1.01' is not a pickup rate"),
    (["--households", "10", "--pickup", "nan"], "'nan' is not a pickup rate"),
    (["--households", "10", "--timezone", "Mars/Olympus"], "'Mars/Olympus' is not a time zone"),
])
def test_bad_numbers_are_usage_errors(tmp_path, capsys, args, message):
    path = tmp_path / "c1.yml"
    path.write_text("name: c1\nschedule: {start: 2024-03-05, days: 1, rounds: ['09:00']}\n", encoding="utf-8")
    assert main(["campaign", "estimate", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_campaign_file_gets_the_same_errors_as_campaign_start(tmp_path, capsys):
    path = tmp_path / "bad.yml"
    path.write_text("name: c1\nschedule: {start: 2024-03-05, days: 1, rounds: ['25:00']}\n", encoding="utf-8")
    assert main(["campaign", "estimate", str(path), "--households", "10"]) == 1
    estimated = capsys.readouterr().err
    main(["campaign", "start", str(path)])
    assert estimated == capsys.readouterr().err
    assert f"{path}: schedule.rounds[0]: '25:00' is not a time of day (HH:MM)" in estimated
