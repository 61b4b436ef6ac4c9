"""Databases as earlier versions left them, for the migration tests: the baseline's tables (what
`create_all` made before migrations) with a row in every table, every column given a real value;
and an older shape, without the columns, indexes and tables added since."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from campaigns.records.migrations import baseline

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc)
DAY = date(2024, 3, 5)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# One or more rows per table, in an order that satisfies the foreign keys; every column filled.
ROWS: dict[str, list[dict]] = {
    "households": [
        dict(id="H1", phone="+12025550101", contact_name="Lena", members=3, member_names="Lena;Jun;Mei", language="zh",
             timezone="Asia/Shanghai", community="North", address="1 Main St", notes="blue door", walk_in=False,
             opted_out_at=None, wrong_number_at=at(1), created_at=at(0), updated_at=at(2)),
        dict(id="W-1", phone="+12025550102", contact_name=None, members=1, member_names=None, language="en",
             timezone="UTC", community=None, address=None, notes=None, walk_in=True, opted_out_at=at(30),
             wrong_number_at=None, created_at=at(3), updated_at=at(30)),
    ],
    "campaigns": [dict(id="daily", source="campaign-files/daily.yml", spec_json='{"name": "daily"}', status="running",
                       created_at=at(0), updated_at=at(1))],
    "campaign_members": [dict(campaign_id="daily", household_id="H1")],
    "planned_rounds": [dict(campaign_id="daily", day=DAY, round_no=1, households=1, planned_at=at(0))],
    "workers": [dict(id="host:42:ab", host="host", pid=42, started_at=at(0), heartbeat_at=at(5))],
    "attempts": [dict(id=1, campaign_id="daily", household_id="H1", day=DAY, round_no=1, try_no=1, kind="round",
                      channel="voice", due_at=at(0), status="completed", worker="host:42:ab", claim_token="tok-1",
                      claimed_at=at(1), placed_at=at(2), answered_at=at(3), ended_at=at(9), carrier_ref="CA1",
                      conversation_id="H1:attempt-1", detail="completed")],
    "carrier_events": [dict(id=1, attempt_id=1, status="completed", carrier_ref="CA1", detail="30 s", opted_out=False,
                            received_at=at(9), taken_by="host:42:ab")],
    "screenings": [dict(id=1, household_id="H1", person_index=0, person_name="Lena", campaign_id="daily",
                        channel="voice", conversation_id="H1:attempt-1", started_at=at(3), finished_at=at(9),
                        temperature_c=38.4, temperature_said="三十八度四", feels_feverish=True, symptoms="cough;fever",
                        red_flags="difficulty_breathing", abnormal=True, urgent=True,
                        reason="temperature 38.4 C >= 37.3 C", reported_by_contact=False, outcome="completed",
                        callback_at=at(600))],
    "escalations": [
        dict(id=1, household_id="H1", screening_id=1, kind="urgent", severity="urgent", status="acknowledged",
             detail="Lena (contact), 38.4 °C, difficulty breathing", conversation_id="H1:attempt-1",
             assigned_to="maria", resolution_note=None, created_at=at(9), acknowledged_at=at(12), resolved_at=None,
             raised_count=2, last_raised_at=at(20), people='[{"person_index": 0, "temperature_c": 38.4}]',
             merged_into=None),
        dict(id=2, household_id="H1", screening_id=1, kind="abnormal", severity="high", status="resolved",
             detail="Lena (contact), 38.4 °C", conversation_id="H1:attempt-1", assigned_to="maria",
             resolution_note="merged into case 1", created_at=at(9), acknowledged_at=None, resolved_at=at(10),
             raised_count=1, last_raised_at=at(9), people=None, merged_into=1),
    ],
    "unreachable_days": [dict(campaign_id="daily", household_id="H1", day=DAY, escalation_id=2)],
    "notifications": [dict(id=1, escalation_id=1, phone="+12025550199", status="sent", tries=1, carrier_ref="SM1",
                           detail="accepted", created_at=at(10), sent_at=at(11))],
    "opt_outs": [dict(id=1, household_id="W-1", phone="+12025550102", channel="sms", conversation_id="+12025550102",
                      said="STOP", created_at=at(30))],
    "users": [dict(id=1, name="maria", role="supervisor", password_hash="scrypt$abc$def", active=True,
                   created_at=at(0))],
    "api_tokens": [dict(id=1, user_id=1, token_hash="f" * 64, created_at=at(1), last_used_at=at(2))],
    "api_token_names": [dict(token_id=1, user_id=1, name="nightly export")],
    "audit_log": [dict(id=1, at=at(12), user_name="maria", action="acknowledge", target="escalation 1",
                       detail="taken")],
    "login_sessions": [dict(id_hash="a" * 64, user_id=1, created_at=at(11), expires_at=at(11 + 720))],
    "login_failures": [dict(name="mallory", attempts=3, window_start=at(4), locked_until=at(19))],
    "console_keys": [dict(name="cookies", value="b" * 64, created_at=at(0))],
    "secret_keys": [dict(name="walk-in", value="c" * 64)],
    "phone_proofs": [dict(id=1, conversation_id="chat-7", phone="+12025550102", code_hash="d" * 64,
                          code_to_send=None, tries=1, send_tries=1, created_at=at(25), expires_at=at(35),
                          sent_at=at(26), proved_at=at(27), detail=None)],
}

# What an older version's database lacked, as the hand-made upgrade steps before migrations knew it.
OLD_COLUMNS = {"households": ("address", "notes"),
               "escalations": ("raised_count", "last_raised_at", "people", "merged_into")}
OLD_INDEXES = ("uq_escalations_open_case", "ix_escalations_conversation_id")
OLD_MISSING_TABLES = ("login_sessions", "api_token_names", "console_keys", "phone_proofs", "secret_keys")


def old_metadata() -> sa.MetaData:
    """The baseline less what an older version lacked (above)."""
    old = sa.MetaData()
    for table in baseline.metadata().sorted_tables:
        if table.name in OLD_MISSING_TABLES:
            continue
        gone = OLD_COLUMNS.get(table.name, ())
        columns = [column._copy() for column in table.columns if column.name not in gone]
        constraints = [constraint._copy() for constraint in list(table.constraints)
                       if not isinstance(constraint, sa.PrimaryKeyConstraint)
                       and not any(column.name in gone for column in constraint.columns)]
        copy = sa.Table(table.name, old, *columns, *constraints)
        for index in table.indexes:
            if index.name not in OLD_INDEXES:
                sa.Index(index.name, *(copy.c[column.name] for column in index.columns), unique=index.unique)
    return old


def fill(connection: sa.engine.Connection, metadata: sa.MetaData) -> None:
    """The rows above, each with the columns `metadata`'s table has."""
    for name, rows in ROWS.items():
        if name not in metadata.tables:
            continue
        table = metadata.tables[name]
        connection.execute(table.insert(), [{k: v for k, v in row.items() if k in table.c} for row in rows])
    if connection.dialect.name == "postgresql":  # explicit ids: move each sequence past them
        for table in metadata.sorted_tables:
            if "id" in table.c and isinstance(table.c.id.type, sa.Integer) and table.c.id.autoincrement is not False:
                connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                           f"(SELECT max(id) FROM {table.name}))"))


def read(connection: sa.engine.Connection, metadata: sa.MetaData) -> dict[str, list[tuple]]:
    """Every row of `metadata`'s tables, by their columns, in primary-key order."""
    return {table.name: [tuple(row) for row in connection.execute(
        sa.select(*table.c).order_by(*table.primary_key.columns))] for table in metadata.sorted_tables}
