"""Bringing an existing database to one open case per household and kind: the escalation columns
an older database lacks, the merge of open duplicates into one case each, the wording of older
cases' people, and the partial unique index that keeps it so. Every step is safe to run again.

Keyword-only data functions that take the session; the caller commits, once for all of them, so
an interrupted run changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import sqlalchemy as sa
from sqlmodel import Session, func, select

from campaigns.records import case_people
from campaigns.records.escalations import ACTIVE, SCREENING_KINDS, fold, people_of
from campaigns.records.models import Escalation, EscalationKind, EscalationStatus

INDEX = "uq_escalations_open_case"  # models.Escalation: one open or acknowledged case per household and kind


@dataclass(frozen=True)
class MergeReport:
    merged: int  # rows folded into the case they joined (resolved, merged_into set)
    cases: int  # cases that took at least one of them in
    reworded: int  # older cases whose people were written again in words


def lock_escalations(session: Session) -> None:
    """Keep every raise out until the caller commits, so nothing changes under the merge."""
    if session.get_bind().dialect.name == "postgresql":
        # Conflicts with every writer of the table (and with itself), not with readers.
        session.execute(sa.text("LOCK TABLE escalations IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(sa.text("UPDATE escalations SET kind = kind WHERE id IS NULL"))  # SQLite's write lock


def add_missing_columns(session: Session) -> list[str]:
    """Add the columns of models.Escalation the table lacks (create_all adds tables, never columns);
    returns their names."""
    connection = session.connection()
    table = Escalation.__table__
    present = {column["name"] for column in sa.inspect(connection).get_columns(table.name)}
    added = []
    for column in table.columns:
        if column.name in present:
            continue
        ddl = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
        refs = "".join(f" REFERENCES {fk.column.table.name} ({fk.column.name})" for fk in column.foreign_keys)
        connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}{refs}"))
        added.append(column.name)
    return added


def merge_open_cases(session: Session, *, now: datetime) -> MergeReport:
    """Fold each household's open duplicates of a kind into one case (an acknowledged one first, then
    the oldest), then its open abnormal case into its open urgent one; word older cases' people."""
    merged, cases = 0, set()
    for household_id, kind in _duplicated(session):
        case, *others = _active(session, household_id=household_id, kinds=(kind,))
        for other in others:
            fold(session, case=case, other=other, at=now)
            merged += 1
        cases.add(case.id)
        session.flush()
    for household_id in _urgent_and_abnormal(session):
        rows = _active(session, household_id=household_id, kinds=(EscalationKind.urgent.value,
                                                                   EscalationKind.abnormal.value))
        case = next(row for row in rows if row.kind == EscalationKind.urgent.value)
        for other in (row for row in rows if row.kind == EscalationKind.abnormal.value):
            fold(session, case=case, other=other, at=now)
            merged += 1
        cases.add(case.id)
        session.flush()
    return MergeReport(merged=merged, cases=len(cases), reworded=_reword(session))


def create_open_case_index(session: Session) -> bool:
    """Create the unique index of open cases unless it is there; True if it was created."""
    connection = session.connection()
    if INDEX in {index["name"] for index in sa.inspect(connection).get_indexes(Escalation.__tablename__)}:
        return False
    next(index for index in Escalation.__table__.indexes if index.name == INDEX).create(connection)
    return True


def count_open(session: Session) -> int:
    """Open or acknowledged cases."""
    return session.exec(select(func.count()).select_from(Escalation).where(Escalation.status.in_(ACTIVE))).one()


def _duplicated(session: Session) -> list[tuple[str, str]]:
    """(household, kind) with more than one open or acknowledged case."""
    return [(household_id, kind) for household_id, kind in session.exec(
        select(Escalation.household_id, Escalation.kind).where(Escalation.status.in_(ACTIVE))
        .group_by(Escalation.household_id, Escalation.kind).having(func.count() > 1)
        .order_by(Escalation.household_id, Escalation.kind)).all()]


def _urgent_and_abnormal(session: Session) -> list[str]:
    query = (select(Escalation.household_id)
             .where(Escalation.status.in_(ACTIVE),
                    Escalation.kind.in_((EscalationKind.urgent.value, EscalationKind.abnormal.value)))
             .group_by(Escalation.household_id).having(func.count(sa.distinct(Escalation.kind)) == 2)
             .order_by(Escalation.household_id))
    return list(session.exec(query).all())


def _active(session: Session, *, household_id: str, kinds: tuple[str, ...]) -> list[Escalation]:
    """The household's open cases of these kinds: acknowledged first (someone is on it), then oldest."""
    taken = sa.case((Escalation.status == EscalationStatus.acknowledged.value, 0), else_=1)
    return list(session.exec(
        select(Escalation).where(Escalation.household_id == household_id, Escalation.kind.in_(kinds),
                                 Escalation.status.in_(ACTIVE))
        .order_by(taken, Escalation.created_at, Escalation.id)).all())


def _reword(session: Session) -> int:
    """Open cases from before cases kept their people ("person 0: ...") get their people in words."""
    rows = session.exec(select(Escalation).where(
        Escalation.status.in_(ACTIVE), Escalation.kind.in_(SCREENING_KINDS), Escalation.people.is_(None),
        Escalation.screening_id.is_not(None))).all()
    reworded = 0
    for row in rows:
        people = people_of(session, row)
        if people:
            row.people, row.detail = case_people.dump(people), case_people.describe(people)
            session.add(row)
            reworded += 1
    session.flush()
    return reworded
