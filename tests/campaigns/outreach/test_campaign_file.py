"""Campaign files: the examples load, every mistake is named by its field path, JSON round-trips."""
from __future__ import annotations

import copy
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import yaml

from campaigns.outreach.campaign_file import (
    CampaignFileError, CampaignSpec, load_campaign, parse_campaign, spec_from_json, spec_to_json,
)
from campaigns.outreach.schedule import Window
from campaigns.records.vocabulary import RED_FLAG_CODES, SYMPTOM_CODES

ROOT = Path(__file__).resolve().parents[3]
PATH = Path("campaign-files/x.yml")
BASE = {
    "name": "x",
    "channels": [{"type": "voice", "attempts": 3}, {"type": "sms"}],
    "schedule": {"start": "2026-12-01", "days": 14, "rounds": ["09:00", "16:00"]},
    "calling_window": {"start": "08:30", "end": "20:00"},
}


def variant(*changes: tuple[str, object]) -> dict:
    """BASE with dotted paths set ("schedule.rounds.1") or, for value DELETE, removed."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes:
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


DELETE = object()


def problems_of(data: dict, path: Path = PATH) -> list[tuple[str, str]]:
    with pytest.raises(CampaignFileError) as caught:
        parse_campaign(data, path=path)
    return caught.value.problems


def write(tmp_path: Path, text: str, name: str = "c.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_campaign_daily_example_reads_every_section():
    spec = load_campaign(ROOT / "campaign-files/daily-fever-check.yml")
    assert spec.name == "daily-fever-check"
    assert spec.caller_id == "+14155550100"
    assert (spec.language, spec.voices) == ("en", {"en": "Polly.Joanna", "zh": "Polly.Zhiyu"})
    assert [(c.type, c.attempts) for c in spec.channels] == [("voice", 3), ("sms", 2)]
    assert spec.households.mode == "all"
    assert spec.schedule.rounds == [time(9, 0), time(16, 0)]
    assert spec.days() == [date(2026, 12, 1) + timedelta(days=i) for i in range(14)]
    assert spec.window() == Window(time(8, 30), time(20, 0))
    assert spec.retry_delay("busy") == timedelta(minutes=10)
    assert spec.retry_delay("machine") is None
    assert spec.notify[0].phone == "+8613800000000" and spec.notify[1].phone is None


def test_load_campaign_survey_example_takes_defaults():
    spec = load_campaign(ROOT / "campaign-files/one-off-survey.yml")
    assert spec.households.mode == "community" and spec.households.community == "Riverside"
    assert spec.days() == [date(2026, 12, 5)]
    assert spec.schedule.rounds == [time(10, 0)]
    assert spec.window() == Window(time(8, 0), time(20, 0))
    assert (spec.pacing.calls_per_second, spec.pacing.max_concurrent_calls, spec.pacing.sms_per_second) == (10, 50, 10)
    assert spec.screening.symptoms == list(SYMPTOM_CODES)
    assert spec.screening.red_flags == list(RED_FLAG_CODES)
    assert spec.answering_machine.leave_message is False


def test_parse_campaign_minimal_gets_documented_defaults():
    spec = parse_campaign({"name": "m", "schedule": {"start": date(2026, 1, 1), "end": "2026-01-03",
                                                     "rounds": ["12:00"]}}, path=PATH)
    assert spec.language == "en" and spec.caller_id is None and spec.notify == []
    assert [(c.type, c.attempts) for c in spec.channels] == [("voice", None)]
    assert spec.days() == [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    assert [spec.retry_delay(o) for o in ("busy", "no_answer", "failed", "machine")] == [
        timedelta(minutes=10), timedelta(hours=2), None, None]
    assert spec.retries.max_attempts_per_day == 4
    assert (spec.screening.fever_threshold_c, spec.screening.emergency_number) == (37.3, "120")


MALFORMED = [
    ("name-missing", [("name", DELETE)], "name", "is required"),
    ("name-uppercase", [("name", "Daily Check")], "name", "'Daily Check' is not a campaign name"),
    ("name-too-long", [("name", "a" * 65)], "name", "up to 64 lowercase"),
    ("unknown-top-key", [("colour", "red")], "colour", "is not a known field (known: name, description"),
    ("unknown-nested-key", [("schedule.dayz", 3)], "schedule.dayz", "known: start, days, end, rounds"),
    ("language", [("language", "English")], "language", "'English' is not a language the bot speaks (en, zh)"),
    ("caller-id-not-e164", [("caller_id", "4155550100")], "caller_id", "E.164 form like +14155550100"),
    ("caller-id-unquoted", [("caller_id", 14155550100)], "caller_id", "quote it in YAML"),
    ("channels-empty", [("channels", [])], "channels", "give at least one channel"),
    ("channel-type", [("channels.1", {"type": "fax"})], "channels[1].type",
     "unknown channel type 'fax' (known: voice, sms, chat_link)"),
    ("channel-attempts-missing-not-last", [("channels.0", {"type": "voice"})], "channels[0].attempts",
     "is required on every channel but the last"),
    ("channel-attempts-zero", [("channels.0.attempts", 0)], "channels[0].attempts", "must be at least 1"),
    ("channel-attempts-text", [("channels.0.attempts", "3")], "channels[0].attempts", "must be a whole number"),
    ("channel-twice", [("channels.1", {"type": "voice"})], "channels[1]", "voice is listed twice"),
    ("channels-not-list", [("channels", "voice")], "channels", "must be a list"),
    ("households-word", [("households", "some")], "households", "must be all, {community: NAME} or {file: PATH}"),
    ("households-key", [("households", {"comunity": "R"})], "households.comunity",
     "is not a known field (known: community, file)"),
    ("households-blank-community", [("households", {"community": " "})], "households.community",
     "must name a community"),
    ("schedule-missing", [("schedule", DELETE)], "schedule", "is required"),
    ("schedule-both", [("schedule.end", "2026-12-10")], "schedule", "give either days or end, not both"),
    ("schedule-neither", [("schedule.days", DELETE)], "schedule", "give days (how many) or end"),
    ("schedule-end-before-start", [("schedule.days", DELETE), ("schedule.end", "2026-11-30")], "schedule.end",
     "2026-11-30 is before the start 2026-12-01"),
    ("schedule-days-zero", [("schedule.days", 0)], "schedule.days", "must be at least 1"),
    ("schedule-days-too-many", [("schedule.days", 367)], "schedule.days", "must be at most 366"),
    ("schedule-start-bad", [("schedule.start", "2026-13-01")], "schedule.start",
     "'2026-13-01' is not a date (YYYY-MM-DD)"),
    ("schedule-start-number", [("schedule.start", 20261201)], "schedule.start", "is not a date (YYYY-MM-DD)"),
    ("round-not-time", [("schedule.rounds.1", "25:00")], "schedule.rounds[1]",
     "'25:00' is not a time of day (HH:MM)"),
    ("round-minutes", [("schedule.rounds.1", "9:60")], "schedule.rounds[1]", "is not a time of day (HH:MM)"),
    ("round-seconds", [("schedule.rounds.1", "09:00:00")], "schedule.rounds[1]", "is not a time of day"),
    ("round-plain-number", [("schedule.rounds.0", 9)], "schedule.rounds[0]", 'write it as quoted text, like "09:00"'),
    ("round-outside-window", [("schedule.rounds.0", "07:00")], "schedule.rounds[0]",
     "07:00 is outside the calling window 08:30-20:00"),
    ("round-at-window-end", [("schedule.rounds.1", "20:00")], "schedule.rounds[1]", "outside the calling window"),
    ("round-twice", [("schedule.rounds", ["09:00", "10:00", "09:00"])], "schedule.rounds[2]", "09:00 is given twice"),
    ("rounds-empty", [("schedule.rounds", [])], "schedule.rounds", "give 1 to 24 rounds, not 0"),
    ("rounds-none", [("schedule.rounds", None)], "schedule.rounds", "must not be empty"),
    ("window-equal", [("calling_window", {"start": "09:00", "end": "09:00"})], "calling_window",
     "start and end must differ"),
    ("window-bad-end", [("calling_window.end", "8pm")], "calling_window.end", "'8pm' is not a time of day"),
    ("cps-zero", [("pacing", {"calls_per_second": 0})], "pacing.calls_per_second", "must be greater than 0"),
    ("cps-too-high", [("pacing", {"calls_per_second": 1001})], "pacing.calls_per_second", "must be at most 1000"),
    ("cps-text", [("pacing", {"calls_per_second": "10"})], "pacing.calls_per_second", "'10' is not a number"),
    ("concurrent-zero", [("pacing", {"max_concurrent_calls": 0})], "pacing.max_concurrent_calls",
     "must be at least 1"),
    ("concurrent-fraction", [("pacing", {"max_concurrent_calls": 2.5})], "pacing.max_concurrent_calls",
     "must be a whole number"),
    ("sms-negative", [("pacing", {"sms_per_second": -1})], "pacing.sms_per_second", "must be greater than 0"),
    ("pacing-not-mapping", [("pacing", 10)], "pacing", "must be a mapping of fields"),
    ("retry-words", [("retries", {"busy": "10 minutes"})], "retries.busy",
     "'10 minutes' is not a duration like 90s, 10m, 2h or next_round"),
    ("retry-number", [("retries", {"no_answer": 600})], "retries.no_answer", "600 is not a duration"),
    ("retry-zero", [("retries", {"failed": "0s"})], "retries.failed", "'0s' is not a duration"),
    ("retry-empty", [("retries", {"machine": None})], "retries.machine", "give a duration like 90s"),
    ("retry-max-zero", [("retries", {"max_attempts_per_day": 0})], "retries.max_attempts_per_day",
     "must be at least 1"),
    ("retry-max-high", [("retries", {"max_attempts_per_day": 51})], "retries.max_attempts_per_day",
     "must be at most 50"),
    ("machine-no-message", [("answering_machine", {"leave_message": True})], "answering_machine.message",
     "is required when leave_message is true"),
    ("machine-long-message", [("answering_machine", {"message": "x" * 301})], "answering_machine.message",
     "must be at most 300 characters, not 301"),
    ("machine-not-bool", [("answering_machine", {"leave_message": "yes"})], "answering_machine.leave_message",
     "'yes' is not true or false"),
    ("fever-low", [("screening", {"fever_threshold_c": 34.9})], "screening.fever_threshold_c",
     "must be at least 35"),
    ("fever-high", [("screening", {"fever_threshold_c": 40.5})], "screening.fever_threshold_c",
     "must be at most 40"),
    ("symptom-unknown", [("screening", {"symptoms": ["fever", "cough", "sneezing"]})], "screening.symptoms[2]",
     "unknown symptom 'sneezing' (known: fever, chills"),
    ("red-flag-unknown", [("screening", {"red_flags": ["nosebleed"]})], "screening.red_flags[0]",
     "unknown red flag 'nosebleed' (known: difficulty_breathing"),
    ("emergency-letters", [("screening", {"emergency_number": "call-120"})], "screening.emergency_number",
     "'call-120' is not a number to dial"),
    ("emergency-short", [("screening", {"emergency_number": "1"})], "screening.emergency_number",
     "2 to 15 digits"),
    ("emergency-octal", [("screening", {"emergency_number": 0})], "screening.emergency_number",
     'quote it in YAML, like "120"'),
    ("notify-unreachable", [("notify", [{"name": "Dr Li"}])], "notify[0]", "give a phone or an email"),
    ("notify-no-name", [("notify", [{"email": "a@b.org"}])], "notify[0].name", "is required"),
    ("notify-bad-email", [("notify", [{"name": "A", "email": "li-at-example"}])], "notify[0].email",
     "'li-at-example' is not an email address"),
    ("notify-bad-phone", [("notify", [{"name": "A", "phone": "+1234"}])], "notify[0].phone",
     "'+1234' is not a phone number in E.164 form"),
    ("notify-unknown-key", [("notify", [{"name": "A", "email": "a@b.org", "pager": "1"}])], "notify[0].pager",
     "known: name, phone, email"),
]


@pytest.mark.parametrize("changes, field, fragment", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_parse_campaign_malformed_names_field_and_reason(changes, field, fragment):
    problems = problems_of(variant(*changes))
    matching = [what for where, what in problems if where == field]
    assert matching, problems
    assert any(fragment in what for what in matching), problems


def test_parse_campaign_reports_every_problem_in_file_order():
    data = variant(("pacing", {"calls_per_second": 0}), ("schedule.rounds.1", "25:00"), ("name", "Bad"),
                   ("retries", {"busy": "soon"}))
    with pytest.raises(CampaignFileError) as caught:
        parse_campaign(data, path=PATH)
    assert str(caught.value).splitlines() == [
        "campaign-files/x.yml: name: 'Bad' is not a campaign name: use up to 64 lowercase letters, digits, - or _, "
        "starting with a letter or digit",
        "campaign-files/x.yml: schedule.rounds[1]: '25:00' is not a time of day (HH:MM)",
        "campaign-files/x.yml: pacing.calls_per_second: must be greater than 0",
        "campaign-files/x.yml: retries.busy: 'soon' is not a duration like 90s, 10m, 2h or next_round",
    ]
    assert caught.value.path == PATH


def test_parse_campaign_not_a_mapping_says_so():
    with pytest.raises(CampaignFileError) as caught:
        parse_campaign(["name", "x"], path=PATH)
    assert str(caught.value) == ("campaign-files/x.yml: must be a mapping of campaign fields "
                                 "(name:, schedule:, ...), not a list")


def test_load_campaign_missing_file_names_it(tmp_path):
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(tmp_path / "nope.yml")
    assert caught.value.problems == [("", "no such file")]
    assert str(caught.value) == f"{tmp_path / 'nope.yml'}: no such file"


def test_load_campaign_empty_file_says_empty(tmp_path):
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(write(tmp_path, "# only a comment\n"))
    assert caught.value.problems == [("", "is empty; a campaign needs at least a name and a schedule")]


def test_load_campaign_yaml_syntax_error_gives_line_and_column(tmp_path):
    path = write(tmp_path, "name: x\nschedule:\n  start: 2026-12-01\n  rounds: [\"09:00\"\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path)
    (field, what), = caught.value.problems
    assert field == ""
    assert what.startswith("YAML syntax error at line 5, column 1:")


def test_load_campaign_duplicate_key_is_an_error(tmp_path):
    path = write(tmp_path, "name: x\nname: y\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path)
    assert caught.value.problems == [("", "YAML syntax error at line 2, column 1: duplicate key 'name'")]


def test_load_campaign_unquoted_times_read_as_written(tmp_path):
    path = write(tmp_path, "name: x\nschedule: {start: 2026-12-01, days: 1, rounds: [9:00, 16:30, 09:15]}\n"
                           "calling_window: {start: 8:00, end: 21:00}\n")
    spec = load_campaign(path)
    assert spec.schedule.rounds == [time(9, 0), time(16, 30), time(9, 15)]
    assert spec.window() == Window(time(8, 0), time(21, 0))


def test_parse_campaign_base60_number_asks_to_quote():
    data = variant(("schedule.rounds", yaml.safe_load("[16:00]")))
    assert problems_of(data) == [("schedule.rounds[0]", '960 is not a time of day (HH:MM): YAML read an unquoted '
                                                        '16:00 as the number 960; quote it, like "16:00"')]


WINDOWS = [
    ("evening-to-early-morning", ("20:00", "02:00"), ["20:00", "23:30", "01:59"], []),
    ("late-round-after-midnight", ("22:00", "06:00"), ["05:00", "22:30"], []),
    ("round-at-crossing-end", ("20:00", "02:00"), ["02:00"], ["02:00 is outside the calling window 20:00-02:00"]),
    ("round-in-the-gap", ("20:00", "02:00"), ["12:00"], ["12:00 is outside the calling window 20:00-02:00"]),
    ("end-before-start-by-minute", ("09:00", "08:59"), ["08:58", "09:00", "00:00"], []),
]


@pytest.mark.parametrize("window, rounds, errors", [w[1:] for w in WINDOWS], ids=[w[0] for w in WINDOWS])
def test_parse_campaign_midnight_crossing_window(window, rounds, errors):
    data = variant(("calling_window", {"start": window[0], "end": window[1]}), ("schedule.rounds", rounds))
    if errors:
        assert [what for _, what in problems_of(data)] == errors
    else:
        spec = parse_campaign(data, path=PATH)
        assert spec.window().start > spec.window().end
        assert [t.strftime("%H:%M") for t in spec.schedule.rounds] == rounds


@pytest.mark.parametrize("outcome, written, expected", [
    ("busy", "90s", timedelta(seconds=90)),
    ("no_answer", "10m", timedelta(minutes=10)),
    ("failed", "2h", timedelta(hours=2)),
    ("machine", "next_round", None),
], ids=["seconds", "minutes", "hours", "next-round"])
def test_retry_delay_reads_each_outcome(outcome, written, expected):
    spec = parse_campaign(variant(("retries", {outcome: written})), path=PATH)
    assert spec.retry_delay(outcome) == expected


def test_retry_delay_unknown_outcome_raises():
    spec = parse_campaign(BASE, path=PATH)
    with pytest.raises(ValueError, match="unknown attempt outcome 'answered'"):
        spec.retry_delay("answered")


def test_parse_campaign_household_file_resolved_against_campaign_folder(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists/ids.csv").write_text("household_id,note\nh1,a\n", encoding="utf-8")
    spec = parse_campaign(variant(("households", {"file": "lists/ids.csv"})), path=tmp_path / "c.yml")
    assert spec.households.mode == "file"
    assert spec.households.file == (tmp_path / "lists/ids.csv").resolve()
    assert spec.households.file.is_absolute()


@pytest.mark.parametrize("content, fragment", [
    (None, "lists/ids.csv does not exist (looked for "),
    ("id,phone\nh1,+1\n", "lists/ids.csv has no household_id column (columns: id, phone)"),
    ("", "lists/ids.csv is empty; it needs a header row"),
], ids=["missing", "no-column", "empty"])
def test_parse_campaign_household_file_problems(tmp_path, content, fragment):
    if content is not None:
        (tmp_path / "lists").mkdir()
        (tmp_path / "lists/ids.csv").write_text(content, encoding="utf-8")
    problems = problems_of(variant(("households", {"file": "lists/ids.csv"}), ("pacing", {"sms_per_second": 0})),
                           path=tmp_path / "c.yml")
    assert [field for field, _ in problems] == ["households.file", "pacing.sms_per_second"]
    assert fragment in problems[0][1]


def test_spec_json_round_trip_keeps_every_value(tmp_path):
    (tmp_path / "ids.csv").write_text("household_id\nh1\n", encoding="utf-8")
    spec = parse_campaign(variant(("households", {"file": "ids.csv"}), ("caller_id", "+14155550100"),
                                  ("retries", {"busy": "90s", "failed": "next_round"}),
                                  ("notify", [{"name": "Dr Li", "email": "li@example.org"}])),
                          path=tmp_path / "c.yml")
    (tmp_path / "ids.csv").unlink()  # a stored campaign does not need its list file any more
    again = spec_from_json(spec_to_json(spec))
    assert again == spec
    assert again.households.file == (tmp_path / "ids.csv").resolve()
    assert again.retry_delay("busy") == timedelta(seconds=90) and again.retry_delay("failed") is None
    assert isinstance(again, CampaignSpec)


def test_spec_json_round_trip_daily_example():
    spec = load_campaign(ROOT / "campaign-files/daily-fever-check.yml")
    assert spec_from_json(spec_to_json(spec)) == spec


def test_spec_from_json_garbage_raises_campaign_file_error():
    with pytest.raises(CampaignFileError) as caught:
        spec_from_json("{not json")
    assert caught.value.problems[0][1].startswith("is not valid JSON")
