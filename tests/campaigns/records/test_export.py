"""The CSV export: exact header and cells, filters, escalation join, streaming, any stored text."""
from __future__ import annotations

import csv
import io
import re
import tracemalloc
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from campaigns.cli import main
from campaigns.records.export import (
    ESCALATION_HEADER, EXPORT_HEADER, export_escalations, export_screenings, export_to_path, parse_since,
    timestamp_cell,
)
from campaigns.records.models import Escalation, Household, Screening

T0 = datetime(2024, 3, 1, 9, 30, 15, tzinfo=timezone.utc)


@pytest.fixture
def session(db):
    with Session(db) as session:
        session.add(Household(id="h1", phone="+12024561111"))
        session.add(Household(id="h2", phone=None, walk_in=True))
        session.commit()
        yield session


def add(session, **fields) -> Screening:
    values = dict(household_id="h1", conversation_id="c1", started_at=T0, finished_at=T0)
    values.update(fields)
    row = Screening(**values)
    session.add(row)
    session.commit()
    return row


def escalate(session, row: Screening, *statuses: str) -> None:
    # A household has one open case per kind, so the escalations of one row differ in kind.
    for status, kind in zip(statuses, ("abnormal", "urgent", "unclear")):
        session.add(Escalation(household_id=row.household_id, screening_id=row.id, kind=kind, status=status))
    session.commit()


def export_rows(session, **filters) -> list[list[str]]:
    out = io.StringIO()
    count = export_screenings(session, out=out, **filters)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(lines) == count + 1
    return lines


def as_dicts(lines: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(lines[0], line)) for line in lines[1:]]


def test_export_header_exact(session):
    assert export_rows(session)[0] == [
        "household_id", "phone", "person", "campaign", "channel", "finished_at", "temperature_c",
        "temperature_said", "feels_feverish", "symptoms", "red_flags", "abnormal", "reason",
        "outcome", "escalation_status",
    ]
    assert list(EXPORT_HEADER) == export_rows(session)[0]


def test_export_campaign_row_exact_cells(session):
    row = add(session, campaign_id="spring", channel="voice", person_index=1, temperature_c=38.25,
              temperature_said="thirty eight point two five", symptoms="cough;fever", red_flags="",
              abnormal=True, reason="temperature 38.2 C >= 37.3 C", outcome="completed")
    escalate(session, row, "acknowledged")
    assert export_rows(session)[1] == [
        "h1", "+12024561111", "1", "spring", "voice", "2024-03-01T09:30:15Z", "38.2",
        "thirty eight point two five", "", "cough;fever", "none", "true",
        "temperature 38.2 C >= 37.3 C", "completed", "acknowledged",
    ]


def test_export_self_report_row_exact_cells(session):
    add(session, household_id="h2", campaign_id=None, channel="chat", feels_feverish=False,
        symptoms=None, red_flags=None, abnormal=False, reason=None, outcome="partial")
    assert export_rows(session)[1] == [
        "h2", "", "0", "", "chat", "2024-03-01T09:30:15Z", "", "", "false", "", "", "false", "",
        "partial", "",
    ]


@pytest.mark.parametrize("stored, cell", [
    (None, ""),  # not answered
    ("", "none"),  # answered: none
    ("cough", "cough"),
    ("cough;headache", "cough;headache"),
])
def test_export_codes_cell_distinguishes_unanswered_from_none(session, stored, cell):
    add(session, symptoms=stored, red_flags=stored)
    exported = as_dicts(export_rows(session))[0]
    assert (exported["symptoms"], exported["red_flags"]) == (cell, cell)


@pytest.mark.parametrize("feels, cell", [(None, ""), (True, "true"), (False, "false")])
def test_export_feels_feverish_cell(session, feels, cell):
    add(session, feels_feverish=feels)
    assert as_dicts(export_rows(session))[0]["feels_feverish"] == cell


def test_export_finished_at_converted_to_utc(session):
    add(session, finished_at=datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=3))))
    assert as_dicts(export_rows(session))[0]["finished_at"] == "2024-03-01T09:00:00Z"


@pytest.mark.parametrize("said, cell", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+1", "'+1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("38, I think", "38, I think"),
])
def test_export_temperature_said_never_a_formula(session, said, cell):
    add(session, temperature_said=said)
    assert as_dicts(export_rows(session))[0]["temperature_said"] == cell


