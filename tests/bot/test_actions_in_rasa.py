"""The custom actions in the Rasa server's own process (bot.serve's default) and on an action
server over HTTP (`--actions-url`, `--actions server`): the same conversations, the same rows,
and a failed action abandons its turn in both. Real servers, the real model and actions; a voice
call goes through the local Twilio emulator."""
from __future__ import annotations

import argparse
import asyncio
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlmodel import Session, select

from bot import rasa_runtime, serve
from bot.endpoints import endpoints
from bot.inprocess_actions import InProcessActions
from campaigns.records.db import get_engine
from campaigns.records.models import Screening
from campaigns.settings import Settings, get_settings
from tests import live
from tests.bot.test_public_surface import chat, sender
from tests.campaigns.twilio_helpers import LiveCampaign, community_households, new_phone, settled
from tests.live import ACCOUNT_SID, AUTH_TOKEN
from tests.twilio_emulator import Resident, TwilioEmulator

WAY_FORWARD = "Sorry, something went wrong on our side"
MALFORMED = {"events": {"event": "slot", "name": "x", "value": 1}, "responses": []}  # events not a list


def _args(*argv: str) -> argparse.Namespace:
    defaults = dict(host="127.0.0.1", port=5005, actions_port=5055, console_port=8000, only=None, actions=None,
                    actions_url=None)
    return argparse.Namespace(**{**defaults, **dict(zip(argv[::2], argv[1::2]))})


# --- what bot.serve starts and what the Rasa server is told --------------------------------------

def test_serve_runs_the_actions_in_the_rasa_server_unless_an_action_server_is_asked_for():
    model, file = Path("m.tar.gz"), Path("e.yml")
    assert list(serve.commands(model, file, _args())) == ["rasa", "console"]
    assert serve.actions_url(_args()) is None
    assert list(serve.commands(model, file, _args("actions", "server"))) == ["actions", "rasa", "console"]
    assert serve.actions_url(_args("actions", "server")) == "http://localhost:5055/webhook"
    url = "http://10.0.0.9:8080/webhook"
    assert list(serve.commands(model, file, _args("actions_url", url))) == ["actions", "rasa", "console"]
    assert list(serve.commands(model, file, _args("only", ["rasa"], "actions_url", url))) == ["rasa"]
    assert serve.actions_url(_args("only", ["rasa"], "actions_url", url)) == url
    assert list(serve.commands(model, file, _args("only", ["actions"]))) == ["actions"]
    assert serve.started(_args()) == ("Rasa server on http://127.0.0.1:5005 (the actions in its own process, "
                                      "no action server), console on http://127.0.0.1:8000; Ctrl-C stops all")
    assert serve.started(_args("only", ["rasa"], "actions_url", "http://u:secret@10.0.0.9:8080/webhook")) == (
        "Rasa server on http://127.0.0.1:5005 (calling the action server at http://10.0.0.9:8080/webhook); "
        "Ctrl-C stops it")
    assert "actions on :5055" in serve.started(_args("actions", "server"))


@pytest.mark.parametrize("argv, problem", [
    (["--actions", "inprocess", "--actions-url", "http://localhost:5055/webhook"], "calls no --actions-url"),
    (["--only", "rasa", "actions"], "add --actions server"),
    (["--actions", "elsewhere"], "argument --actions: invalid choice: 'elsewhere'"),
])
def test_serve_refuses_contradictory_actions_options_before_starting_anything(argv, problem, capsys):
    with pytest.raises(SystemExit) as exited:
        serve.main(argv)
    assert exited.value.code == 2 and problem in capsys.readouterr().err


def test_the_endpoints_name_the_actions_module_or_the_action_server():
    settings = Settings(database_url="sqlite:///x.db")
    assert endpoints(settings)["action_endpoint"] == {"actions_module": "bot.actions"}
    assert endpoints(settings, actions_url="http://a:5055/webhook")["action_endpoint"] == {
        "url": "http://a:5055/webhook"}
    assert rasa_runtime.actions_module(EndpointConfig(actions_module="bot.actions")) == "bot.actions"
    assert rasa_runtime.actions_module(EndpointConfig(url="http://a:5055/webhook")) is None
    assert rasa_runtime.actions_module(None) is None


def test_each_agent_rasa_loads_gets_its_own_in_process_actions(model_path):
    """What each Sanic worker does as it starts (rasa.core.run.load_agent_on_start)."""
    import rasa.core.agent
    from rasa.core.utils import AvailableEndpoints

    rasa_runtime.apply()
    given = AvailableEndpoints(action=EndpointConfig(actions_module="bot.actions"))
    loop = asyncio.new_event_loop()
    try:
        agents = [loop.run_until_complete(rasa.core.agent.load_agent(model_path=str(model_path), endpoints=given))
                  for _ in range(2)]
    finally:
        loop.close()
    first, second = (agent.action_endpoint for agent in agents)
    assert isinstance(first, InProcessActions) and isinstance(second, InProcessActions)
    assert first is not second and first.executor is not second.executor
    assert {"action_hang_up", "action_opt_out"} <= set(first.executor.actions) & set(second.executor.actions)
    assert type(given.action) is EndpointConfig  # the endpoints read from the file are left as they were


# --- the answer's check: kept for HTTP, skipped in-process ---------------------------------------

async def _run_remote(endpoint: EndpointConfig):
    action = RemoteAction("action_x", endpoint)
    tracker = DialogueStateTracker("checked", [])
    domain = Domain.empty()
    return await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, domain)


