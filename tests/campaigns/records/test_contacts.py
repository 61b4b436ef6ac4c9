"""The call context's language and voice: the household's own language, else the campaign's; the
campaign's voice for that language, else none (the language's default voice speaks)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session

from campaigns.outreach.campaign_file import parse_campaign, spec_to_json
from campaigns.records.contacts import call_context
from campaigns.records.models import Attempt, Campaign, Household

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def context_for(engine, household_language: str, spec_json: str):
    with Session(engine) as session:
        session.add(Campaign(id="c", spec_json=spec_json))
        session.add(Household(id="h", phone="+14155550100", language=household_language))
        session.flush()
        attempt = Attempt(campaign_id="c", household_id="h", day=date(2026, 12, 1), round_no=1, due_at=T0,
                          conversation_id="h:a1")
        session.add(attempt)
        session.commit()
        return call_context(session, attempt_id=attempt.id)


def campaign(**fields) -> str:
    data = {"name": "c", "schedule": {"start": "2026-12-01", "days": 1, "rounds": ["09:00"]}, **fields}
    return spec_to_json(parse_campaign(data, path=Path("c.yml")))


VOICES = {"en": "Polly.Joanna", "zh": "Polly.Zhiyu-Neural"}


@pytest.mark.parametrize("household, fields, language, voice", [
    ("zh", {"voices": VOICES}, "zh", "Polly.Zhiyu-Neural"),
    ("en", {"language": "zh", "voices": VOICES}, "en", "Polly.Joanna"),
    ("", {"language": "zh", "voices": VOICES}, "zh", "Polly.Zhiyu-Neural"),  # no language: the campaign's
    ("ZH", {}, "zh", None),  # written before lists were normalised; None: Polly.Zhiyu, the zh default
    ("fr", {"language": "zh"}, "zh", None),  # not spoken: the campaign's
    ("zh", {"voices": {"en": "Polly.Joanna"}}, "zh", None),  # no zh voice named: the zh default
    ("en", {"voice": "Polly.Joanna"}, "en", "Polly.Joanna"),  # `voice` speaks the campaign's language
    ("zh", {"voice": "Polly.Joanna"}, "zh", None),  # ... and no other
], ids=["own", "own-en", "blank", "lenient", "unspoken", "unnamed", "voice", "voice-other-language"])
def test_call_context_language_and_voice(db, household, fields, language, voice):
    context = context_for(db, household, campaign(**fields))
    assert (context.language, context.voice) == (language, voice)


def test_call_context_of_a_campaign_stored_before_voices_uses_its_voice_for_its_language(db):
    stored = '{"name": "c", "language": "zh-CN", "voice": "Polly.Zhiyu"}'  # only what call_context reads
    context = context_for(db, "", stored)
    assert (context.language, context.voice) == ("zh", "Polly.Zhiyu")


def test_answering_machine_message_is_said_in_the_campaigns_language_and_voice(db):
    spec = campaign(language="zh", voices=VOICES, answering_machine={"leave_message": True, "message": "您好"})
    context = context_for(db, "en", spec)
    assert (context.language, context.machine_language, context.machine_voice, context.machine_message) == (
        "en", "zh", "Polly.Zhiyu-Neural", "您好")
