"""Writing a screening's results: one row per person, and the escalations they call for."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from rasa_sdk import Tracker

from bot.actions import context
from bot.assessment import Ending, PersonResult, summarize
from campaigns.records.screenings import add_screening
from campaigns.records.escalations import notify_all, raise_escalation
from campaigns.records.models import Escalation, EscalationKind, Household, Outcome, Screening


def record_screening(tracker: Tracker, *, state: dict, ending: Ending) -> list[PersonResult]:
    """Store every person's row and escalate who needs it; returns the results."""
    settings = context.settings()
    finished = context.now(tracker)
    started = _started_at(tracker) or finished
    with context.db_session() as session:
        household = context.find_household(session, tracker)
        if household is None:
            raise LookupError(f"conversation {tracker.sender_id} has no household")
        rules = tracker.get_slot("screening_rules") or {}
        results = summarize(
            state, ending=ending, members=household.members or 1,
            fever_threshold_c=rules.get("fever_threshold_c", settings.fever_threshold_c),
            symptoms=frozenset(rules["symptoms"]) if "symptoms" in rules else None,
            red_flags=frozenset(rules["red_flags"]) if "red_flags" in rules else None,
        )
        escalations = []
        for result in results:
            row = add_screening(session, screening=_row(tracker, household, result, state, started, finished))
            escalation = _escalate(session, household, result, row, tracker.sender_id)
            if escalation is not None:
                escalations.append(escalation)
        session.commit()
        notify_all(escalations, household)
    return results


def _started_at(tracker: Tracker) -> Optional[datetime]:
    value = tracker.get_slot("screening_started")
    return datetime.fromisoformat(value) if value else None


def _row(tracker: Tracker, household: Household, result: PersonResult, state: dict,
         started: datetime, finished: datetime) -> Screening:
    callback = state.get("callback") or {}
    return Screening(
        household_id=household.id,
        person_index=result.person_index,
        person_name=household.contact_name if result.person_index == 0 else None,
        campaign_id=tracker.get_slot("campaign_id"),
        channel=context.channel_of(tracker),
        conversation_id=tracker.sender_id,
        started_at=started,
        finished_at=finished,
        temperature_c=result.temperature_c,
        temperature_said=result.temperature_said,
        feels_feverish=result.feels_feverish,
        symptoms=_joined(result.symptoms),
        red_flags=_joined(result.red_flags),
        abnormal=result.abnormal,
        urgent=result.urgent,
        reason=result.reason,
        reported_by_contact=result.reported_by_contact,
        outcome=Outcome(result.outcome).value,
        callback_at=datetime.fromisoformat(callback["at"]) if callback.get("at") else None,
    )


def _joined(codes: Optional[tuple[str, ...]]) -> Optional[str]:
    return None if codes is None else ";".join(codes)


def _escalate(session, household: Household, result: PersonResult, row: Screening,
              conversation_id: str) -> Optional[Escalation]:
    if result.urgent:
        kind = EscalationKind.urgent
    elif result.abnormal:
        kind = EscalationKind.abnormal
    elif result.unclear:
        kind = EscalationKind.unclear
    else:
        return None
    detail = f"person {result.person_index}: {result.reason}"
    return raise_escalation(session, household=household, kind=kind, detail=detail,
                            screening_id=row.id, conversation_id=conversation_id)


def record_request(tracker: Tracker, *, kind: EscalationKind, said: str) -> None:
    """A help request or a request to talk to a person: escalated at once."""
    with context.db_session() as session:
        household = context.find_household(session, tracker)
        if household is None:
            raise LookupError(f"conversation {tracker.sender_id} has no household")
        escalation = raise_escalation(session, household=household, kind=kind,
                                      detail=f"resident said: {said}", conversation_id=tracker.sender_id)
        session.commit()
        notify_all([escalation], household)
