"""The words staff read for the codes the records keep (kinds, severities, statuses, outcomes,
channels, screening sources, help categories, roles, symptoms and red flags), in the reader's language.

An English page shows each code as it always has; another language shows the catalogue's word, or
the code itself when the catalogue has none (a code added later still shows). Each word has the
vocabulary as its gettext context, since one code can need two words ("completed": a call that got
through, a conversation that reached its end).
"""
from __future__ import annotations

import gettext
from typing import Optional

from campaigns.records import counts, summaries


def pgettext(context: str, message: str) -> tuple[str, str]:
    """Marks a word for the catalogue (Babel extracts these calls); `word` translates it."""
    return context, message


WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {
        "abnormal": pgettext("kind", "abnormal"),
        "urgent": pgettext("kind", "urgent"),
        "help_request": pgettext("kind", "help request"),
        "staff_callback": pgettext("kind", "staff callback"),
        "unclear": pgettext("kind", "unclear"),
        "field_visit": pgettext("kind", "field visit"),
    },
    "severity": {
        "routine": pgettext("severity", "routine"),
        "high": pgettext("severity", "high"),
        "urgent": pgettext("severity", "urgent"),
    },
    "status": {  # an escalation's, and the queue's status filter
        "open": pgettext("status", "open"),
        "acknowledged": pgettext("status", "acknowledged"),
        "resolved": pgettext("status", "resolved"),
        "active": pgettext("status", "not resolved"),
        "all": pgettext("status", "all"),
    },
    "campaign status": {
        "running": pgettext("campaign status", "running"),
        "paused": pgettext("campaign status", "paused"),
        "stopped": pgettext("campaign status", "stopped"),
        "finished": pgettext("campaign status", "finished"),
    },
    "attempt status": {
        "due": pgettext("attempt status", "due"),
        "claimed": pgettext("attempt status", "claimed"),
        "dialing": pgettext("attempt status", "dialing"),
        "in_progress": pgettext("attempt status", "in progress"),
        "completed": pgettext("attempt status", "completed"),
        "busy": pgettext("attempt status", "busy"),
        "no_answer": pgettext("attempt status", "no answer"),
        "machine": pgettext("attempt status", "machine"),
        "failed": pgettext("attempt status", "failed"),
        "interrupted": pgettext("attempt status", "interrupted"),
        "dropped": pgettext("attempt status", "dropped"),
        "canceled": pgettext("attempt status", "canceled"),
        "skipped": pgettext("attempt status", "skipped"),
    },
    "attempt kind": {
        "round": pgettext("attempt kind", "round"),
        "retry": pgettext("attempt kind", "retry"),
        "callback": pgettext("attempt kind", "callback"),
    },
    "outcome": {
        "completed": pgettext("outcome", "completed"),
        "partial": pgettext("outcome", "partial"),
        "refused": pgettext("outcome", "refused"),
        "callback_requested": pgettext("outcome", "callback requested"),
        "opted_out": pgettext("outcome", "opted out"),
        "wrong_number": pgettext("outcome", "wrong number"),
    },
    "channel": {
        "voice": pgettext("channel", "voice"),
        "sms": pgettext("channel", "sms"),
        "chat": pgettext("channel", "chat"),
        "simulated": pgettext("channel", "simulated"),
        "chat_link": pgettext("channel", "chat link"),  # a campaign's channel: a link texted to the household
        "link": pgettext("channel", "link"),  # a conversation on the resident page, opened from a chat link
        "web": pgettext("channel", "web page"),  # the resident page, reported on without a link
    },
    "source": {  # where a screening came from (records/self_reports.py)
        "call": pgettext("source", "call"),
        "sms": pgettext("source", "SMS"),
        "link": pgettext("source", "chat link"),
        "walk_in": pgettext("source", "walk-in"),
    },
    "help category": {  # what a resident asked for with the page's "I need help" button
        "medicine": pgettext("help category", "medicine"),
        "food": pgettext("help category", "food"),
        "medical_care": pgettext("help category", "medical care"),
        "other": pgettext("help category", "other"),
    },
    "role": {
        "viewer": pgettext("role", "viewer"),
        "operator": pgettext("role", "operator"),
        "supervisor": pgettext("role", "supervisor"),
    },
    "symptom": {
        "fever": pgettext("symptom", "fever"),
        "chills": pgettext("symptom", "chills"),
        "cough": pgettext("symptom", "cough"),
        "shortness_of_breath": pgettext("symptom", "shortness of breath"),
        "fatigue": pgettext("symptom", "fatigue"),
        "muscle_aches": pgettext("symptom", "muscle aches"),
        "headache": pgettext("symptom", "headache"),
        "loss_of_taste_or_smell": pgettext("symptom", "loss of taste or smell"),
        "sore_throat": pgettext("symptom", "sore throat"),
        "runny_nose": pgettext("symptom", "runny nose"),
        "nausea_vomiting": pgettext("symptom", "nausea or vomiting"),
        "diarrhea": pgettext("symptom", "diarrhea"),
    },
    "red flag": {
        "difficulty_breathing": pgettext("red flag", "difficulty breathing"),
        "chest_pain": pgettext("red flag", "chest pain"),
        "confusion": pgettext("red flag", "confusion"),
        "bluish_lips": pgettext("red flag", "bluish lips"),
    },
}
SEPARATOR = pgettext("list separator", ", ")  # between words of a list: "、" in Chinese
# What the counts name a row that is no community of the list's.
COMMUNITIES = {counts.NO_COMMUNITY: pgettext("community", "(no community)"),
               summaries.TOTAL: pgettext("community", "(all communities)")}


def word(translations: gettext.NullTranslations, vocabulary: str, code: Optional[str]) -> str:
    """The reader's word for a code; in English (no catalogue) the code itself."""
    entry = WORDS[vocabulary].get(code or "")
    if entry is None or type(translations) is gettext.NullTranslations:
        return code or ""
    return translations.pgettext(*entry)


def community(translations: gettext.NullTranslations, name: Optional[str]) -> str:
    """A community's name; the counts' "(no community)" and "(all communities)" in the reader's words."""
    entry = COMMUNITIES.get(name or "")
    return translations.pgettext(*entry) if entry else (name or "")


def words(translations: gettext.NullTranslations, vocabulary: str, joined: Optional[str]) -> str:
    """A ';'-joined list of codes as the reader's words; in English the list as it is stored."""
    if not joined or type(translations) is gettext.NullTranslations:
        return joined or ""
    return translations.pgettext(*SEPARATOR).join(word(translations, vocabulary, code)
                                                  for code in joined.split(";") if code)