@pytest.mark.parametrize("statuses, cell", [
    ((), ""),
    (("resolved",), "resolved"),
    (("resolved", "acknowledged"), "acknowledged"),
    (("resolved", "open", "acknowledged"), "open"),
])
def test_export_escalation_status_least_resolved(session, statuses, cell):
    escalate(session, add(session), *statuses)
    assert as_dicts(export_rows(session))[0]["escalation_status"] == cell


def test_export_escalation_status_belongs_to_its_row(session):
    add(session, person_index=0)
    second = add(session, person_index=1)
    escalate(session, second, "open")
    session.add(Escalation(household_id="h1", screening_id=None, kind="help_request"))  # no screening
    session.commit()
    assert [r["escalation_status"] for r in as_dicts(export_rows(session))] == ["", "open"]


def test_export_rows_ordered_by_finished_at_then_id(session):
    add(session, person_index=2, finished_at=T0 + timedelta(hours=1))
    add(session, person_index=0, finished_at=T0)
    add(session, person_index=1, finished_at=T0)
    assert [r["person"] for r in as_dicts(export_rows(session))] == ["0", "1", "2"]


def _filter_fixture(session) -> None:
    add(session, campaign_id="a", person_index=0, abnormal=True, finished_at=T0 - timedelta(seconds=1))
    add(session, campaign_id="a", person_index=1, abnormal=False, finished_at=T0)
    add(session, campaign_id="b", person_index=2, abnormal=True, finished_at=T0 + timedelta(days=1))
    add(session, campaign_id=None, person_index=3, abnormal=False, finished_at=T0 + timedelta(days=2))


@pytest.mark.parametrize("filters, persons", [
    ({}, ["0", "1", "2", "3"]),
    ({"campaign_id": "a"}, ["0", "1"]),
    ({"campaign_id": "missing"}, []),
    ({"since": T0}, ["1", "2", "3"]),  # inclusive
    ({"since": T0 + timedelta(days=3)}, []),
    ({"abnormal_only": True}, ["0", "2"]),
    ({"campaign_id": "a", "since": T0, "abnormal_only": False}, ["1"]),
    ({"campaign_id": "b", "abnormal_only": True}, ["2"]),
])
def test_export_filters(session, filters, persons):
    _filter_fixture(session)
    assert [r["person"] for r in as_dicts(export_rows(session, **filters))] == persons


@pytest.mark.parametrize("text, expected", [
    ("2024-03-01", datetime(2024, 3, 1, tzinfo=timezone.utc)),
    ("2024-03-01T09:30", datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)),
    ("2024-03-01T09:30:00Z", datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)),
    ("2024-03-01T12:30:00+03:00", datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)),
])
def test_parse_since_valid(text, expected):
    parsed = parse_since(text)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["xyz", "", "2024-13-01", "01/03/2024", "2024-03-01T25:00"])
def test_parse_since_invalid_precise_message(text):
    with pytest.raises(ValueError) as raised:
        parse_since(text)
    assert str(raised.value) == f"{text!r} is not a date; use YYYY-MM-DD"


def test_export_to_path_replaces_atomically(session, tmp_path):
    add(session)
    path = tmp_path / "results.csv"
    path.write_text("old")
    assert export_to_path(session, path=path) == 1
    assert path.read_bytes().startswith(b"\xef\xbb\xbfhousehold_id,")  # the byte-order mark Excel needs
    assert not (tmp_path / "results.csv.tmp").exists()


def test_export_to_path_failure_leaves_old_file_and_no_temp(session, tmp_path, monkeypatch):
    add(session)
    path = tmp_path / "results.csv"
    path.write_text("old")

    def broken(*_args, **_kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr("campaigns.records.export.screening_cells", broken)
    with pytest.raises(RuntimeError):
        export_to_path(session, path=path)
    assert path.read_text() == "old"
    assert not (tmp_path / "results.csv.tmp").exists()


class CountingSink:
    """A file that keeps nothing, so only the export's own memory is measured."""

    def __init__(self):
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)


def _bulk_insert(session, count: int) -> None:
    rows = [dict(household_id="h1", person_index=i % 5, campaign_id="big", channel="sms",
                 conversation_id=f"c{i}", started_at=T0, finished_at=T0 + timedelta(seconds=i),
                 temperature_c=36.6, temperature_said="thirty six point six", symptoms="",
                 red_flags="", abnormal=False, urgent=False, reported_by_contact=False,
                 outcome="completed", reason="a reason long enough to weigh something in memory")
            for i in range(count)]
    session.execute(Screening.__table__.insert(), rows)
    session.commit()


