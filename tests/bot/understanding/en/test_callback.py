"""Tests for bot.understanding.en.callback (expected UTC values computed by hand)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.understanding.en.callback import mentions_callback, parse_callback_time

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SYDNEY = ZoneInfo("Australia/Sydney")
PARIS = ZoneInfo("Europe/Paris")

# Saturday 10:00 EST (15:00 UTC), the day before the 2026-03-08 spring-forward.
NY_SAT = datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK)
# Sunday 01:00 EST (06:00 UTC); at 02:00 clocks jump to 03:00 EDT.
NY_SPRING = datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK)
# Saturday 23:00 BST (22:00 UTC); London falls back on 2026-10-25 at 02:00 BST.
LONDON_FALL = datetime(2026, 10, 24, 23, 0, tzinfo=LONDON)
# Monday 21:00 CST (13:00 UTC), late evening.
SHANGHAI_LATE = datetime(2026, 6, 1, 21, 0, tzinfo=SHANGHAI)
# 2026-04-05 01:00 AEDT in Sydney; at 03:00 AEDT clocks go back to 02:00 AEST.
SYDNEY_UTC = datetime(2026, 4, 4, 14, 0, tzinfo=UTC)
# Same instant as NY_SAT, expressed in another zone.
NY_SAT_IN_PARIS = datetime(2026, 3, 7, 16, 0, tzinfo=PARIS)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


PARSE_CASES = [
    # --- relative, New York Saturday 10:00 EST = 15:00 UTC ---------------------
    pytest.param("no, call me in 2 hours", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 17), id="relative-in-2-hours"),
    pytest.param("in an hour", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 16), id="relative-in-an-hour"),
    pytest.param("In one hour", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 16), id="relative-in-one-hour"),
    pytest.param("in 1 hour", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 16), id="relative-in-1-hour"),
    pytest.param("in two hours please", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 17), id="relative-in-two-hours"),
    pytest.param("in half an hour", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 15, 30), id="relative-half-an-hour"),
    pytest.param("in 30 minutes", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 15, 30), id="relative-30-minutes"),
    pytest.param("in twenty minutes", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 15, 20), id="relative-twenty-minutes"),
    pytest.param("in 10 mins", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 15, 10), id="relative-10-mins"),
    pytest.param("in a couple of hours", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 17), id="relative-couple-of-hours"),
    pytest.param("in a few hours", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 18), id="relative-few-hours"),
    pytest.param("in an hour and a half", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 16, 30), id="relative-hour-and-a-half"),
    pytest.param("in 24 hours", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 15), id="dst-relative-24h-is-elapsed-time-new-york"),
    # --- parts of day / day words -----------------------------------------------
    pytest.param("tomorrow", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-tomorrow-alone-0900-edt-new-york"),
    pytest.param("tomorrow morning", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-tomorrow-morning-new-york"),
    pytest.param("this evening", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 23), id="this-evening-today-1800"),
    pytest.param("tonight", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 0), id="tonight-today-1900"),
    pytest.param("this afternoon", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 19), id="this-afternoon-today-1400"),
    pytest.param("this morning", NY_SAT, NEW_YORK, None, id="this-morning-already-passed-none"),
    pytest.param("day after tomorrow", NY_SAT, NEW_YORK, _utc(2026, 3, 9, 13), id="day-after-tomorrow-0900"),
    # --- clock times ---------------------------------------------------------------
    pytest.param("tomorrow at 9", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-tomorrow-at-9-new-york"),
    pytest.param("Tomorrow at 9 A.M.", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-tomorrow-at-9-a-m-dots"),
    pytest.param("at 5", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 22), id="bare-at-5-means-1700-today"),
    pytest.param("today at 5", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 22), id="today-at-5"),
    pytest.param("at 9", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-bare-at-9-passed-rolls-to-tomorrow"),
    pytest.param("at ten", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 14), id="clock-exactly-now-rolls-to-tomorrow"),
    pytest.param("at 11am", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 16), id="at-11am"),
    pytest.param("at 3 pm", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 20), id="at-3-pm"),
    pytest.param("at 15:30", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 20, 30), id="at-24h-15-30"),
    pytest.param("at 4.30", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 21, 30), id="at-4-dot-30-means-pm"),
    pytest.param("at half past four", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 21, 30), id="half-past-four"),
    pytest.param("at quarter to five", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 21, 45), id="quarter-to-five"),
    pytest.param("at nine", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-at-nine-word-new-york"),
    pytest.param("at nine thirty", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 13, 30), id="dst-at-nine-thirty-words"),
    pytest.param("11 o'clock", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 16), id="eleven-o-clock"),
    pytest.param("at 7", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 0), id="bare-at-7-means-1900"),
    pytest.param("at 12", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 17), id="at-12-is-noon"),
    pytest.param("at noon", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 17), id="at-noon"),
    pytest.param("at 7 in the morning", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 11), id="dst-7-in-the-morning-is-am"),
    pytest.param("this evening at 8", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 1), id="this-evening-at-8-is-2000"),
    pytest.param("Good morning! call me at 3", NY_SAT, NEW_YORK, _utc(2026, 3, 7, 20), id="greeting-not-part-of-day"),
    pytest.param("call me at 25", NY_SAT, NEW_YORK, None, id="impossible-hour-none"),
    pytest.param("at 13pm", NY_SAT, NEW_YORK, None, id="impossible-13pm-none"),
    pytest.param("at 5", NY_SAT_IN_PARIS, NEW_YORK, _utc(2026, 3, 7, 22), id="now-in-other-zone-paris"),
    # --- weekdays (NY_SAT is a Saturday) -------------------------------------------
    pytest.param("monday", NY_SAT, NEW_YORK, _utc(2026, 3, 9, 13), id="weekday-monday-0900"),
    pytest.param("next monday evening", NY_SAT, NEW_YORK, _utc(2026, 3, 9, 22), id="weekday-next-monday-evening"),
    pytest.param("on saturday", NY_SAT, NEW_YORK, _utc(2026, 3, 14, 13), id="weekday-same-day-is-next-week"),
    pytest.param("friday at 3", NY_SAT, NEW_YORK, _utc(2026, 3, 13, 19), id="weekday-friday-at-3"),
    # --- DST gap, spring-forward day in New York (now 01:00 EST = 06:00 UTC) ---------
    pytest.param("at 2:30am", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 7, 30), id="dst-gap-new-york"),
    pytest.param("tomorrow at 2:30am", NY_SAT, NEW_YORK, _utc(2026, 3, 8, 7, 30), id="dst-gap-new-york-tomorrow"),
    pytest.param("at 2am", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 7), id="dst-gap-new-york-gap-start"),
    pytest.param("at 3am", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 7), id="dst-just-after-gap-new-york"),
    pytest.param("at 1:30am", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 6, 30), id="dst-before-gap-still-est"),
    pytest.param("in 2 hours", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 8), id="dst-relative-across-gap-new-york"),
    pytest.param("this morning", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 13), id="dst-this-morning-after-gap"),
    pytest.param("tonight", NY_SPRING, NEW_YORK, _utc(2026, 3, 8, 23), id="dst-tonight-after-gap"),
    pytest.param("at 12:30am", NY_SPRING, NEW_YORK, _utc(2026, 3, 9, 4, 30), id="dst-passed-midnight-rolls-over"),
    # --- DST fall-back in London (now Sat 23:00 BST = 22:00 UTC) ----------------------
    pytest.param("at 1:30am", LONDON_FALL, LONDON, _utc(2026, 10, 25, 0, 30), id="dst-ambiguous-london-first-occurrence"),
    pytest.param("tomorrow at 9", LONDON_FALL, LONDON, _utc(2026, 10, 25, 9), id="dst-after-fall-back-london"),
    pytest.param("in 3 hours", LONDON_FALL, LONDON, _utc(2026, 10, 25, 1), id="dst-relative-across-fall-back-london"),
    pytest.param("tonight", LONDON_FALL, LONDON, None, id="tonight-passed-london-none"),
    pytest.param("at 8", LONDON_FALL, LONDON, _utc(2026, 10, 25, 8), id="dst-at-8-next-morning-gmt-london"),
    pytest.param("sunday evening", LONDON_FALL, LONDON, _utc(2026, 10, 25, 18), id="dst-sunday-evening-gmt-london"),
    # --- Shanghai late evening (Mon 21:00 CST = 13:00 UTC) ----------------------------
    pytest.param("this evening", SHANGHAI_LATE, SHANGHAI, None, id="this-evening-passed-none"),
    pytest.param("tonight", SHANGHAI_LATE, SHANGHAI, None, id="tonight-passed-none"),
    pytest.param("this afternoon", SHANGHAI_LATE, SHANGHAI, None, id="this-afternoon-passed-none"),
    pytest.param("at 5", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 2, 9), id="bare-at-5-passed-rolls-to-tomorrow"),
    pytest.param("in the morning", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 2, 1), id="bare-morning-rolls-to-tomorrow"),
    pytest.param("monday", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 8, 1), id="weekday-today-is-monday-next-week"),
    pytest.param("at 9pm", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 2, 13), id="at-9pm-equal-now-rolls-over"),
    pytest.param("at 10pm", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 1, 14), id="at-10pm-later-tonight"),
    pytest.param("in 45 minutes", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 1, 13, 45), id="relative-45-minutes"),
    pytest.param("tomorrow evening", SHANGHAI_LATE, SHANGHAI, _utc(2026, 6, 2, 10), id="tomorrow-evening-1800"),
    pytest.param("明天早上", SHANGHAI_LATE, SHANGHAI, None, id="non-english-none"),
    # --- Sydney household, now given in UTC (Sun 01:00 AEDT) --------------------------
    pytest.param("at 2:30am", SYDNEY_UTC, SYDNEY, _utc(2026, 4, 4, 15, 30), id="dst-ambiguous-sydney-first-occurrence"),
    pytest.param("tomorrow", SYDNEY_UTC, SYDNEY, _utc(2026, 4, 5, 23), id="dst-tomorrow-aest-sydney"),
    pytest.param("this afternoon", SYDNEY_UTC, SYDNEY, _utc(2026, 4, 5, 4), id="dst-this-afternoon-aest-sydney"),
    pytest.param("in an hour", SYDNEY_UTC, SYDNEY, _utc(2026, 4, 4, 15), id="relative-now-in-utc-sydney"),
    pytest.param("at 9", SYDNEY_UTC, SYDNEY, _utc(2026, 4, 4, 23), id="dst-at-9-same-day-aest-sydney"),
    # --- no time named --------------------------------------------------------------
    pytest.param("later", NY_SAT, NEW_YORK, None, id="later-none"),
    pytest.param("later today", NY_SAT, NEW_YORK, None, id="later-today-none"),
    pytest.param("some other time", NY_SAT, NEW_YORK, None, id="some-other-time-none"),
    pytest.param("not now", NY_SAT, NEW_YORK, None, id="not-now-none"),
    pytest.param("no", NY_SAT, NEW_YORK, None, id="no-none"),
    pytest.param("busy", NY_SAT, NEW_YORK, None, id="busy-none"),
    pytest.param("", NY_SAT, NEW_YORK, None, id="empty-none"),
    pytest.param("today", NY_SAT, NEW_YORK, None, id="today-alone-none"),
]


@pytest.mark.parametrize(("text", "now", "tz", "expected"), PARSE_CASES)
def test_parse_callback_time_table(text: str, now: datetime, tz: ZoneInfo, expected: datetime | None) -> None:
    result = parse_callback_time(text, now=now, tz=tz)
    assert result == expected
    if expected is not None:
        assert result is not None and result.utcoffset() is not None
        assert result.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("📞🙏😀", id="emoji"),
        pytest.param("x" * 5000, id="5000-chars"),
        pytest.param("Robert'); DROP TABLE residents;--", id="sql-looking"),
        pytest.param("llámame mañana por la tarde", id="spanish"),
        pytest.param("at \x00\ufeff:::: 99:99", id="control-chars-and-colons"),
        pytest.param("in 9999999999 hours", id="huge-number"),
        pytest.param("\u0663 pm", id="arabic-indic-digit"),
    ],
)
def test_parse_callback_time_junk_input_returns_none(text: str) -> None:
    assert parse_callback_time(text, now=NY_SAT, tz=NEW_YORK) is None


def test_parse_callback_time_random_text_never_raises() -> None:
    rng = random.Random(20260307)
    alphabet = "at in 0123456789:.apm hour minute tomorrow monday evening 😀é'\n-"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        result = parse_callback_time(text, now=NY_SAT, tz=NEW_YORK)
        assert result is None or result.tzinfo is UTC


def test_parse_callback_time_dst_gap_reads_back_as_0330_edt() -> None:
    result = parse_callback_time("at 2:30am", now=NY_SPRING, tz=NEW_YORK)
    assert result is not None
    local = result.astimezone(NEW_YORK)
    assert (local.hour, local.minute, local.utcoffset()) == (3, 30, timedelta(hours=-4))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("in 2 hours", id="relative"),
        pytest.param("tomorrow", id="day-word"),
        pytest.param("at 5", id="clock-rollover"),
    ],
)
def test_parse_callback_time_overflowing_now_returns_none(text: str) -> None:
    end_of_time = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert parse_callback_time(text, now=end_of_time, tz=ZoneInfo("UTC")) is None


def test_parse_callback_time_naive_now_raises_value_error() -> None:
    with pytest.raises(ValueError):
        parse_callback_time("in an hour", now=datetime(2026, 3, 7, 10), tz=NEW_YORK)


MENTIONS_CASES = [
    pytest.param("call me later", True, id="call-me-later"),
    pytest.param("Call back tomorrow", True, id="call-back-tomorrow"),
    pytest.param("I'm busy", True, id="im-busy"),
    pytest.param("not now", True, id="not-now"),
    pytest.param("another time", True, id="another-time"),
    pytest.param("some other time", True, id="some-other-time"),
    pytest.param("in an hour", True, id="in-an-hour"),
    pytest.param("later", True, id="later"),
    pytest.param("Can you ring me back?", True, id="ring-me-back"),
    pytest.param("not a good time", True, id="not-a-good-time"),
    pytest.param("monday evening", True, id="weekday-evening"),
    pytest.param("I'm driving, text me in 20 minutes", True, id="text-me-in-20-minutes"),
    pytest.param("at 5", True, id="bare-clock-time"),
    pytest.param("don't call me now, call me tomorrow", True, id="refusal-with-time-is-callback"),
    pytest.param("no", False, id="plain-no"),
    pytest.param("", False, id="empty"),
    pytest.param("yes", False, id="yes"),
    pytest.param("now is fine", False, id="now-is-fine"),
    pytest.param("No thanks", False, id="no-thanks"),
    pytest.param("STOP", False, id="stop-keyword"),
    pytest.param("not interested", False, id="not-interested"),
    pytest.param("never call me again", False, id="never-call-again"),
    pytest.param("Do not call me again, I'm busy", False, id="do-not-call-beats-busy"),
    pytest.param("wrong number", False, id="wrong-number"),
    pytest.param("Good morning", False, id="greeting-only"),
    pytest.param("😀" * 100, False, id="emoji"),
    pytest.param("'; DROP TABLE users; --", False, id="sql-looking"),
]


@pytest.mark.parametrize(("text", "expected"), MENTIONS_CASES)
def test_mentions_callback_table(text: str, expected: bool) -> None:
    assert mentions_callback(text) is expected
