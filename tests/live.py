"""The real servers for end-to-end tests: `python -m bot.serve` (the Rasa server with the
voice and SMS channels, running the actions in its own process, or calling an action server
with `actions="server"`) on 127.0.0.1, writing to its own SQLite file, with a Twilio auth token
and a public URL that the local Twilio emulator signs for."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "emulator-auth-token"
CALLER_ID = "+15005550006"
BOT_TOKEN = "test-bot-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str  # where the Rasa server listens, and (in tests) its public URL too
    database_url: str
    proc: subprocess.Popen
    log: Path


def start(tmp: Path, *, startup_seconds: float = 300, database_url: str | None = None,
          extra_env: dict[str, str] | None = None, log_name: str = "serve.log",
          actions: str = "inprocess") -> LiveServer:
    """`python -m bot.serve` on free ports; on its own SQLite file in `tmp` unless `database_url` is given.
    `actions`: "inprocess" (the default: no action server) or "server" (an action server, over HTTP)."""
    port, actions_port, console_port = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = database_url or f"sqlite:///{tmp}/live.db"
    env = {**os.environ, "SCREENING_DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "SCREENING_PUBLIC_URL": url,
           "SCREENING_BOT_TOKEN": BOT_TOKEN,
           # Every test talks from 127.0.0.1: only the per-sender limit is tried live.
           "SCREENING_CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000", **(extra_env or {})}
    log = tmp / log_name
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.serve", "--host", "127.0.0.1", "--port", str(port), "--actions", actions,
             "--actions-port", str(actions_port), "--console-port", str(console_port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(url, database_url, proc, log)
    try:
        wait_up(f"{url}/webhooks/voice/", proc, startup_seconds)
        if actions == "server":
            wait_up(f"http://127.0.0.1:{actions_port}/health", proc, startup_seconds)
    except Exception:
        stop(server)
        raise
    return server


def stop(server: LiveServer) -> None:
    stop_process(server.proc, signal.SIGINT)


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, seconds: float = 20) -> None:
    """Stop a server started in its own session, and what it started; kill it if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_up(url: str, proc: subprocess.Popen, seconds: float) -> None:
    """Until `url` answers 200; fails at once if the server exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[2] if len(proc.args) > 2 else proc.args[0]} exited early "
                               f"with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up in {seconds:.0f} s")


# --- one part of `python -m bot.serve` at a time, as on several machines -------------------------

def part_environment(database_url: str, public_url: str, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """What `start` gives its server, with the public URL (say, a proxy's) given."""
    return {**os.environ, "SCREENING_DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "SCREENING_PUBLIC_URL": public_url, "SCREENING_BOT_TOKEN": BOT_TOKEN,
            "SCREENING_CHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000", **(extra_env or {})}


def start_part(tmp: Path, part: str, *, database_url: str, public_url: str = "", actions_url: str = "",
               port: int | None = None, extra_env: dict[str, str] | None = None, log_name: str | None = None,
               startup_seconds: float = 240) -> LiveServer:
    """`python -m bot.serve --only <part>` on `port` (else a free one): "rasa" (calling the action
    server at `actions_url`, else running the actions in its own process; Twilio signs for
    `public_url`) or "actions". Its `url` is where it listens."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    option = {"rasa": ["--port", str(port), *(["--actions-url", actions_url] if actions_url else [])],
              "actions": ["--actions-port", str(port)]}
    log = tmp / (log_name or f"{part}-{port}.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.serve", "--only", part, "--host", "127.0.0.1", *option[part]],
            cwd=ROOT, env=part_environment(database_url, public_url or url, extra_env),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(url, database_url, proc, log)
    try:
        wait_up(f"{url}/webhooks/voice/" if part == "rasa" else f"{url}/health", proc, startup_seconds)
    except Exception:
        stop(server)
        raise
    return server


def restart_part(tmp: Path, server: LiveServer, part: str, *, actions_url: str = "", public_url: str = "",
                 extra_env: dict[str, str] | None = None, log_name: str | None = None,
                 startup_seconds: float = 240) -> LiveServer:
    """`part` ("rasa" or "actions") started again on the port `server` listened on, after it was
    stopped or killed: what a supervisor (systemd, Kubernetes) does after a crash."""
    port = int(server.url.rsplit(":", 1)[1])
    return start_part(tmp, part, database_url=server.database_url, public_url=public_url or server.url,
                      actions_url=actions_url, port=port, extra_env=extra_env,
                      log_name=log_name or f"{part}-{port}-again.log", startup_seconds=startup_seconds)