def test_export_streams_large_table_in_flat_memory(session):
    _bulk_insert(session, 20_000)
    sink = CountingSink()
    tracemalloc.start()
    try:
        count = export_screenings(session, out=sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000 and sink.lines == 20_001
    # Holding all 20,000 rows at once costs well over 10 MB; a streamed batch of 1,000 about 2.5 MB.
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB: rows are not streamed"


# --- any stored text: never a crash, never a formula ----------------------------------------------

# Written independently of the export's own rule, so a change to it cannot pass by itself.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNWRITABLE = set(map(chr, range(32))) - set("\t\n\r") | {"\ufffe", "\uffff"}
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
# Any text Python can write as UTF-8 (what SQLite hands back), with the troublemakers drawn often.
TRICKY = st.sampled_from(["\0", "\x01", "\x1b", "\ufffe", "\uffff", "=", "+", "-", "@", "\t", "\r", "\n",
                          '"', ",", "'", " ", "1"])
TEXT = st.text(st.one_of(TRICKY, st.characters(codec="utf-8")), max_size=12)


def printable(text) -> str:
    return "".join(ch for ch in (text or "") if ch.isprintable())


def assert_safe_cell(cell: str, stored) -> None:
    """The cell holds nothing a format refuses, cannot run as a formula, and keeps the printable text."""
    assert not UNWRITABLE & set(cell), repr(cell)
    assert not cell.startswith(FORMULA_START) or PLAIN_NUMBER.fullmatch(cell), repr(cell)
    assert printable(cell) in (printable(stored), "'" + printable(stored)), (repr(cell), repr(stored))


def store_everywhere(engine, text: dict) -> None:
    """One household, one screening and one escalation whose every text column is from `text`."""
    with Session(engine) as session:
        for table in (Escalation, Screening, Household):
            session.execute(sa.delete(table))
        session.add(Household(id=text["household_id"], phone=text["phone"], community=text["community"]))
        session.flush()
        row = Screening(household_id=text["household_id"], campaign_id=text["campaign"], channel=text["channel"],
                        conversation_id=text["conversation"], started_at=T0, finished_at=T0,
                        temperature_said=text["said"], symptoms=text["symptoms"], red_flags=text["red_flags"],
                        reason=text["reason"], outcome=text["outcome"])
        session.add(row)
        session.flush()
        session.add(Escalation(household_id=text["household_id"], screening_id=row.id, kind=text["kind"],
                               severity=text["severity"], status=text["status"], detail=text["detail"],
                               conversation_id=text["conversation"]))
        session.commit()


STORED = ("household_id", "phone", "community", "campaign", "channel", "conversation", "said", "symptoms",
          "red_flags", "reason", "outcome", "kind", "severity", "status", "detail")
# Export column -> the stored text it shows.
SCREENING_TEXT = {"household_id": "household_id", "phone": "phone", "campaign": "campaign", "channel": "channel",
                  "temperature_said": "said", "symptoms": "symptoms", "red_flags": "red_flags", "reason": "reason",
                  "outcome": "outcome", "escalation_status": "status"}
# The known attacks, tried first: a failure there is reported at once, without minutes of shrinking.
KNOWN_ATTACKS = {**dict.fromkeys(STORED, "x"), "household_id": "=1+1", "said": "thirty\x00 eight",
                 "reason": "\x01=cmd", "detail": "\ufffe-1+1", "community": "@SUM(A1)"}
ESCALATION_TEXT = {"household_id": "household_id", "phone": "phone", "community": "community", "kind": "kind",
                   "severity": "severity", "status": "status", "detail": "detail", "conversation_id": "conversation"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.fixed_dictionaries({name: TEXT for name in STORED}))
@example(text=KNOWN_ATTACKS)
def test_export_any_stored_text_completes_safe_and_keeps_its_printable_part(db, text):
    store_everywhere(db, text)
    with Session(db) as session:
        results, escalations = io.StringIO(), io.StringIO()
        assert export_screenings(session, out=results) == 1
        assert export_escalations(session, out=escalations) == 1
    screening = as_dicts(list(csv.reader(io.StringIO(results.getvalue()))))
    escalation = [dict(zip(ESCALATION_HEADER, line)) for line in csv.reader(io.StringIO(escalations.getvalue()))][1:]
    assert len(screening) == len(escalation) == 1
    for column, stored in SCREENING_TEXT.items():
        codes = column in ("symptoms", "red_flags")  # stored "" is the answer "none"
        assert_safe_cell(screening[0][column], (text[stored] or "none") if codes else text[stored])
    for column, stored in ESCALATION_TEXT.items():
        assert_safe_cell(escalation[0][column], text[stored])


def test_export_drops_characters_no_format_can_hold(session):
    add(session, temperature_said="38\x00.5", reason="a\x01b\ufffec\uffff", symptoms="cough\x1b")
    exported = as_dicts(export_rows(session))[0]
    assert (exported["temperature_said"], exported["reason"], exported["symptoms"]) == ("38.5", "abc", "cough")


@pytest.mark.parametrize("stored, cell", [
    ("=1+1", "'=1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("\tx", "'\tx"),
    ("\x00=SUM(A1)", "'=SUM(A1)"),  # a dropped character hid the formula (short: channel holds 16)
    ("+12025550123", "+12025550123"),  # a plain number runs nothing: phone numbers stay as they are
    ("-37.5", "-37.5"),
    ("38 = hot", "38 = hot"),
])
def test_export_every_text_cell_is_formula_safe(session, stored, cell):
    session.add(Household(id=stored, phone=stored, community=stored))
    session.commit()
    row = add(session, household_id=stored, campaign_id=stored, channel=stored, temperature_said=stored,
              symptoms=stored, red_flags=stored, reason=stored, outcome=stored)
    escalate(session, row, stored)
    exported = as_dicts(export_rows(session))[0]
    assert {column: exported[column] for column in SCREENING_TEXT} == dict.fromkeys(SCREENING_TEXT, cell)
    out = io.StringIO()
    export_escalations(session, out=out)
    line = dict(zip(ESCALATION_HEADER, list(csv.reader(io.StringIO(out.getvalue())))[1]))
    assert line["household_id"] == line["phone"] == line["community"] == line["status"] == cell


def test_cli_export_with_a_nul_in_an_answer_succeeds(db, tmp_path, capsys):
    with Session(db) as session:
        session.add(Household(id="=1+1", phone="+12024561111"))
        session.commit()
        add(session, household_id="=1+1", temperature_said="thirty\x00 eight")
    path = tmp_path / "results.csv"
    assert main(["export", "--out", str(path)]) == 0
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = as_dicts(list(csv.reader(handle)))
    assert [(r["household_id"], r["temperature_said"]) for r in rows] == [("'=1+1", "thirty eight")]
    assert capsys.readouterr().out.strip() == f"wrote 1 row to {path}"


def test_export_escalation_status_of_a_row_that_joined_its_households_case(session):
    """Round 2's abnormal row updated round 1's open case: it shows that case's status too, while
    a well member screened meanwhile, and a row after the case's last update, show none."""
    first = add(session, abnormal=True, finished_at=T0)
    add(session, person_index=1, abnormal=False, finished_at=T0 + timedelta(hours=3))
    add(session, abnormal=True, finished_at=T0 + timedelta(hours=6), conversation_id="c2")
    add(session, abnormal=True, finished_at=T0 + timedelta(hours=9), conversation_id="c3")
    session.add(Escalation(household_id="h1", screening_id=first.id, kind="abnormal", status="acknowledged",
                           created_at=T0, last_raised_at=T0 + timedelta(hours=6), raised_count=2))
    session.commit()
    assert [r["escalation_status"] for r in as_dicts(export_rows(session))] == ["acknowledged", "", "acknowledged", ""]


@pytest.mark.parametrize("value, cell", [
    (datetime(2024, 3, 1, 9, 30, 15, 999_999, tzinfo=timezone.utc), "2024-03-01T09:30:15Z"),
    (datetime(2024, 3, 1, 9, 30, 15), "2024-03-01T09:30:15Z"),  # naive: UTC, as stored
    (datetime(2024, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))), "2024-03-01T09:30:00Z"),
    (datetime(999, 1, 2, 3, 4, 5), datetime(999, 1, 2, 3, 4, 5).strftime("%Y-%m-%dT%H:%M:%SZ")),
    (None, ""),
])
def test_timestamp_cells_are_utc_seconds(value, cell):
    assert timestamp_cell(value) == cell
