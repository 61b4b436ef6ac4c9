"""Conversations survive `kill -9`: the Rasa server killed in the middle of a voice call (driven
through the Twilio emulator) and of a web chat, and the action server killed before a turn, each
started again on its port as a supervisor would. Trackers live in the database (Rasa's SQL
tracker store), so the conversation carries on at the same question with every answer kept once;
a call whose answer finds the server dead ends as Twilio ends it, and is accounted for exactly."""
from __future__ import annotations

import asyncio
import signal
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.channels import twiml
from bot.channels.conversation import Reply
from bot.channels.twilio_base import RETRY_OVERRIDES, TwilioWebhookConfig
from bot.channels.voice import NOT_HEARD, VoiceInput
from campaigns.records.contacts import CallContext
from campaigns.records.carrier_events import CALL_STATUS_WAIT
from campaigns.records.db import get_engine
from campaigns.records.models import Screening
from campaigns.settings import get_settings
from tests import live
from tests.bot.test_public_surface import chat, post, sender
from tests.campaigns.twilio_helpers import LiveCampaign, community_households, new_phone, settled
from tests.live import ACCOUNT_SID, AUTH_TOKEN
from tests.twilio_emulator import APPLICATION_ERROR_SPEECH, Overrides, Resident, TwilioEmulator

WAY_FORWARD = "Sorry, something went wrong on our side"
GREETING = "good time"
SYMPTOMS_ASKED = "any of these today"


class Servers:
    """The action server and the Rasa server, each its own process group, restartable on its port."""

    def __init__(self, tmp) -> None:
        self.tmp, self.database_url = tmp, f"sqlite:///{tmp}/crash.db"
        self.actions = live.start_part(tmp, "actions", database_url=self.database_url, log_name="actions.log")
        self.rasa = live.start_part(tmp, "rasa", database_url=self.database_url, actions_url=self.actions_url,
                                    log_name="rasa.log")

    @property
    def actions_url(self) -> str:
        return f"{self.actions.url}/webhook"

    def kill(self, part: str) -> int:
        """SIGKILL the part and all it started (nothing is flushed on the way out); its exit code."""
        server = getattr(self, part)
        live.stop_process(server.proc, signal.SIGKILL)
        return server.proc.returncode

    def restart(self, part: str) -> None:
        old = getattr(self, part)
        setattr(self, part, live.restart_part(self.tmp, old, part, actions_url=self.actions_url,
                                              log_name=f"{part}-again-{old.proc.pid}.log"))

    def ensure(self) -> None:
        """Each part up, whatever an earlier test did to it."""
        for part in ("actions", "rasa"):
            if getattr(self, part).proc.poll() is not None:
                self.restart(part)

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            live.stop(server)


@pytest.fixture(scope="module")
def servers(tmp_path_factory, model_path):
    found = Servers(tmp_path_factory.mktemp("crash"))
    yield found
    found.stop()


@pytest.fixture
def engine(servers, monkeypatch):
    servers.ensure()
    monkeypatch.setenv("SCREENING_DATABASE_URL", servers.database_url)
    get_settings.cache_clear()
    yield get_engine(servers.database_url)
    get_settings.cache_clear()


def screenings(engine, **where) -> list[tuple]:
    with Session(engine) as session:
        query = select(Screening)
        for column, value in where.items():
            query = query.where(getattr(Screening, column) == value)
        rows = session.exec(query.order_by(Screening.id)).all()
    return [(r.temperature_c, r.symptoms, r.abnormal, r.channel, r.outcome) for r in rows]


