"""A throwaway PostgreSQL server for the tests: found or installed, started on loopback, stopped after.

The test session starts one server; every test that asks gets its own database on it.
Nothing here skips: when PostgreSQL cannot be installed or started, PgError says why.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from tests import apt

PG_ROOT = Path("/usr/lib/postgresql")  # where Debian's packages put each major version
OS_USER = "postgres"  # initdb and the server refuse to run as root
SUPERUSER = "postgres"
POLICY_RC = Path("/usr/sbin/policy-rc.d")
START_TIMEOUT = 60
START_TRIES = 3  # a free port can be taken between choosing it and binding it
TOOLS = ("initdb", "pg_ctl", "postgres")


class PgError(RuntimeError):
    """PostgreSQL could not be installed, initialised or started; the message says why."""


def find_bin_dir(root: Path = PG_ROOT) -> Optional[Path]:
    """The bin directory of the highest PostgreSQL version under `root`, or None."""
    found = [
        (_version_key(bin_dir.parent.name), bin_dir)
        for bin_dir in root.glob("*/bin")
        if all((bin_dir / tool).is_file() for tool in TOOLS)
    ]
    return max(found)[1] if found else None


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def ensure_bin_dir(root: Path = PG_ROOT) -> Path:
    """The server binaries, installing Debian's `postgresql` package when there are none."""
    bin_dir = find_bin_dir(root)
    if bin_dir is None:
        install_postgres()
        bin_dir = find_bin_dir(root)
    if bin_dir is None:
        raise PgError(f"the postgresql package installed, but no {'/'.join(TOOLS)} under {root}/*/bin")
    return bin_dir


def install_postgres() -> None:
    """apt-get install postgresql, with no service started."""
    with _services_not_started():
        try:
            apt.install("postgresql")
        except apt.AptError as error:
            raise PgError(str(error)) from None


@contextlib.contextmanager
def _services_not_started() -> Iterator[None]:
    # The package's own cluster would start as a service; we never use it, so nothing may start.
    if POLICY_RC.exists():
        yield
        return
    POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
    POLICY_RC.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC.unlink(missing_ok=True)


def os_user() -> Optional[pwd.struct_passwd]:
    """The OS user the server runs as when we are root (created if missing); None otherwise."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(OS_USER)
    except KeyError:
        pass
    created = subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", OS_USER],
        text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if created.returncode != 0:
        raise PgError(f"could not create the OS user {OS_USER!r}:\n{apt.tail(created.stdout)}")
    return pwd.getpwnam(OS_USER)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    """One server in its own temporary directory: data, socket and log all live under `base`."""

    bin_dir: Path
    base: Path
    user: Optional[pwd.struct_passwd]
    port: int = 0
    started_in: float = 0.0  # seconds to find (or install), initialise and start it

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        """A psycopg2 connection in autocommit, as CREATE/DROP DATABASE need."""
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                                      dbname=database, connect_timeout=10)
        connection.autocommit = True
        return connection

    def create_database(self, name: str) -> None:
        from psycopg2 import sql

        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop_database(self, name: str) -> None:
        """Drop it even when a connection is still open (PostgreSQL 13+ ends those sessions)."""
        from psycopg2 import sql

        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            force = sql.SQL(" WITH (FORCE)") if connection.server_version >= 130000 else sql.SQL("")
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force))

    def initdb(self) -> None:
        result = self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER,
                           "-E", "UTF8", "--locale=C", "--no-sync")
        if result.returncode != 0:
            raise PgError(f"initdb failed:\n{apt.tail(result.stdout)}")

    def start(self) -> None:
        """pg_ctl start on a free loopback port; fsync off, since test data may be lost."""
        for _ in range(START_TRIES):
            self.port = free_port()
            options = f"-h 127.0.0.1 -p {self.port} -k {self.base / 'sock'} -F"
            result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                               "-w", "-t", str(START_TIMEOUT), "-o", options, "start")
            if result.returncode == 0:
                return
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            if "could not bind" not in log and "already in use" not in log:
                break
        raise PgError(f"pg_ctl start failed:\n{apt.tail(result.stdout)}\n--- server log ---\n{apt.tail(log)}")

    def stop(self) -> None:
        """Stop the server at once and remove its directory; safe to call more than once."""
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(PgError):
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        as_user = {}
        if self.user is not None:
            as_user = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        # PG* variables from the caller's shell would point the tools at another server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(HOME=str(self.base), LC_ALL="C")
        try:
            return subprocess.run([str(self.bin_dir / tool), *args], cwd=self.base, env=env, text=True,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=START_TIMEOUT + 30, **as_user)
        except subprocess.TimeoutExpired:
            raise PgError(f"{tool} took longer than {START_TIMEOUT + 30} s") from None


def start_server(bin_dir: Optional[Path] = None) -> PgServer:
    """A running server with a superuser `postgres` trusted on 127.0.0.1; the caller stops it."""
    began = time.monotonic()
    server = PgServer(bin_dir=bin_dir or ensure_bin_dir(), user=os_user(),
                      base=Path(tempfile.mkdtemp(prefix="screening-pg-")))
    atexit.register(server.stop)  # also when the session ends without its teardown
    try:
        (server.base / "sock").mkdir()
        if server.user is not None:
            for path in (server.base, server.base / "sock"):
                os.chown(path, server.user.pw_uid, server.user.pw_gid)
        server.initdb()
        server.start()
    except BaseException:
        server.stop()
        raise
    server.started_in = time.monotonic() - began
    return server
