"""`make serve` for real: the Rasa server and the action server as processes, over HTTP."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
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


def _wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
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


@pytest.fixture
def served(tmp_path, model_path):
    port, actions_port, console_port = _free_port(), _free_port(), _free_port()
    db = tmp_path / "served.db"
    env = {**os.environ, "SCREENING_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.serve", "--port", str(port), "--actions-port", str(actions_port),
         "--console-port", str(console_port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/status", proc)
        _wait_until_up(f"http://127.0.0.1:{actions_port}/health", proc)
        _wait_until_up(f"http://127.0.0.1:{console_port}/login", proc)
        yield proc, port, actions_port, console_port, db
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_serve_rest_chat_writes_the_screening_console_answers_and_ctrl_c_stops_all(served):
    proc, port, actions_port, console_port, db = served
    webhook = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    sender = "+14155550777"
    replies = [_post(webhook, {"sender": sender, "message": text}) for text in ("hi", "yes", "38.6", "a dry cough", "no")]
    assert "good time" in replies[0][0]["text"]
    assert "health worker will follow up" in replies[-1][0]["text"]
    rows = sqlite3.connect(db).execute(
        "select temperature_c, symptoms, outcome, channel, conversation_id from screenings").fetchall()
    assert rows == [(38.6, "cough", "completed", "chat", sender)]
    assert _get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling") == 200

    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert proc.wait(timeout=40) == 0
    time.sleep(0.5)
    assert not _port_open(port) and not _port_open(actions_port) and not _port_open(console_port)
