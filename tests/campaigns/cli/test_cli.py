"""The `screening` console script: exit codes, messages, files written."""
from __future__ import annotations

import csv
import gc
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlmodel import Session

from campaigns import settings
from campaigns.cli import common, main
from campaigns.records.export import EXPORT_HEADER
from campaigns.records.models import Household, Screening

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(db):
    """The shared fresh database, with three screenings in it."""
    engine = db
    with Session(engine) as session:
        session.add(Household(id="h1", phone="+12024561111"))
        for index, (campaign, abnormal, day) in enumerate([("a", True, 1), ("a", False, 2), ("b", True, 3)]):
            session.add(Screening(household_id="h1", person_index=index, campaign_id=campaign,
                                  conversation_id="c1", abnormal=abnormal,
                                  started_at=T0.replace(day=day), finished_at=T0.replace(day=day)))
        session.commit()
    return engine


def read_persons(path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as handle:  # the byte-order mark, read as Excel does
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == EXPORT_HEADER
    return [row[2] for row in rows[1:]]


def test_export_writes_file_and_summary(db, tmp_path, capsys):
    path = tmp_path / "results.csv"
    assert main(["export", "--out", str(path)]) == 0
    assert read_persons(path) == ["0", "1", "2"]
    assert capsys.readouterr().out.strip() == f"wrote 3 rows to {path}"
    assert not (tmp_path / "results.csv.tmp").exists()


@pytest.mark.parametrize("args, persons", [
    (["--campaign", "a"], ["0", "1"]),
    (["--since", "2024-03-02"], ["1", "2"]),
    (["--since", "2024-03-02T09:00:01Z"], ["2"]),
    (["--abnormal-only"], ["0", "2"]),
    (["--campaign", "a", "--abnormal-only"], ["0"]),
])
def test_export_filters_from_arguments(db, tmp_path, args, persons):
    path = tmp_path / "results.csv"
    assert main(["export", "--out", str(path), *args]) == 0
    assert read_persons(path) == persons


def test_export_starts_with_a_byte_order_mark_and_chinese_round_trips(db, tmp_path):
    with Session(db) as session:
        session.add(Household(id="户-1", phone="+8613800000001", contact_name="王医生"))
        session.add(Screening(household_id="户-1", person_index=0, person_name="王医生", conversation_id="c2",
                              temperature_said="三十八度六", reason="体温 38.6 °C", started_at=T0, finished_at=T0))
        session.commit()
    path = tmp_path / "results.csv"
    assert main(["export", "--out", str(path)]) == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfhousehold_id,phone,") and raw.count(b"\xef\xbb\xbf") == 1
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if r["household_id"] == "户-1")
    assert (row["temperature_said"], row["reason"]) == ("三十八度六", "体温 38.6 °C")


def test_export_no_bom_writes_plain_utf8(db, tmp_path):
    with_mark, plain = tmp_path / "excel.csv", tmp_path / "plain.csv"
    assert main(["export", "--out", str(with_mark)]) == 0 and main(["export", "--out", str(plain), "--no-bom"]) == 0
    assert plain.read_bytes().startswith(b"household_id,") and with_mark.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()


def test_export_summary_singular_row(db, tmp_path, capsys):
    path = tmp_path / "one.csv"
    assert main(["export", "--out", str(path), "--campaign", "b"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 1 row to {path}"


def test_export_bad_since_exits_2_with_message(db, tmp_path, capsys):
    path = tmp_path / "results.csv"
    assert main(["export", "--out", str(path), "--since", "xyz"]) == 2
    err = capsys.readouterr().err
    assert "--since: 'xyz' is not a date; use YYYY-MM-DD" in err
    assert "Traceback" not in err
    assert not path.exists()


def test_export_unwritable_out_exits_1_without_temp(db, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    path = blocker / "results.csv"
    assert main(["export", "--out", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"screening: cannot write {path}:") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("screening.db")) == ["a-file"]


def test_export_out_is_directory_exits_1_without_temp(db, tmp_path, capsys):
    target = tmp_path / "dir"
    target.mkdir()
    assert main(["export", "--out", str(target)]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert not (tmp_path / "dir.tmp").exists()


def test_export_bad_database_url_exits_1_without_leaking_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCREENING_DATABASE_URL", "nonsense://user:secret@host/db")
    settings.get_settings.cache_clear()
    try:
        assert main(["export", "--out", str(tmp_path / "x.csv")]) == 1
    finally:
        settings.get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "SCREENING_DATABASE_URL" in err and "secret" not in err


@pytest.mark.parametrize("argv, code, stream, text", [
    (["--help"], 0, "out", "export"),
    (["export", "--help"], 0, "out", "--abnormal-only"),
    ([], 2, "err", "required: COMMAND"),
    (["bogus"], 2, "err", "invalid choice: 'bogus'"),
    (["export"], 2, "err", "required: --out"),
    (["export", "--out", "x.csv", "--extra"], 2, "err", "unrecognized arguments: --extra"),
])
def test_main_usage_returns_code_without_traceback(argv, code, stream, text, capsys):
    assert main(argv) == code
    captured = capsys.readouterr()
    assert text in getattr(captured, stream)
    assert "Traceback" not in captured.err


def test_numpy_and_scipy_special_are_loaded_before_the_commands_modules():
    """skops, which loads a dry run's intent classifier, looks for each numpy and scipy function it
    trusts through the loaded modules in load order; loaded first, each is found among the first."""
    code = ("import sys, campaigns.cli; names = list(sys.modules); "
            "print(names.index('numpy'), names.index('scipy.special'), names.index('sqlalchemy'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    numpy_at, scipy_at, sqlalchemy_at = map(int, done.stdout.split())
    assert max(numpy_at, scipy_at) < sqlalchemy_at, done.stdout


def test_the_bot_loads_with_the_collector_off_and_what_is_loaded_stays_frozen_while_the_command_runs(
        monkeypatch):
    collecting = []

    def load():
        collecting.append(gc.isenabled())
        return "the bot"

    monkeypatch.setattr(common, "load_bot", load)
    with common.bot_for_the_command() as bot:
        assert (bot, collecting, gc.isenabled()) == ("the bot", [False], True)
        assert gc.get_freeze_count() > 1000
    assert gc.get_freeze_count() == 0


def test_a_bot_that_fails_to_load_leaves_the_collector_on_and_nothing_frozen(monkeypatch):
    def load():
        raise RuntimeError("no model")

    monkeypatch.setattr(common, "load_bot", load)
    with pytest.raises(RuntimeError, match="no model"):
        with common.bot_for_the_command():
            pass
    assert gc.isenabled() and gc.get_freeze_count() == 0
