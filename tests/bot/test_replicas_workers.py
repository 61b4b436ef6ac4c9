"""One Rasa server (`python -m bot.serve`) with Redis and two Sanic workers, each running the
custom actions in its own process: a conversation whose turns are sent to one worker, then the
other, ends with exactly one screening row, and two messages at the same instant, one to each
worker, are taken one after the other. Which worker answers is read from the kernel: the
worker process that holds the accepted connection."""
from __future__ import annotations

import http.client
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.serve import LISTEN_BACKLOG
from tests import live
from tests.bot.test_replicas import _events, _screenings, _turns_whole, assert_each_taken_once_in_order
from tests.live import ACCOUNT_SID, AUTH_TOKEN, CALLER_ID

INBOUND = "/webhooks/sms/inbound"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, model_path):
    from tests import redis_server

    tmp = tmp_path_factory.mktemp("two-workers")
    redis = redis_server.start_server()
    env = {"SCREENING_REDIS_URL": redis.url(3), "SANIC_WORKERS": "2"}
    server = live.start(tmp, database_url=f"sqlite:///{tmp}/two.db", extra_env=env, log_name="two.log")
    yield server
    live.stop(server)
    redis.stop()


def _under(root: int) -> list[int]:
    """Every process `root` started, and theirs."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of a loopback connection, from /proc/net/tcp."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote and fields[9] != "0":
            return fields[9]
    return None


def _holder(server: live.LiveServer, connection: http.client.HTTPConnection, seconds: float = 10) -> int:
    """The pid of the worker that accepted `connection` (it holds the server's end of it)."""
    server_port, client_port = int(server.url.rsplit(":", 1)[1]), connection.sock.getsockname()[1]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        inode = _socket_inode(server_port, client_port)
        for pid in _under(server.proc.pid) if inode else ():
            try:
                if any(os.readlink(fd) == f"socket:[{inode}]" for fd in Path(f"/proc/{pid}/fd").iterdir()):
                    return pid
            except OSError:
                continue
        time.sleep(0.05)
    raise AssertionError(f"no process under the server accepted the connection from port {client_port}")


def _connection_to(server: live.LiveServer, worker: int | None, tries: int = 200):
    """A connection accepted by `worker` (any worker if None): (connection, the worker's pid).
    The kernel chooses the worker; connections accepted by the other are closed and tried again."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    for _ in range(tries):
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.connect()
        holder = _holder(server, connection)
        if worker is None or holder == worker:
            return connection, holder
        connection.close()
    raise AssertionError(f"worker {worker} accepted none of {tries} connections")


def _text_on(server: live.LiveServer, connection: http.client.HTTPConnection, phone: str, text: str) -> tuple[int, str]:
    """An inbound SMS as Twilio sends it (signed), on `connection`: (status, body)."""
    params = {"MessageSid": f"SM{time.time_ns():032x}"[:34], "AccountSid": ACCOUNT_SID, "From": phone,
              "To": CALLER_ID, "Body": text, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
              "ApiVersion": "2010-04-01"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(server.url + INBOUND, params)
    connection.request("POST", INBOUND, body=urlencode(params), headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    return response.status, response.read().decode()


def _workers(server: live.LiveServer) -> tuple[int, int]:
    """The two workers' pids: connections are opened until two different ones have accepted."""
    seen: list[int] = []
    for _ in range(200):
        connection, holder = _connection_to(server, None)
        connection.close()
        if holder not in seen:
            seen.append(holder)
        if len(seen) == 2:
            return seen[0], seen[1]
    raise AssertionError(f"only {seen} accepted connections")


def test_the_rasa_server_listens_with_a_deep_backlog(two_workers):
    import subprocess

    port = two_workers.url.rsplit(":", 1)[1]
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout.split()
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    assert int(listening[2]) == min(LISTEN_BACKLOG, somaxconn), listening  # Send-Q: the queue's size


def test_a_conversation_across_both_workers_ends_with_one_exact_row(two_workers):
    first, second = _workers(two_workers)
    phone = "+14155550191"
    served, replies = [], []
    for worker, text in ((first, "report"), (second, "yes"), (first, "36.6"), (second, "no symptoms"),
                         (first, "no")):
        connection, holder = _connection_to(two_workers, worker)
        try:
            replies.append(_text_on(two_workers, connection, phone, text))
        finally:
            connection.close()
        served.append(holder)
    assert served == [first, second, first, second, first] and first != second
    assert [status for status, _ in replies] == [200] * 5, replies
    assert "Stay well" in replies[-1][1], replies
    rows = _screenings(two_workers.database_url, phone)
    assert [(r.person_index, r.temperature_c, r.symptoms, r.channel, r.outcome, r.conversation_id) for r in rows] \
        == [(0, 36.6, "", "sms", "completed", phone)]
    assert _turns_whole(_events(two_workers.database_url, phone))


def test_two_messages_at_once_one_to_each_worker_are_each_taken_once_in_order(two_workers):
    first, second = _workers(two_workers)
    phone = "+14155550192"
    connection, _ = _connection_to(two_workers, first)
    assert _text_on(two_workers, connection, phone, "report")[0] == 200
    connection.close()
    pair = [_connection_to(two_workers, worker)[0] for worker in (first, second)]
    try:
        with ThreadPoolExecutor(2) as pool:
            both = list(pool.map(lambda args: _text_on(two_workers, *args),
                                 [(pair[0], phone, "yes"), (pair[1], phone, "36.6")]))
    finally:
        for connection in pair:
            connection.close()
    assert_each_taken_once_in_order(both, two_workers.database_url, phone)
