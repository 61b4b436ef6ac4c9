"""Two Rasa servers and two action servers, each started alone (`python -m bot.serve --only ...`),
behind nginx proxies that share out requests round robin, on one PostgreSQL database and one
Redis: 100 calls placed at once by the dispatcher through the Twilio carrier, each call's turns
landing on either Rasa server, every screening exactly as the resident gave it."""
from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot import serve
from campaigns.records.db import get_engine
from campaigns.records.models import Household, Screening
from tests import live, nginx
from tests.campaigns.twilio_helpers import LiveCampaign, all_settled, community_households, new_phone
from tests.live import ACCOUNT_SID, AUTH_TOKEN
from tests.twilio_emulator import Resident, TwilioEmulator

CALLS = 100
SYMPTOMS = [("speech:no, nothing", ""), ("speech:a dry cough", "cough"),
            ("speech:just a little cough and a sore throat", "cough;sore_throat")]


def _args(*argv: str):
    """bot.serve's parsed options: the defaults, with `name, value` pairs over them."""
    defaults = dict(host="127.0.0.1", port=5005, actions_port=5055, console_port=8000, only=None, actions=None,
                    actions_url=None)
    return argparse.Namespace(**{**defaults, **dict(zip(argv[::2], argv[1::2]))})


def test_serve_only_starts_the_parts_named_and_the_rasa_server_calls_the_actions_url_given():
    model, endpoints = Path("m.tar.gz"), Path("e.yml")
    assert list(serve.commands(model, endpoints, _args())) == ["rasa", "console"]  # the actions in-process
    assert list(serve.commands(model, endpoints, _args("actions", "server"))) == ["actions", "rasa", "console"]
    assert list(serve.commands(model, endpoints, _args("only", ["rasa"]))) == ["rasa"]
    assert list(serve.commands(model, endpoints, _args("only", ["console", "actions"]))) == ["actions", "console"]
    assert serve.actions_url(_args("actions", "server")) == "http://localhost:5055/webhook"
    assert serve.actions_url(_args("actions_url", "http://10.0.0.9:8080/webhook")) == "http://10.0.0.9:8080/webhook"
    assert serve.started(_args("only", ["rasa"], "actions_url", "http://10.0.0.9:8080/webhook")) == (
        "Rasa server on http://127.0.0.1:5005 (calling the action server at http://10.0.0.9:8080/webhook); "
        "Ctrl-C stops it")


@pytest.mark.parametrize("argv, problem", [
    (["--only", "everything"], "argument --only: invalid choice: 'everything'"),
    (["--actions-url", "localhost:5055"], "argument --actions-url: not an http(s) URL with a host"),
    (["--actions-url", "http:///webhook"], "argument --actions-url: not an http(s) URL with a host"),
])
def test_serve_refuses_a_bad_part_or_actions_url_before_starting_anything(argv, problem, capsys):
    with pytest.raises(SystemExit) as exited:
        serve.main(argv)
    assert exited.value.code == 2 and problem in capsys.readouterr().err


@pytest.fixture
def cluster(tmp_path, pg_url, redis_server, redis_db, model_path):
    """nginx in front of two Rasa servers (`rasa`) and of two action servers (`actions`); the
    Rasa servers call the actions through their proxy, and Twilio signs for the public proxy."""
    get_engine(pg_url)  # the schema, once, before four processes open the database
    ports = {name: live.free_port() for name in ("rasa_a", "rasa_b", "actions_a", "actions_b")}
    proxy = nginx.start(tmp_path / "nginx",
                        nginx.Proxy("rasa", [f"127.0.0.1:{ports['rasa_a']}", f"127.0.0.1:{ports['rasa_b']}"]),
                        nginx.Proxy("actions", [f"127.0.0.1:{ports['actions_a']}", f"127.0.0.1:{ports['actions_b']}"]))
    # One Sanic worker each: the replicas are the point here, and the machine may have two cores.
    env = {"SCREENING_REDIS_URL": redis_server.url(redis_db), "SANIC_WORKERS": "1"}
    options = dict(database_url=pg_url, public_url=proxy.url("rasa"), actions_url=f"{proxy.url('actions')}/webhook",
                   extra_env=env)

    def start(name: str) -> live.LiveServer:
        return live.start_part(tmp_path, name.split("_")[0], port=ports[name], log_name=f"{name}.log", **options)

    with ThreadPoolExecutor(4) as pool:  # leaves once every start has ended, up or not
        futures = [pool.submit(start, name) for name in ports]
    servers = [future.result() for future in futures if future.exception() is None]
    try:
        for future in futures:
            future.result()  # the first start that failed, if any, fails the test
        yield proxy, ports, live.LiveServer(proxy.url("rasa"), pg_url, None, None)
    finally:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(live.stop, servers))
        proxy.stop_process()