def test_a_malformed_answer_from_an_action_server_over_http_is_still_refused():
    rasa_runtime.apply()

    async def main():
        app = web.Application()

        async def webhook(_request):
            return web.json_response(MALFORMED)

        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        port = live.free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            return await _run_remote(EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"))
        finally:
            await runner.cleanup()

    with pytest.raises(jsonschema.ValidationError) as refused:
        asyncio.run(main())
    assert "Failed to validate Action server response" in refused.value.message


def test_an_in_process_answer_is_not_checked_against_the_schema():
    rasa_runtime.apply()
    assert RemoteAction("action_x", InProcessActions())._validate_action_result(MALFORMED) is True
    with pytest.raises(jsonschema.ValidationError):
        RemoteAction("action_x", EndpointConfig(url="http://a/webhook"))._validate_action_result(MALFORMED)


# --- live: the Rasa server alone, with the actions in-process or over HTTP -----------------------

class Servers:
    """`bot.serve --only rasa` with the actions in its process, or `--only rasa --actions-url` in
    front of `--only actions`; on a SQLite file of their own."""

    def __init__(self, tmp: Path, mode: str) -> None:
        self.mode, self.database_url = mode, f"sqlite:///{tmp}/{mode}.db"
        get_engine(self.database_url).dispose()  # the schema, before the servers open the file
        self.actions = None
        if mode == "server":
            self.actions = live.start_part(tmp, "actions", database_url=self.database_url, log_name="actions.log")
        self.rasa = live.start_part(tmp, "rasa", database_url=self.database_url, log_name="rasa.log",
                                    actions_url=f"{self.actions.url}/webhook" if self.actions else "")

    def stop(self) -> None:
        for server in (self.rasa, self.actions):
            if server is not None:
                live.stop(server)


@pytest.fixture(scope="module", params=["inprocess", "server"])
def servers(request, tmp_path_factory, model_path):
    found = Servers(tmp_path_factory.mktemp(f"actions-{request.param}"), request.param)
    yield found
    found.stop()


@pytest.fixture
def engine(servers, monkeypatch):
    monkeypatch.setenv("SCREENING_DATABASE_URL", servers.database_url)
    get_settings.cache_clear()
    yield get_engine(servers.database_url)
    get_settings.cache_clear()


def _processes_under(pid: int) -> list[str]:
    """The command lines of every process `pid` started, and theirs."""
    children: dict[int, list[int]] = {}
    lines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            lines[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(lines.get(child, ""))
        todo.extend(children.get(child, []))
    return found


def _listening_on_loopback(port: int) -> bool:
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(line.split()[1] == f"0100007F:{port:04X}" and line.split()[3] == "0A" for line in listening)


def test_the_action_server_runs_only_when_asked_for_and_listens_on_loopback(servers):
    under_rasa = [line for line in [*_processes_under(servers.rasa.proc.pid)] if "run actions" in line]
    assert under_rasa == []  # `--only rasa` never starts an action server
    if servers.mode == "server":
        assert _listening_on_loopback(int(servers.actions.url.rsplit(":", 1)[1]))
        assert any("run actions" in line for line in _processes_under(servers.actions.proc.pid))


def test_a_long_voice_call_is_answered_and_recorded_exactly(servers, engine):
    """Three people, ten answers: past 64 KiB, an action server's request once failed its turns."""
    phone = new_phone()
    resident = Resident(answers=["speech:yes please", "dtmf:375#", "speech:a dry cough", "speech:yes", "speech:two",
                                 "dtmf:381#", "speech:chills", "speech:not measured", "dtmf:1", "speech:none"])

    async def main():
        async with TwilioEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            emulator.residents[phone] = resident
            campaign = LiveCampaign(engine, servers.rasa, emulator, community_households(phone, members=3))
            try:
                await campaign.run_until(lambda: settled(campaign), timeout=120)
                await emulator.wait_idle(timeout=30)
            finally:
                await campaign.close()
            return campaign, next(iter(emulator.calls.values()))

    campaign, call = asyncio.run(main())
    assert call.errors == [] and [ex.status for ex in call.webhooks if ex.kind == "twiml"] == [200] * 11
    assert not any(WAY_FORWARD in said for said in call.heard), call.heard
    [attempt] = campaign.attempts()
    assert attempt.status == "completed"
    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id == attempt.conversation_id)
                            .order_by(Screening.person_index)).all()
    assert [(r.person_index, r.temperature_c, r.symptoms, r.abnormal, r.channel, r.outcome) for r in rows] == [
        (0, 37.5, "cough", True, "voice", "completed"), (1, 38.1, "chills", True, "voice", "completed"),
        (2, None, "", True, "voice", "completed")]  # not measured, but feels feverish


def test_a_failed_action_abandons_its_turn_and_the_answer_given_again_is_recorded_once(servers, engine):
    """The recording action fails (the database refuses the screening row: an integrity error, not
    an outage): the resident is given a way forward, nothing of the turn is kept, and the same
    answer once the fault is gone ends the screening with one row."""
    me = sender()
    asked = chat(servers.rasa, me, "hi", "yes", "36.6", "no")
    assert "stay well" not in " ".join(asked[-1]).lower()
    database = servers.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TRIGGER refuse_screenings BEFORE INSERT ON screenings "
                           "BEGIN SELECT RAISE(ABORT, 'screenings refused by the test'); END")
    try:
        [jammed] = chat(servers.rasa, me, "no")
    finally:
        with sqlite3.connect(database) as connection:
            connection.execute("DROP TRIGGER refuse_screenings")
    assert jammed[-1].startswith(WAY_FORWARD), jammed
    with Session(engine) as session:
        assert session.exec(select(Screening).where(Screening.conversation_id.contains(me))).all() == []
    [after] = chat(servers.rasa, me, "no")
    assert "stay well" in " ".join(after).lower(), after
    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.conversation_id.contains(me))).all()
    assert [(r.temperature_c, r.symptoms, r.channel, r.outcome) for r in rows] == [(36.6, "", "chat", "completed")]
