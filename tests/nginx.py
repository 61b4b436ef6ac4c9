"""A throwaway nginx for the tests: found or installed (Debian's `nginx`), run in the foreground as
a round-robin proxy in front of several servers, with its config, pid, logs and temp files all in
one temporary directory, stopped after.

Each proxy is one `listen 127.0.0.1:<free port>` in front of one upstream; its access log says,
per request, which upstream answered (`$upstream_addr`), so a test can see where each turn went.
Nothing here skips: when nginx cannot be installed or started, NginxError says why.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional

from tests import apt
from tests.pg import _services_not_started  # the package's own service must not start

START_TIMEOUT = 20  # seconds
LOG_FORMAT = "$upstream_addr|$status|$request_method|$uri|$arg_ref|$request_time"  # `|` is in none


class NginxError(RuntimeError):
    """nginx could not be installed or started; the message says why."""


class Proxy(NamedTuple):
    """One listening port, proxying round robin to `upstreams` (host:port each)."""

    name: str
    upstreams: list[str]


class Logged(NamedTuple):
    """One access-log line: the upstream that answered, the status, the method, the path, the `ref`
    query, and the seconds from the request's first byte to the response's last."""

    upstream: str
    status: int
    method: str
    path: str
    ref: str
    seconds: float


def ensure_binary() -> str:
    """The nginx binary, installing Debian's package when there is none."""
    found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if not found:
        try:
            with _services_not_started():
                apt.install("nginx")
        except apt.AptError as error:
            raise NginxError(str(error)) from None
        found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if not found:
        raise NginxError("the nginx package installed, but no nginx binary")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config(base: Path, proxies: dict[str, int], upstreams: dict[str, list[str]]) -> str:
    """nginx.conf text: per proxy, an upstream (round robin, nginx's default) and a server on its port.
    The Host and X-Forwarded-* headers pass on what the client asked for, as a real front would."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the 0700 temp directory
    blocks = []
    for name, port in proxies.items():
        servers = "".join(f"    server {address};\n" for address in upstreams[name])
        blocks.append(
            f"  upstream {name} {{\n{servers}    keepalive 32;\n  }}\n"
            f"  server {{\n    listen 127.0.0.1:{port};\n    access_log {base}/{name}.access.log routed;\n"
            f"    location / {{\n      proxy_pass http://{name};\n      proxy_http_version 1.1;\n"
            f"      proxy_set_header Connection \"\";\n      proxy_set_header Host $http_host;\n"
            f"      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            f"      proxy_set_header X-Forwarded-Proto $scheme;\n"
            f"      proxy_set_header X-Forwarded-Host $http_host;\n"
            f"      proxy_read_timeout 60s;\n    }}\n  }}\n")
    temp = "".join(f"  {kind}_temp_path {base}/{kind}_temp;\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # Bodies are capped by the servers behind (the Rasa server at 64 KiB); an action server's
    # request carries a whole conversation, so it is kept in memory rather than a temp file.
    return (f"{user}daemon off;\nmaster_process on;\nworker_processes 1;\npid {base}/nginx.pid;\n"
            f"error_log {base}/error.log warn;\nevents {{\n  worker_connections 4096;\n}}\n"
            f"http {{\n  log_format routed '{LOG_FORMAT}';\n{temp}  client_max_body_size 16m;\n"
            f"  client_body_buffer_size 1m;\n"
            + "".join(blocks) + "}\n")


@dataclass
class Nginx:
    """nginx on 127.0.0.1 in its own directory; `url(name)` is the address of the proxy `name`."""

    base: Path
    proxies: list[Proxy]
    ports: dict[str, int] = field(default_factory=dict)
    proc: Optional[subprocess.Popen] = field(default=None, repr=False)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log(self, name: str) -> list[Logged]:
        """The access log of one proxy, line by line."""
        path = self.base / f"{name}.access.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [Logged(upstream, int(status), method, uri, ref, float(seconds))
                for upstream, status, method, uri, ref, seconds in (line.split("|") for line in lines)]

    def start(self, binary: str) -> None:
        self.ports = {proxy.name: free_port() for proxy in self.proxies}
        conf = self.base / "nginx.conf"
        conf.write_text(config(self.base, self.ports, {p.name: p.upstreams for p in self.proxies}))
        # -e: the log nginx opens before it reads the config (else /var/log/nginx/error.log).
        command = [binary, "-p", f"{self.base}/", "-c", str(conf), "-e", str(self.base / "error.log")]
        checked = subprocess.run([*command, "-t"], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if checked.returncode != 0:
            raise NginxError(f"nginx refused its config:\n{apt.tail(checked.stdout)}")
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        if not self._wait_up():
            self.stop_process()
            errors = (self.base / "error.log").read_text(errors="replace") if (self.base / "error.log").exists() else ""
            raise NginxError(f"nginx did not start:\n{apt.tail(errors)}")

    def _wait_up(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            if all(_listening(port) for port in self.ports.values()):
                return True
            time.sleep(0.1)
        return False

    def stop_process(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)  # graceful: requests in flight finish
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def stop(self) -> None:
        """Stop nginx and remove its directory; safe to call more than once."""
        self.stop_process()
        shutil.rmtree(self.base, ignore_errors=True)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(base: Path, *proxies: Proxy) -> Nginx:
    """A running nginx with one round-robin proxy per `Proxy`, its files under `base`; the caller stops it."""
    base.mkdir(parents=True, exist_ok=True)
    server = Nginx(base=base, proxies=list(proxies))
    server.start(ensure_binary())
    return server
