"""Schedule maths as tables: local times, calling windows, rounds, retries, durations.
DST rows are labelled with the zone and the change they exercise."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from campaigns.outreach.schedule import (
    Window, campaign_days, clamp_callback, local_datetime, next_in_window, parse_duration,
    retry_at, round_end, round_times, window_bounds, window_day,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SHANGHAI = ZoneInfo("Asia/Shanghai")
KATHMANDU = ZoneInfo("Asia/Kathmandu")

DAYTIME = Window(time(8, 30), time(20, 0))
EVENING = Window(time(18, 0), time(2, 0))  # crosses midnight
ROUNDS = [time(9), time(16)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("day, at, tz, expected", [
    (date(2024, 6, 3), time(9), NY, utc(2024, 6, 3, 13)),
    (date(2024, 3, 10), time(2, 30), NY, utc(2024, 3, 10, 7, 30)),  # gap: 03:30 EDT
    (date(2024, 3, 10), time(3, 30), NY, utc(2024, 3, 10, 7, 30)),  # just after the gap
    (date(2024, 11, 3), time(1, 30), NY, utc(2024, 11, 3, 5, 30)),  # ambiguous: first (EDT)
    (date(2024, 3, 31), time(1, 30), LONDON, utc(2024, 3, 31, 1, 30)),  # gap: 02:30 BST
    (date(2024, 10, 27), time(1, 30), LONDON, utc(2024, 10, 27, 0, 30)),  # ambiguous: first (BST)
    (date(2024, 10, 6), time(2, 30), SYDNEY, utc(2024, 10, 5, 16, 30)),  # gap: 03:30 AEDT
    (date(2024, 4, 7), time(2, 30), SYDNEY, utc(2024, 4, 6, 15, 30)),  # ambiguous: first (AEDT)
    (date(2024, 10, 6), time(2, 15), LORD_HOWE, utc(2024, 10, 5, 15, 45)),  # 30-min gap: 02:45
    (date(2024, 4, 7), time(1, 45), LORD_HOWE, utc(2024, 4, 6, 14, 45)),  # 30-min fold: first
    (date(2024, 3, 10), time(2, 30), SHANGHAI, utc(2024, 3, 9, 18, 30)),  # no DST
    (date(2024, 6, 1), time(9), KATHMANDU, utc(2024, 6, 1, 3, 15)),  # +05:45
], ids=["ny-summer", "ny-spring-gap", "ny-after-gap", "ny-fall-ambiguous", "london-spring-gap",
        "london-fall-ambiguous", "sydney-spring-gap", "sydney-fall-ambiguous", "lord-howe-gap",
        "lord-howe-ambiguous", "shanghai-no-dst", "kathmandu-0545"])
def test_local_datetime_dst_and_offsets(day, at, tz, expected):
    result = local_datetime(day, at, tz)
    assert result == expected
    assert result.tzinfo is timezone.utc


@pytest.mark.parametrize("window, local, inside", [
    (DAYTIME, time(8, 30), True),
    (DAYTIME, time(8, 29), False),
    (DAYTIME, time(20, 0), False),
    (EVENING, time(18, 0), True),
    (EVENING, time(23, 59), True),
    (EVENING, time(1, 0), True),
    (EVENING, time(2, 0), False),
    (EVENING, time(10, 0), False),
], ids=["day-start-included", "day-before-start", "day-end-excluded", "night-start",
        "night-before-midnight", "night-after-midnight", "night-end-excluded", "night-midday"])
def test_window_contains_start_included_end_excluded(window, local, inside):
    assert window.contains(local) is inside


@pytest.mark.parametrize("day, window, tz, start, end", [
    (date(2024, 6, 3), DAYTIME, NY, utc(2024, 6, 3, 12, 30), utc(2024, 6, 4, 0)),
    (date(2024, 6, 4), EVENING, NY, utc(2024, 6, 4, 22), utc(2024, 6, 5, 6)),
    (date(2024, 3, 31), DAYTIME, LONDON, utc(2024, 3, 31, 7, 30), utc(2024, 3, 31, 19)),
    (date(2024, 3, 10), Window(time(2, 30), time(20)), NY,
     utc(2024, 3, 10, 7, 30), utc(2024, 3, 11, 0)),  # start in the gap -> 03:30 EDT
    (date(2024, 3, 9), Window(time(18), time(2, 30)), NY,
     utc(2024, 3, 9, 23), utc(2024, 3, 10, 7, 30)),  # end in the gap, after midnight
    (date(2024, 10, 5), Window(time(18), time(2, 30)), SYDNEY,
     utc(2024, 10, 5, 8), utc(2024, 10, 5, 16, 30)),  # southern spring gap
    (date(2024, 11, 2), Window(time(18), time(1, 30)), NY,
     utc(2024, 11, 2, 22), utc(2024, 11, 3, 5, 30)),  # end ambiguous: first 01:30
    (date(2024, 6, 3), Window(time(8), time(8)), SHANGHAI,
     utc(2024, 6, 3, 0), utc(2024, 6, 4, 0)),  # start == end: 24 hours
    (date(2024, 6, 3), DAYTIME, KATHMANDU, utc(2024, 6, 3, 2, 45), utc(2024, 6, 3, 14, 15)),
], ids=["ny-day", "ny-crosses-midnight", "london-spring-day", "ny-start-in-gap",
        "ny-end-in-gap", "sydney-end-in-gap", "ny-end-ambiguous", "shanghai-24h", "kathmandu"])
def test_window_bounds_utc(day, window, tz, start, end):
    assert window_bounds(day, window, tz) == (start, end)


@pytest.mark.parametrize("at, window, tz, expected", [
    (utc(2024, 6, 5, 5), EVENING, NY, date(2024, 6, 4)),  # 01:00 belongs to the 4th
    (utc(2024, 6, 5, 14), EVENING, NY, date(2024, 6, 5)),  # 10:00: next opens on the 5th
    (utc(2024, 6, 5, 6), EVENING, NY, date(2024, 6, 5)),  # 02:00: closed, next is the 5th
    (utc(2024, 6, 5, 22), EVENING, NY, date(2024, 6, 5)),  # 18:00: opens on the 5th
    (utc(2024, 6, 6, 3, 59), EVENING, NY, date(2024, 6, 5)),  # 23:59 on the 5th
    (utc(2024, 6, 5, 11), DAYTIME, NY, date(2024, 6, 5)),  # 07:00: before opening
    (utc(2024, 6, 6, 1), DAYTIME, NY, date(2024, 6, 6)),  # 21:00 on the 5th: tomorrow's
    (datetime(2024, 6, 5, 10, tzinfo=ZoneInfo("Asia/Tokyo")), DAYTIME, NY,
     date(2024, 6, 5)),  # 21:00 on the 4th in NY, given in Tokyo time
    (utc(2024, 6, 5, 2), DAYTIME, KATHMANDU, date(2024, 6, 5)),  # 07:45 local
    (utc(2024, 6, 5, 14, 15), DAYTIME, KATHMANDU, date(2024, 6, 6)),  # 20:00 local: closed
], ids=["night-after-midnight", "night-midday", "night-at-end", "night-at-start",
        "night-before-midnight", "day-before-open", "day-after-close", "input-other-zone",
        "kathmandu-before-open", "kathmandu-at-close"])
def test_window_day_opening_date(at, window, tz, expected):
    assert window_day(at, window, tz) == expected


@pytest.mark.parametrize("at, window, tz, expected", [
    (datetime(2024, 6, 3, 16, tzinfo=ZoneInfo("Europe/Paris")), DAYTIME, NY,
     utc(2024, 6, 3, 14)),  # inside: same instant, as UTC
    (utc(2024, 6, 3, 11), DAYTIME, NY, utc(2024, 6, 3, 12, 30)),  # before opening
    (utc(2024, 6, 4, 0), DAYTIME, NY, utc(2024, 6, 4, 12, 30)),  # at closing: tomorrow
    (utc(2024, 6, 5, 5), EVENING, NY, utc(2024, 6, 5, 5)),  # 01:00 inside night window
    (utc(2024, 6, 5, 7), EVENING, NY, utc(2024, 6, 5, 22)),  # 03:00 -> 18:00 same date
    (utc(2024, 3, 10, 6), Window(time(2, 30), time(20)), NY,
     utc(2024, 3, 10, 7, 30)),  # opening in the gap -> 03:30 EDT
    (utc(2024, 11, 3, 6, 15), Window(time(18), time(1, 30)), NY,
     utc(2024, 11, 3, 23)),  # second 01:15 (EST) is after the first 01:30 closed it
    (utc(2024, 6, 3, 14, 15), DAYTIME, KATHMANDU, utc(2024, 6, 4, 2, 45)),
], ids=["inside-other-zone", "before-open", "at-close", "night-inside", "night-closed",
        "open-in-gap", "fall-back-second-pass", "kathmandu-closed"])
def test_next_in_window_utc(at, window, tz, expected):
    result = next_in_window(at, window, tz)
    assert result == expected
    assert result.tzinfo is timezone.utc


@pytest.mark.parametrize("day, slots, window, tz, expected", [
    (date(2024, 6, 3), ROUNDS, DAYTIME, NY, [utc(2024, 6, 3, 13), utc(2024, 6, 3, 20)]),
    (date(2024, 1, 15), ROUNDS, DAYTIME, LONDON, [utc(2024, 1, 15, 9), utc(2024, 1, 15, 16)]),
    (date(2024, 3, 31), ROUNDS, DAYTIME, LONDON, [utc(2024, 3, 31, 8), utc(2024, 3, 31, 15)]),
    (date(2024, 10, 27), ROUNDS, DAYTIME, LONDON, [utc(2024, 10, 27, 9), utc(2024, 10, 27, 16)]),
    (date(2024, 4, 7), ROUNDS, DAYTIME, SYDNEY, [utc(2024, 4, 6, 23), utc(2024, 4, 7, 6)]),
    (date(2024, 10, 6), ROUNDS, DAYTIME, LORD_HOWE, [utc(2024, 10, 5, 22), utc(2024, 10, 6, 5)]),
    (date(2024, 6, 3), ROUNDS, DAYTIME, SHANGHAI, [utc(2024, 6, 3, 1), utc(2024, 6, 3, 8)]),
    (date(2024, 6, 3), ROUNDS, DAYTIME, KATHMANDU,
     [utc(2024, 6, 3, 3, 15), utc(2024, 6, 3, 10, 15)]),
    (date(2024, 6, 4), [time(19), time(1)], EVENING, NY,
     [utc(2024, 6, 4, 23), utc(2024, 6, 5, 5)]),  # 01:00 slot is on the 5th
    (date(2024, 6, 3), [time(16), time(9)], DAYTIME, NY,
     [utc(2024, 6, 3, 20), utc(2024, 6, 3, 13)]),  # order given is kept
    (date(2024, 3, 10), [time(2, 30)], Window(time(1), time(12)), NY,
     [utc(2024, 3, 10, 7, 30)]),  # slot in the gap -> 03:30 EDT
], ids=["ny-summer", "london-winter", "london-spring-day", "london-fall-day",
        "sydney-fall-day", "lord-howe-spring-day", "shanghai", "kathmandu",
        "night-both-sides-of-midnight", "order-given", "slot-in-gap"])
def test_round_times_utc(day, slots, window, tz, expected):
    assert round_times(day, slots, window, tz) == expected


@pytest.mark.parametrize("slots, window", [
    ([time(8), time(16)], DAYTIME),
    ([time(9), time(20)], DAYTIME),
    ([time(19), time(3)], EVENING),
], ids=["before-start", "at-end-excluded", "night-after-end"])
def test_round_times_slot_outside_window(slots, window):
    with pytest.raises(ValueError, match="outside the calling window"):
        round_times(date(2024, 6, 3), slots, window, NY)


@pytest.mark.parametrize("round_no, slots, window, expected", [
    (1, ROUNDS, DAYTIME, utc(2024, 6, 3, 20)),  # next round's due time
    (2, ROUNDS, DAYTIME, utc(2024, 6, 4, 0)),  # last: the window's end
    (2, [time(9), time(12), time(16)], DAYTIME, utc(2024, 6, 3, 20)),
    (1, [time(19), time(1)], EVENING, utc(2024, 6, 4, 5)),
    (2, [time(19), time(1)], EVENING, utc(2024, 6, 4, 6)),  # window end on day+1
], ids=["first-of-two", "last-of-two", "middle-of-three", "night-first", "night-last"])
def test_round_end_next_round_or_window_end(round_no, slots, window, expected):
    day = date(2024, 6, 3)
    assert round_end(day, round_no, slots, window, NY) == expected


@pytest.mark.parametrize("round_no, slots, message", [
    (0, ROUNDS, "round 0 does not exist"),
    (3, ROUNDS, "round 3 does not exist"),
    (1, [time(16), time(9)], "must be in order"),
], ids=["zero", "past-last", "slots-out-of-order"])
def test_round_end_invalid(round_no, slots, message):
    with pytest.raises(ValueError, match=message):
        round_end(date(2024, 6, 3), round_no, slots, DAYTIME, NY)


@pytest.mark.parametrize("ended_at, delay, round_ends_at, window, tz, expected", [
    (utc(2024, 6, 3, 13, 5), timedelta(minutes=10), utc(2024, 6, 3, 20), DAYTIME, NY,
     utc(2024, 6, 3, 13, 15)),  # busy: within the round
    (utc(2024, 6, 3, 18, 30), timedelta(hours=2), utc(2024, 6, 3, 20), DAYTIME, NY,
     None),  # no answer: would cross the next round
    (utc(2024, 6, 3, 19, 50), timedelta(minutes=10), utc(2024, 6, 3, 20), DAYTIME, NY,
     None),  # exactly at the round's end
    (utc(2024, 6, 3, 13, 5), None, utc(2024, 6, 3, 20), DAYTIME, NY, None),
    (utc(2024, 6, 3, 23, 55), timedelta(minutes=10), utc(2024, 6, 4, 0), DAYTIME, NY,
     None),  # after closing: next opening is tomorrow, past the round's end
    (utc(2024, 6, 5, 3, 55), timedelta(minutes=10), utc(2024, 6, 5, 6), EVENING, NY,
     utc(2024, 6, 5, 4, 5)),  # night window: 00:05 is still inside
    (utc(2024, 6, 5, 5, 55), timedelta(minutes=10), utc(2024, 6, 5, 23), EVENING, NY,
     utc(2024, 6, 5, 22)),  # 02:05 outside -> 18:00 opening, still before round end
    (utc(2024, 6, 5, 5, 55), timedelta(minutes=10), utc(2024, 6, 5, 6), EVENING, NY,
     None),  # same, but the round ends with the window
    (datetime(2024, 11, 3, 1, 55, tzinfo=NY), timedelta(minutes=10), utc(2024, 11, 3, 12),
     Window(time(0), time(23)), NY, utc(2024, 11, 3, 6, 5)),  # 10 real minutes across fall back
    (utc(2024, 6, 3, 3, 20), timedelta(minutes=10), utc(2024, 6, 3, 10, 15), DAYTIME,
     KATHMANDU, utc(2024, 6, 3, 3, 30)),
], ids=["busy-10m-in-round", "no-answer-2h-crosses-next-round", "lands-on-round-end",
        "delay-none", "after-close-next-day", "night-past-midnight-inside",
        "night-outside-before-round-end", "night-outside-after-round-end",
        "fall-back-real-minutes", "kathmandu"])
def test_retry_at_within_round(ended_at, delay, round_ends_at, window, tz, expected):
    result = retry_at(ended_at, delay, round_ends_at=round_ends_at, window=window, tz=tz)
    assert result == expected
    if expected is not None:
        assert result.tzinfo is timezone.utc


def test_retry_at_negative_delay():
    with pytest.raises(ValueError, match="must not be negative"):
        retry_at(utc(2024, 6, 3, 13), timedelta(minutes=-5), round_ends_at=utc(2024, 6, 3, 20),
                 window=DAYTIME, tz=NY)


def test_next_in_window_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_in_window(datetime(2024, 6, 3, 13), DAYTIME, NY)


@pytest.mark.parametrize("requested, window, tz, expected", [
    (utc(2024, 6, 3, 15), DAYTIME, NY, utc(2024, 6, 3, 15)),  # 11:00: kept
    (datetime(2024, 6, 3, 22, 30, tzinfo=NY), DAYTIME, NY, utc(2024, 6, 4, 12, 30)),
    (datetime(2024, 6, 3, 7, tzinfo=LONDON), DAYTIME, LONDON, utc(2024, 6, 3, 7, 30)),
    (utc(2024, 6, 5, 4), EVENING, NY, utc(2024, 6, 5, 4)),  # 00:00: kept in night window
    (utc(2024, 6, 5, 16), EVENING, NY, utc(2024, 6, 5, 22)),  # noon -> 18:00
], ids=["inside", "late-evening-next-morning", "early-morning-same-day", "night-inside",
        "night-noon"])
def test_clamp_callback_into_window(requested, window, tz, expected):
    assert clamp_callback(requested, window, tz) == expected


@pytest.mark.parametrize("start, kwargs, expected", [
    (date(2024, 6, 3), {"days": 1}, [date(2024, 6, 3)]),
    (date(2024, 6, 3), {"days": 3}, [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5)]),
    (date(2024, 2, 28), {"days": 3}, [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]),
    (date(2024, 6, 3), {"end": date(2024, 6, 3)}, [date(2024, 6, 3)]),
    (date(2024, 12, 31), {"end": date(2025, 1, 1)}, [date(2024, 12, 31), date(2025, 1, 1)]),
], ids=["one-day", "three-days", "leap-day", "end-same-day", "end-next-year"])
def test_campaign_days(start, kwargs, expected):
    assert campaign_days(start, **kwargs) == expected


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one"),
    ({"days": 2, "end": date(2024, 6, 5)}, "exactly one"),
    ({"days": 0}, "at least 1"),
    ({"days": -2}, "at least 1"),
    ({"days": True}, "at least 1"),
    ({"end": date(2024, 6, 2)}, "before its start"),
], ids=["neither", "both", "zero-days", "negative-days", "bool-days", "end-before-start"])
def test_campaign_days_invalid(kwargs, message):
    with pytest.raises(ValueError, match=message):
        campaign_days(date(2024, 6, 3), **kwargs)


@pytest.mark.parametrize("text, expected", [
    ("90s", timedelta(seconds=90)),
    ("10m", timedelta(minutes=10)),
    ("2h", timedelta(hours=2)),
    ("1d", timedelta(days=1)),
    ("1h30m", timedelta(hours=1, minutes=30)),
    ("1H30M", timedelta(hours=1, minutes=30)),
    (" 1h 30m ", timedelta(hours=1, minutes=30)),
    ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ("0h5m", timedelta(minutes=5)),
], ids=["seconds", "minutes", "hours", "day", "combined", "upper-case", "spaces",
        "all-units", "zero-part"])
def test_parse_duration_valid(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("-5m", "must be positive"),
    ("0m", "greater than zero"),
    ("0h0m", "greater than zero"),
    ("5w", "unknown unit 'w'"),
    ("10min", "unknown unit 'min'"),
    ("10", "no unit"),
    ("abc", "cannot read"),
    ("1.5h", "cannot read"),
    ("30m1h", "cannot read"),
], ids=["empty", "blank", "negative", "zero", "zero-combined", "unknown-unit",
        "long-unit", "no-unit", "garbage", "decimal", "units-out-of-order"])
def test_parse_duration_invalid(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)
