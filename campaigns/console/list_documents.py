"""The two lists a district office prints, as PDFs: the field-visit list (households a day did not
reach) and the follow-up list (open abnormal and urgent cases). The console's PDF links and
`screening report field-visits|follow-ups` both make them here. Times are in the office's zone;
phones are masked when the reader may not see them.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session

from campaigns.console.printing import Column, Section, pdf_bytes
from campaigns.phones import mask_phone
from campaigns.records import case_lists, field_visits, local_times

FIELD_COLUMNS = [Column("Household", 22), Column("Contact", 38), Column("Address and notes", 52),
                 Column("Attempts made", 46), Column("Visit outcome", 32)]
FOLLOW_UP_COLUMNS = [Column("Case", 14), Column("Raised", 24), Column("Household", 22),
                     Column("Contact", 36), Column("People and readings", 62), Column("Taken by", 32)]


def field_visit_pdf(session: Session, *, day: date, campaign_id: Optional[str], community: Optional[str],
                    office: ZoneInfo, mask: bool, now: datetime) -> bytes:
    visits = field_visits.field_visits(session, day=day, campaign_id=campaign_id, community=community)
    sections = (Section(name, (_visit_cells(visit, office, mask) for visit in group))
                for name, group in itertools.groupby(visits, key=lambda visit: visit.community))
    return pdf_bytes(title=f"Field visits, {day.isoformat()}", columns=FIELD_COLUMNS, sections=sections,
                     subtitle=_subtitle("Households the day's calls did not reach", now, office,
                                        campaign_id=campaign_id, community=community),
                     empty="Every household of the day was reached, or none was called yet.")


def follow_up_pdf(session: Session, *, community: Optional[str], office: ZoneInfo, mask: bool,
                  now: datetime) -> bytes:
    found = case_lists.follow_ups(session, community=community)
    sections = (Section(name, (_case_cells(case, office, mask) for case in group))
                for name, group in itertools.groupby(found, key=lambda case: case.community))
    return pdf_bytes(title="Follow-up list", columns=FOLLOW_UP_COLUMNS, sections=sections,
                     subtitle=_subtitle("Open abnormal and urgent cases, oldest first", now, office,
                                        campaign_id=None, community=community),
                     empty="No abnormal or urgent case is open.")


def phone_of(phone: Optional[str], mask: bool) -> str:
    return mask_phone(phone) if mask else (phone or "-")


def attempt_words(visit: field_visits.FieldVisit, office: ZoneInfo) -> list[str]:
    """Each attempt as '09:00 no answer (voice)', in the office's zone."""
    return [f"{local_times.local(a.at, office, '%H:%M')} {a.status.replace('_', ' ')} ({a.channel})"
            for a in visit.attempts]


def _visit_cells(visit: field_visits.FieldVisit, office: ZoneInfo, mask: bool) -> list[str]:
    where = "\n".join(text for text in (visit.address, visit.notes) if text) or "-"
    attempts = "\n".join(attempt_words(visit, office))
    if visit.still_trying:
        attempts += "\nstill being tried"
    contact = f"{visit.contact_name or '-'}\n{phone_of(visit.phone, mask)}\n{visit.members} in household"
    return [visit.household_id, contact, where, attempts, ""]


def _case_cells(case: case_lists.Case, office: ZoneInfo, mask: bool) -> list[str]:
    row = case.escalation
    raised = local_times.local(row.created_at, office)
    if (row.raised_count or 1) > 1:
        raised += f"\n{row.raised_count} times, latest {local_times.local(case.latest, office)}"
    people = "\n".join(f"{p.label}: {p.reading}" if p.reading else p.label for p in case.people) or row.detail
    contact = "\n".join(text for text in (case.contact_name or "-", phone_of(case.phone, mask), case.address) if text)
    taken = row.assigned_to or ("open" if row.status == "open" else row.status)
    return [f"{row.id}\n{row.severity}", raised, row.household_id, contact, people, taken]


def _subtitle(what: str, now: datetime, office: ZoneInfo, *, campaign_id: Optional[str],
              community: Optional[str]) -> str:
    scope = [f"campaign {campaign_id}" if campaign_id else "every campaign"] if what.startswith("Households") else []
    scope.append(f"community {community}" if community else "every community")
    return (f"{what}; {', '.join(scope)}. Printed {local_times.stamped(now, office)}; "
            f"times in {office.key}.")