def _residents(phones: list[str], seed: int = 14) -> tuple[dict[str, Resident], dict[str, tuple], dict[str, list]]:
    """Per phone: the resident, who gives a temperature of their own (by keypad or speech) and one
    of three symptom answers; the row that must come of it; the user messages the bot must see."""
    rng, residents, rows, texts = random.Random(seed), {}, {}, {}
    for n, phone in enumerate(phones):
        temperature = round(36.0 + (n % 20) / 10, 1)
        said = f"dtmf:{round(temperature * 10)}#" if n % 2 else f"speech:{temperature}"
        symptom, code = SYMPTOMS[n % len(SYMPTOMS)]
        answers = ["speech:yes", said, symptom, "dtmf:2"]
        residents[phone] = Resident(answers=list(answers), ring_seconds=rng.uniform(0.5, 2.0))
        rows[phone] = (temperature, code, "completed", "voice")
        texts[phone] = ["/greet"] + [answer.split(":", 1)[1].rstrip("#") for answer in answers]
    return residents, rows, texts


class ThinkingEmulator(TwilioEmulator):
    """The residents of `thinking` take 3-6 s to answer each question, as people do, so the calls
    stay live together and the servers see the turns of 100 calls interleaved, not 500 at once."""

    thinking: frozenset = frozenset()

    async def _fetch(self, call, url, *args, **options):
        if call.to in self.thinking and urlsplit(url).path.rstrip("/").endswith("/gather"):
            await asyncio.sleep(random.Random(f"{call.to}:{len(call.gathers)}").uniform(3.0, 6.0))
        return await super()._fetch(call, url, *args, **options)


def _dial(server: live.LiveServer, engine, residents: dict[str, Resident], warm_up: dict[str, Resident]):
    """First the `warm_up` calls, so each Rasa server has loaded the lazy parts of
    its model; then a campaign over `residents`, dialled at 10 calls a second (as a carrier allows;
    answering 100 calls in the same second is not a load a real round makes)."""
    async def run(emulator, households, **pacing):
        campaign = LiveCampaign(engine, server, emulator, households, pacing=pacing)
        try:
            await campaign.run_until(lambda: all_settled(campaign), timeout=150)
            await emulator.wait_idle(timeout=30)
        finally:
            await campaign.close()
        return campaign

    async def main():
        async with ThinkingEmulator(ACCOUNT_SID, AUTH_TOKEN) as emulator:
            emulator.residents.update({**warm_up, **residents})
            emulator.thinking = frozenset(residents)
            await run(emulator, community_households(*warm_up), max_concurrent_calls=2)
            campaign = await run(emulator, community_households(*residents), calls_per_second=10,
                                 max_concurrent_calls=500)
            return campaign, emulator

    return asyncio.run(main())


def _peak(calls) -> int:
    edges = sorted([(c.answered_at, 1) for c in calls] + [(c.ended_at, -1) for c in calls])
    live_now = peak = 0
    for _, step in edges:
        live_now += step
        peak = max(peak, live_now)
    return peak


