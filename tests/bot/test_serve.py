"""`make serve` for real: the Rasa server (running the actions in its own process, no action
server) and the console as processes, over HTTP."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


def _post(url: str, body: dict) -> list[dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited early"
        try:
            if _get(url) == 200:
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not come up in {seconds} s")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def served(tmp_path_factory, model_path):
    """One `make serve` for the module; the Ctrl-C test, last, stops it."""
    tmp_path = tmp_path_factory.mktemp("served")
    port, actions_port, console_port = _free_port(), _free_port(), _free_port()
    db = tmp_path / "served.db"
    env = {**os.environ, "SCREENING_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.serve", "--port", str(port), "--actions-port", str(actions_port),
         "--console-port", str(console_port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/webhooks/chat/", proc)
        _wait_until_up(f"http://127.0.0.1:{console_port}/login", proc)
        yield proc, port, actions_port, console_port, db
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def _status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_public_port_serves_no_rasa_api_and_no_client_trusting_channel(served):
    _, port, actions_port, _, db = served
    base = f"http://127.0.0.1:{port}"
    for path in ("/status", "/conversations/+14155550100/tracker", "/version", "/model/parse",
                 "/socket.io/?EIO=4&transport=polling"):
        assert _status(base + path) == 404, path
    assert _status(base + "/conversations/x/tracker/events", b'[{"event": "slot"}]') == 404
    assert _status(base + "/webhooks/rest/webhook", b'{"sender": "+14155550100", "message": "stop"}') == 404
    assert sqlite3.connect(db).execute("select count(*) from households").fetchone() == (0,)


def test_serve_internal_services_listen_on_loopback_only_and_no_action_server_runs(served):
    _, port, actions_port, console_port, _ = served
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {int(line.split()[1].split(":")[1], 16): line.split()[1].split(":")[0] for line in listening
             if line.split()[3] == "0A"}  # 0A: LISTEN
    loopback = "0100007F"  # 127.0.0.1, little-endian hex
    assert local.get(console_port) == loopback
    assert actions_port not in local  # the actions run in the Rasa server (see test_actions_in_rasa.py)


def test_serve_refuses_an_oversized_body_at_once(served):
    _, port, _, _, _ = served
    started = time.monotonic()
    status = _status(f"http://127.0.0.1:{port}/webhooks/chat/webhook", b"x" * 1_000_000)
    assert status == 413 and time.monotonic() - started < 1.0


def test_serve_chat_writes_the_screening_console_answers_and_ctrl_c_stops_all(served):
    proc, port, actions_port, console_port, db = served
    webhook = f"http://127.0.0.1:{port}/webhooks/chat/webhook"
    sender = "web-5f0c2a"
    replies = [_post(webhook, {"sender": sender, "message": text}) for text in ("hi", "yes", "38.6", "a dry cough", "no")]
    assert "good time" in replies[0][0]["text"]
    assert "health worker will follow up" in replies[-1][0]["text"]
    rows = sqlite3.connect(db).execute(
        "select temperature_c, symptoms, outcome, channel, conversation_id from screenings").fetchall()
    assert rows == [(38.6, "cough", "completed", "chat", f"chat:{sender}")]

    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert proc.wait(timeout=40) == 0
    time.sleep(0.5)
    assert not _port_open(port) and not _port_open(actions_port) and not _port_open(console_port)
