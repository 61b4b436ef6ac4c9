"""Writing a screening's results: one row per person, and the escalations they call for."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from rasa_sdk import Tracker
from sqlmodel import select

from bot.actions import context
from bot.assessment import Ending, PersonResult, summarize
from bot.channels.storage import in_session
from campaigns.records import case_people
from campaigns.records.screenings import add_screening
from campaigns.records.escalations import Raised, notify_opened, raise_case
from campaigns.records.models import EscalationKind, Household, Outcome, Screening


async def record_screening(tracker: Tracker, *, state: dict, ending: Ending) -> list[PersonResult]:
    """Store every person's row and escalate who needs it, off the event loop; returns the results."""
    return await in_session(lambda session: _record_screening(session, tracker, state=state, ending=ending))


def _record_screening(session, tracker: Tracker, *, state: dict, ending: Ending) -> list[PersonResult]:
    settings = context.settings()
    finished = context.now(tracker)
    started = _started_at(tracker) or finished
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
    if _recorded(session, tracker.sender_id, started):
        return results
    names = case_people.roster(contact_name=household.contact_name, member_names=household.member_names,
                               members=household.members)
    rows = [add_screening(session, screening=_row(tracker, household, result, state, started, finished,
                                                  name=case_people.name_of(names, result.person_index)))
            for result in results]
    raised = _escalate(session, household, results, rows, tracker.sender_id, finished)
    session.commit()
    notify_opened(raised, household)  # in the worker thread too: a notifier may wait on the network
    return results


def _recorded(session, conversation_id: str, started: datetime) -> bool:
    """Whether this screening is recorded already: the database can go away after this action
    wrote it and before the turn was saved, and the resident then answers again."""
    return session.exec(select(Screening.id).where(Screening.conversation_id == conversation_id,
                                                   Screening.started_at == started).limit(1)).first() is not None


def _started_at(tracker: Tracker) -> Optional[datetime]:
    value = tracker.get_slot("screening_started")
    return datetime.fromisoformat(value) if value else None


def _row(tracker: Tracker, household: Household, result: PersonResult, state: dict,
         started: datetime, finished: datetime, *, name: Optional[str]) -> Screening:
    callback = state.get("callback") or {}
    return Screening(
        household_id=household.id,
        person_index=result.person_index,
        person_name=name,
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


def _escalate(session, household: Household, results: list[PersonResult], rows: list[Screening],
              conversation_id: str, at: datetime) -> list[Raised]:
    """One case per kind for the whole screening: everybody abnormal goes into the urgent case when
    anyone is urgent (records/escalations.py says why), the unclear into their own."""
    health = EscalationKind.urgent if any(r.urgent for r in results) else EscalationKind.abnormal
    groups: dict[EscalationKind, list[Screening]] = {}
    for result, row in zip(results, rows):
        if result.abnormal or result.urgent:
            groups.setdefault(health, []).append(row)
        elif result.unclear:
            groups.setdefault(EscalationKind.unclear, []).append(row)
    return [raise_case(session, household=household, kind=kind, people=group, screening_id=group[0].id,
                       conversation_id=conversation_id, at=at)
            for kind, group in groups.items()]


async def record_request(tracker: Tracker, *, kind: EscalationKind, said: str) -> None:
    """A help request or a request to talk to a person: escalated at once, off the event loop."""
    def escalate(session) -> None:
        household = context.find_household(session, tracker)
        if household is None:
            raise LookupError(f"conversation {tracker.sender_id} has no household")
        raised = raise_case(session, household=household, kind=kind, detail=f"resident said: {said}",
                            conversation_id=tracker.sender_id, at=context.now(tracker))
        session.commit()
        notify_opened([raised], household)

    await in_session(escalate)
