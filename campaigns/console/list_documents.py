"""The two lists a district office prints, as PDFs: the field-visit list (households a day did not
reach) and the follow-up list (open abnormal and urgent cases). The console's PDF links and
`screening report field-visits|follow-ups` both make them here. Times are in the office's zone;
phones are masked when the reader may not see them. The console's copies are in its reader's
language (`translations`); the command line's in English.
"""
from __future__ import annotations

import gettext
import itertools
from datetime import date, datetime
from typing import Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session

from campaigns.console import words
from campaigns.console.printing import Column, Section, pdf_bytes
from campaigns.phones import mask_phone
from campaigns.records import case_lists, field_visits, local_times

ENGLISH = gettext.NullTranslations()


def field_columns(tr: gettext.NullTranslations) -> list[Column]:
    return [Column(tr.gettext("Household"), 22), Column(tr.gettext("Contact"), 38),
            Column(tr.gettext("Address and notes"), 52), Column(tr.gettext("Attempts made"), 46),
            Column(tr.gettext("Visit outcome"), 32)]


def follow_up_columns(tr: gettext.NullTranslations) -> list[Column]:
    return [Column(tr.gettext("Case"), 14), Column(tr.gettext("Raised"), 24), Column(tr.gettext("Household"), 22),
            Column(tr.gettext("Contact"), 36), Column(tr.gettext("People and readings"), 62),
            Column(tr.gettext("Taken by"), 32)]


def field_visit_pdf(session: Session, *, day: date, campaign_id: Optional[str], community: Optional[str],
                    office: ZoneInfo, mask: bool, now: datetime,
                    translations: gettext.NullTranslations = ENGLISH) -> bytes:
    tr = translations
    visits = field_visits.field_visits(session, day=day, campaign_id=campaign_id, community=community)
    sections = (Section(words.community(tr, name), (_visit_cells(visit, office, mask, tr) for visit in group))
                for name, group in itertools.groupby(visits, key=lambda visit: visit.community))
    scope = [tr.gettext("campaign %(id)s") % {"id": campaign_id} if campaign_id else tr.gettext("every campaign")]
    return pdf_bytes(title=tr.gettext("Field visits, %(day)s") % {"day": day.isoformat()}, columns=field_columns(tr),
                     sections=sections,
                     subtitle=_subtitle(tr.gettext("Households the day's calls did not reach"), scope, now, office,
                                        community=community, tr=tr),
                     empty=tr.gettext("Every household of the day was reached, or none was called yet."))


def follow_up_pdf(session: Session, *, community: Optional[str], office: ZoneInfo, mask: bool,
                  now: datetime, translations: gettext.NullTranslations = ENGLISH) -> bytes:
    tr = translations
    found = case_lists.follow_ups(session, community=community)
    sections = (Section(words.community(tr, name), (_case_cells(case, office, mask, tr) for case in group))
                for name, group in itertools.groupby(found, key=lambda case: case.community))
    return pdf_bytes(title=tr.gettext("Follow-up list"), columns=follow_up_columns(tr), sections=sections,
                     subtitle=_subtitle(tr.gettext("Open abnormal and urgent cases, oldest first"), [], now, office,
                                        community=community, tr=tr),
                     empty=tr.gettext("No abnormal or urgent case is open."))


def phone_of(phone: Optional[str], mask: bool) -> str:
    return mask_phone(phone) if mask else (phone or "-")


def attempt_words(visit: field_visits.FieldVisit, office: ZoneInfo,
                  tr: gettext.NullTranslations = ENGLISH) -> list[str]:
    """Each attempt as '09:00 no answer (voice)', in the office's zone."""
    return [f"{local_times.local(a.at, office, '%H:%M')} "
            f"{words.word(tr, 'attempt status', a.status).replace('_', ' ')} ({words.word(tr, 'channel', a.channel)})"
            for a in visit.attempts]


def _visit_cells(visit: field_visits.FieldVisit, office: ZoneInfo, mask: bool,
                 tr: gettext.NullTranslations) -> list[str]:
    where = "\n".join(text for text in (visit.address, visit.notes) if text) or "-"
    attempts = "\n".join(attempt_words(visit, office, tr))
    if visit.still_trying:
        attempts += "\n" + tr.gettext("still being tried")
    members = tr.gettext("%(count)s in household") % {"count": visit.members}
    contact = f"{visit.contact_name or '-'}\n{phone_of(visit.phone, mask)}\n{members}"
    return [visit.household_id, contact, where, attempts, ""]


def _case_cells(case: case_lists.Case, office: ZoneInfo, mask: bool, tr: gettext.NullTranslations) -> list[str]:
    row = case.escalation
    raised = local_times.local(row.created_at, office)
    if (row.raised_count or 1) > 1:
        raised += "\n" + tr.ngettext("%(num)s time, latest %(when)s", "%(num)s times, latest %(when)s",
                                     row.raised_count) % {"num": row.raised_count,
                                                          "when": local_times.local(case.latest, office)}
    people = "\n".join(f"{p.label}: {p.reading}" if p.reading else p.label for p in case.people) or row.detail
    contact = "\n".join(text for text in (case.contact_name or "-", phone_of(case.phone, mask), case.address) if text)
    taken = row.assigned_to or words.word(tr, "status", row.status)
    return [f"{row.id}\n{words.word(tr, 'severity', row.severity)}", raised, row.household_id, contact, people, taken]


def _subtitle(what: str, scope: list[str], now: datetime, office: ZoneInfo, *, community: Optional[str],
              tr: gettext.NullTranslations) -> str:
    scope = [*scope, tr.gettext("community %(name)s") % {"name": community} if community
             else tr.gettext("every community")]
    return tr.gettext("%(what)s; %(scope)s. Printed %(when)s; times in %(zone)s.") % {
        "what": what, "scope": tr.pgettext("list separator", ", ").join(scope),
        "when": local_times.stamped(now, office), "zone": office.key}