def _user_texts(engine, conversations: list[str]) -> dict[str, list[str]]:
    """The user messages of each conversation, in the order the tracker store holds them."""
    found: dict[str, list[str]] = {conversation: [] for conversation in conversations}
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' "
                                          "AND sender_id IN :s ORDER BY id").bindparams(
                                              sa.bindparam("s", expanding=True)), {"s": conversations})
        for sender, data in rows:
            found[sender].append(json.loads(data)["text"])
    return found


def test_hundred_calls_through_round_robin_proxies_alternate_replicas_and_each_screening_is_exact(cluster):
    proxy, ports, server = cluster
    engine = get_engine(server.database_url)
    phones = [new_phone() for _ in range(CALLS + 2)]
    residents, expected, said = _residents(phones[:CALLS])
    warm_up, _, _ = _residents(phones[CALLS:])
    campaign, emulator = _dial(server, engine, residents, warm_up)

    calls = [call for call in emulator.calls.values() if call.to in residents]
    ends = Counter((c.status, c.ended_by, tuple(code for code, _ in c.errors)) for c in calls)
    assert len(calls) == CALLS and ends == {("completed", "app", ()): CALLS}, ends
    peak = _peak(calls)
    assert peak >= CALLS // 2  # the calls were live together, not one after another
    attempts = campaign.attempts()
    assert [a.status for a in attempts] == ["completed"] * CALLS  # one attempt each: nothing retried
    with Session(engine) as session:
        rows = session.exec(select(Screening).where(Screening.campaign_id == campaign.id)).all()
        phone_of = dict(session.exec(select(Household.id, Household.phone)
                                     .where(Household.id.in_(campaign.household_ids))).all())
    got = {phone_of[r.household_id]: r for r in rows}
    assert len(rows) == CALLS == len(got)  # one row per household: none lost, none doubled
    assert {phone: (r.temperature_c, r.symptoms, r.outcome, r.channel) for phone, r in got.items()} == expected
    by_attempt = {a.household_id: a.conversation_id for a in attempts}
    assert all(r.conversation_id == by_attempt[r.household_id] and r.person_index == 0 for r in rows)
    # Each turn reached the bot once and in order: the call's start, then the four answers.
    heard = _user_texts(engine, [a.conversation_id for a in attempts])
    assert {phone_of[a.household_id]: heard[a.conversation_id] for a in attempts} == said

    replicas = {f"127.0.0.1:{ports['rasa_a']}", f"127.0.0.1:{ports['rasa_b']}"}
    ours = {str(attempt.id) for attempt in attempts}  # a `ref` starts with its attempt's id
    turns = [line for line in proxy.log("rasa") if line.path.rsplit("/", 1)[-1] in ("answer", "gather")
             and line.ref.split(".")[0] in ours]
    assert len(turns) == CALLS * 5 and {line.status for line in turns} == {200}  # answer + 4 gathers a call
    served = Counter(line.upstream for line in turns)
    assert set(served) == replicas and min(served.values()) >= 0.35 * len(turns), served
    per_call = defaultdict(list)
    for line in turns:
        per_call[line.ref].append(line.upstream)
    assert len(per_call) == CALLS
    both = sum(len(set(upstreams)) == 2 for upstreams in per_call.values())
    switches = sum(a != b for upstreams in per_call.values() for a, b in zip(upstreams, upstreams[1:]))
    assert both >= 80 and switches >= 0.3 * (len(turns) - CALLS), (both, switches)
    actions = proxy.log("actions")
    assert {line.upstream for line in actions} == {f"127.0.0.1:{ports['actions_a']}", f"127.0.0.1:{ports['actions_b']}"}
    assert {line.status for line in actions} == {200}
    seconds = sorted(line.seconds for line in turns)
    print(f"\n{CALLS} calls, {peak} live at once; turns per Rasa server {sorted(served.values())}; "
          f"{both} calls on both, {switches} switches; turn p50 {seconds[len(seconds) // 2]:.2f} s, "
          f"p99 {seconds[int(len(seconds) * 0.99)]:.2f} s at the proxy")
