"""A throwaway Redis server for the tests: found or installed (Debian's `redis-server`), started
on a free loopback port in a temporary directory with no persistence, stopped after.

Nothing here skips: when Redis cannot be installed or started, RedisError says why.
"""
from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from tests import apt
from tests.pg import _services_not_started  # the package's own service must not start

START_TIMEOUT = 20  # seconds
START_TRIES = 3  # a free port can be taken between choosing it and binding it


class RedisError(RuntimeError):
    """Redis could not be installed or started; the message says why."""


def ensure_binary() -> str:
    """The redis-server binary, installing Debian's package when there is none."""
    found = shutil.which("redis-server")
    if found is None:
        try:
            with _services_not_started():
                apt.install("redis-server")
        except apt.AptError as error:
            raise RedisError(str(error)) from None
        found = shutil.which("redis-server")
    if found is None:
        raise RedisError("the redis-server package installed, but no redis-server on the PATH")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RedisServer:
    """One server on 127.0.0.1 in its own directory; `url(db)` for each test's own database."""

    base: Path
    port: int = 0
    proc: Optional[subprocess.Popen] = field(default=None, repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)

    def start(self, binary: str) -> None:
        for _ in range(START_TRIES):
            self.port = free_port()
            log = open(self.base / "redis.log", "wb")
            self.proc = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.base),
                 "--save", "", "--appendonly", "no", "--databases", "64", "--protected-mode", "yes"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            if self._wait_up():
                return
            self.stop_process()
        raise RedisError(f"redis-server did not start:\n{apt.tail((self.base / 'redis.log').read_text(errors='replace'))}")

    def _wait_up(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                if self.client().ping():
                    return True
            time.sleep(0.1)
        return False

    def stop_process(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        """Stop the server and remove its directory; safe to call more than once."""
        self.stop_process()
        shutil.rmtree(self.base, ignore_errors=True)


def start_server() -> RedisServer:
    """A running Redis on 127.0.0.1 with nothing saved to disk; the caller stops it."""
    server = RedisServer(base=Path(tempfile.mkdtemp(prefix="screening-redis-")))
    atexit.register(server.stop)
    try:
        server.start(ensure_binary())
    except BaseException:
        server.stop()
        raise
    return server
