"""Escalations: what staff must follow up, and how they are told."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional, Protocol

from sqlmodel import Session

from campaigns.phones import mask_phone
from campaigns.records.models import Escalation, EscalationKind, Household, Severity, utcnow

log = logging.getLogger(__name__)

SEVERITY = {
    EscalationKind.urgent: Severity.urgent,
    EscalationKind.abnormal: Severity.high,
    EscalationKind.help_request: Severity.high,
    EscalationKind.staff_callback: Severity.routine,
    EscalationKind.unclear: Severity.routine,
    EscalationKind.field_visit: Severity.routine,
}


class Notifier(Protocol):
    def notify(self, escalation: Escalation, household: Household) -> None: ...


class LogNotifier:
    """Tells staff through the log; SMS to supervisors plugs in behind the same interface."""

    def notify(self, escalation: Escalation, household: Household) -> None:
        log.warning(
            "escalation #%s %s (%s) household %s phone %s: %s",
            escalation.id, escalation.kind, escalation.severity, household.id,
            mask_phone(household.phone), escalation.detail,
        )


def get_notifier() -> Notifier:
    return LogNotifier()


def raise_escalation(
    session: Session,
    *,
    household: Household,
    kind: EscalationKind,
    detail: str,
    screening_id: Optional[int] = None,
    conversation_id: Optional[str] = None,
    at: Optional[datetime] = None,
) -> Escalation:
    """Add an escalation row; its severity follows from its kind. Notify after commit."""
    escalation = Escalation(
        household_id=household.id,
        screening_id=screening_id,
        kind=kind.value,
        severity=SEVERITY[kind].value,
        detail=detail[:500],
        conversation_id=conversation_id,
        created_at=at or utcnow(),
    )
    session.add(escalation)
    session.flush()  # the id is logged by the notifier
    return escalation


def notify_all(escalations: list[Escalation], household: Household, notifier: Optional[Notifier] = None) -> None:
    notifier = notifier or get_notifier()
    for escalation in escalations:
        notifier.notify(escalation, household)