def test_our_gather_urls_have_twilio_retry_only_a_request_that_never_ran():
    config = TwilioWebhookConfig(auth_token="token", public_url="https://x.example")
    url = config.retried_url("/webhooks/voice/gather", ref="2.ab", question="utter_ask_symptoms")
    base, overrides = Overrides.of(url, read=15)
    assert base == "https://x.example/webhooks/voice/gather?ref=2.ab&question=utter_ask_symptoms"
    assert (overrides.connect, overrides.read, overrides.total, overrides.retries) == (2.0, 15, 15.0, 5)
    assert [overrides.retried(failure) for failure in ("ct", "5xx", "rt", "dropped", "4xx")] == [
        True, True, False, False, False]  # a read timeout or a dropped connection may have taken the turn


@pytest.mark.parametrize("responses, listens", [(("utter_way_forward",), True), (("utter_close_well",), False)],
                         ids=["way-forward", "closing"])
def test_a_call_whose_turn_jammed_listens_again_at_the_open_question(responses, listens):
    voice = VoiceInput(TwilioWebhookConfig(auth_token="token", public_url="https://x.example"))
    call = CallContext(attempt_id=2, conversation_id="h1:a2", household_id="h1", campaign_id="c", channel="voice")
    reply = Reply(texts=["Sorry, something went wrong on our side. Please say your answer again."], asked_with=None,
                  responses=responses)
    said = ET.fromstring(voice._say(reply, call, twiml.Speaker(), question="utter_ask_symptoms"))
    gathers = [gather.get("action") for gather in said.iter("Gather")]
    assert (gathers, said.find("Hangup") is not None) == (
        ([voice._gather_url(call, "utter_ask_symptoms", 0)], False) if listens else ([], True))
    assert [say.text for say in said.iter("Say")] == reply.texts


def test_a_chat_carries_on_at_the_same_question_after_the_rasa_server_is_killed(servers, engine):
    me = sender()
    before = chat(servers.rasa, me, "hi", "yes", "36.6")
    assert SYMPTOMS_ASKED in " ".join(before[-1]).lower()
    assert servers.kill("rasa") == -signal.SIGKILL
    servers.restart("rasa")
    after = chat(servers.rasa, me, "no", "no")
    assert GREETING not in " ".join(after[0]).lower() and WAY_FORWARD not in " ".join(after[0])
    assert "stay well" in " ".join(after[-1]).lower(), after
    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id.contains(me))).all()
    assert [(r.temperature_c, r.symptoms, r.channel, r.outcome) for r in rows] == [(36.6, "", "chat", "completed")]


def test_a_turn_without_the_action_server_gets_a_way_forward_and_the_chat_completes_once_it_is_back(
        servers, engine):
    me = sender()
    chat(servers.rasa, me, "hi", "yes", "36.6")
    assert servers.kill("actions") == -signal.SIGKILL
    status, jammed = post(f"{servers.rasa.url}/webhooks/chat/webhook", {"sender": me, "message": "no"})
    # A jammed turn, not a store outage: a way forward (or the question again), never a 503.
    assert status == 200, jammed
    assert jammed[-1]["text"].startswith(WAY_FORWARD) or SYMPTOMS_ASKED in jammed[-1]["text"].lower(), jammed
    with Session(engine) as session:
        assert session.exec(select(Screening).where(Screening.conversation_id.contains(me))).all() == []
    servers.restart("actions")
    after = chat(servers.rasa, me, "no", "no")
    assert "stay well" in " ".join(after[-1]).lower(), after
    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id.contains(me))).all()
    assert [(r.temperature_c, r.symptoms, r.channel, r.outcome) for r in rows] == [(36.6, "", "chat", "completed")]


def _says(twiml: str) -> list[str]:
    return [(say.text or "").strip() for say in ET.fromstring(twiml).iter("Say")]


def test_a_call_carries_on_at_the_same_question_when_the_rasa_server_is_killed_while_the_resident_talks(
        servers, engine):
    phone, killed = new_phone(), []

    async def crash_while_answering(gather: int) -> None:
        if gather == 2:  # temperature answered; the symptoms question is being answered
            killed.append(servers.kill("rasa"))
            await asyncio.to_thread(servers.restart, "rasa")

    resident = Resident(answers=["speech:yes", "dtmf:375#", "silence", "speech:a dry cough", "dtmf:2"],
                        before_answer=crash_while_answering)

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            emulator.residents[phone] = resident
            campaign = LiveCampaign(engine, servers.rasa, emulator, community_households(phone))
            try:
                await campaign.run_until(lambda: settled(campaign), timeout=400)
                await emulator.wait_idle(timeout=30)
            finally:
                await campaign.close()
            return campaign, next(iter(emulator.calls.values()))

    campaign, call = asyncio.run(main())
    assert killed == [-signal.SIGKILL]
    turns = [ex for ex in call.webhooks if ex.kind == "twiml"]
    assert [ex.status for ex in turns] == [200] * 6 and call.errors == []
    assert all(ex.url.endswith(RETRY_OVERRIDES) for ex in turns[1:])  # every Gather action carries them
    asked, first_after = _says(turns[2].text), _says(turns[3].text)  # before the kill, and after the restart
    assert SYMPTOMS_ASKED in asked[-1].lower()
    assert first_after == [NOT_HEARD, asked[-1]]  # the same open question, not the greeting
    [attempt] = campaign.attempts()
    assert attempt.status == "completed"
    assert screenings(engine, conversation_id=attempt.conversation_id) == [(37.5, "cough", True, "voice", "completed")]


def test_a_call_whose_answer_finds_the_rasa_server_dead_is_retried_by_twilio_then_ends_and_is_accounted_for(
        servers, engine):
    """Twilio tries the answer 6 times (our overrides), then apologises and hangs up; its status
    callback is lost too. Once the server is back, the dispatcher closes the call it never heard
    end: what was answered before the kill is kept, once, as a partial screening."""
    phone, killed = new_phone(), []

    async def crash_while_answering(gather: int) -> None:
        if gather == 2:
            killed.append(servers.kill("rasa"))
            await asyncio.sleep(1)  # the resident still talking: the emulator sees its idle connection close

    resident = Resident(answers=["speech:yes", "dtmf:375#", "speech:a dry cough", "dtmf:2"],
                        before_answer=crash_while_answering)

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            emulator.residents[phone] = resident
            campaign = LiveCampaign(engine, servers.rasa, emulator, community_households(phone))
            try:
                await campaign.run_until(lambda: bool(emulator.calls) and all(
                    c.done.is_set() for c in emulator.calls.values()), timeout=400)
                await emulator.wait_idle(timeout=30)
                waiting = campaign.attempts()
                await asyncio.to_thread(servers.restart, "rasa")
                later = campaign.dispatcher.clock.now() + CALL_STATUS_WAIT + timedelta(minutes=1)
                await campaign.dispatcher.outcomes.expire_overdue(later)
            finally:
                await campaign.close()
            return campaign, next(iter(emulator.calls.values())), waiting

    campaign, call, waiting = asyncio.run(main())
    assert killed == [-signal.SIGKILL]
    turns = [ex for ex in call.webhooks if ex.kind == "twiml"]
    assert [(ex.status, ex.failure) for ex in turns] == [(200, "")] * 3 + [(None, "ct")] * 6
    assert {ex.params["SpeechResult"] for ex in turns[3:]} == {"a dry cough"}
    assert (call.errors[0][0], call.heard[-1], call.status) == (11205, APPLICATION_ERROR_SPEECH, "completed")
    assert [(ex.params["CallStatus"], ex.status) for ex in call.callbacks][-2:] == [("completed", None)] * 2
    assert [(a.status, a.try_no) for a in waiting] == [("in_progress", 1)]  # its end was never heard
    [attempt] = campaign.attempts()
    assert (attempt.status, attempt.detail) == ("completed", "no final status or reply came in time")
    assert screenings(engine, conversation_id=attempt.conversation_id) == [(37.5, None, True, "voice", "partial")]
