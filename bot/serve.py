"""Serve the assistant: the Rasa server (with the custom actions) and the supervisor console, together.

Usage: python -m bot.serve [--port 5005] [--host localhost] [--console-port 8000]
                           [--only rasa|actions|console ...] [--actions inprocess|server]
                           [--actions-url URL] [--actions-port 5055]
The Rasa server runs the custom actions in its own process by default (`--actions inprocess`):
no action server is started, and a turn's actions cost no HTTP call, no JSON of the whole
conversation and no response schema check. `--actions server` starts an action server too, on
--actions-port, and the Rasa server calls it over HTTP, as with `--actions-url`.
All inherit the environment, so SCREENING_DATABASE_URL reaches the actions and the console; that
database is brought to the newest schema revision first, once, before they open it.
Conversations (Rasa's trackers) live in that database too, in Rasa's `events` table, so a
restarted server carries on where it stopped. With SCREENING_REDIS_URL set, conversations are
locked in Redis and the Rasa server runs one Sanic worker per core (SANIC_WORKERS overrides);
each worker runs its own copy of the actions. The Rasa server queues up to 4096 connections
waiting to be accepted (SANIC_BACKLOG overrides; Rasa's own default is 100).
The Rasa server serves only its channels: Rasa's HTTP API (trackers, events) is not served,
so nothing on the public port reads or writes a conversation but the channels. An action
server and the console listen on 127.0.0.1 (SANIC_HOST moves the action server). Ctrl-C stops all.

On several machines, each runs only its part: `--only rasa` is a Rasa server with the actions in
its process; `--only rasa --actions-url URL` one that calls the action server(s) at URL (e.g. a
load balancer in front of them) and starts none; `--only actions` is an action server alone;
`--only console` the console alone. `--actions server` without --actions-url calls
http://localhost:<actions-port>/webhook.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bot.model import ROOT, ensure_model

MAX_REQUEST_BYTES = 65_536  # any body past this gets 413 before it is read: no route needs more
# An action server's request is the whole conversation plus the domain (~32 KB): a long call's
# passes 64 KiB, and under that cap its turns failed. It listens on loopback, for the Rasa server.
ACTIONS_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Connections the Rasa server's listening socket queues before it accepts them (Rasa reads
# SANIC_BACKLOG; its default is 100, and the kernel caps it at net.core.somaxconn). Past the
# queue a new connection is dropped and the caller's TCP tries again only after 1 s, so a
# burst of new connections while the workers are busy with turns would wait seconds, not queue.
LISTEN_BACKLOG = 4096
PARTS = ("actions", "rasa", "console")  # in the order they start
MODES = ("inprocess", "server")  # where the Rasa server runs the custom actions


def commands(model: Path, endpoints: Path, args: argparse.Namespace) -> dict[str, list[str]]:
    """The command of each part `args.only` names (all three by default), in PARTS order."""
    rasa = [sys.executable, "-m", "bot.rasa_runtime"]  # rasa, with the hot-path fix and masked logs
    every = {
        "actions": [*rasa, "run", "actions", "--actions", "bot.actions", "--port", str(args.actions_port)],
        "rasa": [*rasa, "run", "--model", str(model), "--interface", args.host,
                 "--port", str(args.port), "--credentials", str(ROOT / "credentials.yml"),
                 "--endpoints", str(endpoints)],
        "console": [sys.executable, "-m", "campaigns.console", "--host", "127.0.0.1",
                    "--port", str(args.console_port)],
    }
    return {part: command for part, command in every.items() if part in parts(args)}


def parts(args: argparse.Namespace) -> tuple[str, ...]:
    """The parts to start: those `--only` names, else the Rasa server and the console, and an
    action server when the actions are not run in-process."""
    default = PARTS if actions_mode(args) == "server" else ("rasa", "console")
    return tuple(part for part in PARTS if part in (args.only or default))


def actions_mode(args: argparse.Namespace) -> str:
    """inprocess | server: as --actions says; else server when --actions-url names one."""
    return getattr(args, "actions", None) or ("server" if args.actions_url else "inprocess")


def run(args: argparse.Namespace) -> int:
    model = ensure_model() if "rasa" in parts(args) else ROOT / "models"  # only the Rasa server loads it
    if not upgrade_database():
        return 1
    endpoints_text = endpoints_for(args)
    if endpoints_text is None:
        return 1
    with tempfile.TemporaryDirectory() as tmp:  # private (0700): the file holds the passwords
        endpoints = Path(tmp) / "endpoints.yml"
        endpoints.write_text(endpoints_text)
        env = environment()
        envs = {"rasa": {**env, "SANIC_WORKERS": rasa_workers(),
                         "SANIC_BACKLOG": os.environ.get("SANIC_BACKLOG", str(LISTEN_BACKLOG))},
                "actions": {**env, "SANIC_REQUEST_MAX_SIZE": str(ACTIONS_MAX_REQUEST_BYTES)}}
        procs = [subprocess.Popen(cmd, cwd=ROOT, env=envs.get(part, env))
                 for part, cmd in commands(model, endpoints, args).items()]
        print(started(args), flush=True)
        stop = lambda *_: [p.send_signal(signal.SIGINT) for p in procs if p.poll() is None]  # noqa: E731
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                try:
                    procs[0].wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            pass
        died = [p.returncode for p in procs if p.returncode not in (None, 0)]
        stop()
        _wait_all(procs)
        return died[0] if died else 0


def started(args: argparse.Namespace) -> str:
    """What listens where, said once everything has been started."""
    where = {"rasa": f"Rasa server on http://{args.host}:{args.port}", "actions": f"actions on :{args.actions_port}",
             "console": f"console on http://127.0.0.1:{args.console_port}"}
    if actions_mode(args) == "inprocess":
        where["rasa"] += " (the actions in its own process, no action server)"
    else:
        where["rasa"] += f" (calling the action server at {_without_secrets(actions_url(args))})"
    running = [where[part] for part in ("rasa", "actions", "console") if part in parts(args)]
    return ", ".join(running) + "; Ctrl-C stops " + ("it" if len(running) == 1 else "all")


def actions_url(args: argparse.Namespace) -> str | None:
    """The action server(s) the Rasa server calls; None when it runs the actions in-process."""
    if actions_mode(args) == "inprocess":
        return None
    return args.actions_url or f"http://localhost:{args.actions_port}/webhook"


def _without_secrets(url: str) -> str:
    """The URL without a user or password, fit for the console."""
    from urllib.parse import urlsplit

    split = urlsplit(url)
    return split._replace(netloc=split.netloc.rsplit("@", 1)[-1]).geturl()


def upgrade_database() -> bool:
    """Bring the database to the newest schema revision once, before the three processes open it
    (each would, taking turns on a lock); False after saying why it cannot be."""
    import sqlalchemy as sa
    from pydantic import ValidationError

    from campaigns.records.db import get_engine
    from campaigns.settings import get_settings

    try:
        get_engine(get_settings().database_url).dispose()
        return True
    except ValidationError as exc:
        print(f"bot.serve: bad settings: {exc}", file=sys.stderr)
    except sa.exc.ArgumentError:  # its message repeats the URL, and with it any password
        print("bot.serve: SCREENING_DATABASE_URL is not a valid database URL", file=sys.stderr)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        print(f"bot.serve: cannot open the database: {getattr(exc, 'orig', None) or exc}", file=sys.stderr)
    return False


def endpoints_for(args: argparse.Namespace) -> str | None:
    """The Rasa server's endpoints.yml text, from the settings; None after saying why it cannot be."""
    from bot.endpoints import EndpointsError, endpoints_yaml
    from campaigns.settings import get_settings

    try:
        return endpoints_yaml(get_settings(), actions_url=actions_url(args))
    except EndpointsError as exc:
        print(f"bot.serve: {exc}", file=sys.stderr)
        return None


def rasa_workers() -> str:
    """SANIC_WORKERS for the Rasa server: as set, else one per core with Redis, else one."""
    from bot.endpoints import workers
    from campaigns.settings import get_settings

    redis_url = get_settings().redis_url
    return os.environ.get("SANIC_WORKERS") or str(workers(redis_url and redis_url.get_secret_value(),
                                                          os.cpu_count() or 1))


def environment() -> dict[str, str]:
    """The servers' environment: Sanic's request cap, and the action server on loopback unless
    SANIC_HOST says otherwise (it is an internal service)."""
    return {**os.environ, "SANIC_REQUEST_MAX_SIZE": os.environ.get("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES)),
            "SANIC_HOST": os.environ.get("SANIC_HOST", "127.0.0.1")}


def _wait_all(procs: list[subprocess.Popen]) -> None:
    """Give each server time to shut down cleanly, then make sure it is gone."""
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument("--console-port", type=int, default=8000)
    parser.add_argument("--only", nargs="+", choices=PARTS, metavar="PART",
                        help="start only these parts: rasa, actions, console (default: rasa and console, "
                             "and actions with --actions server)")
    parser.add_argument("--actions", choices=MODES, help="where the Rasa server runs the custom actions: "
                        "in its own process (the default), or on an action server, called over HTTP "
                        "(the default with --actions-url)")
    parser.add_argument("--actions-url", type=http_url, help="the action server(s) the Rasa server calls "
                        "(with --actions server, default http://localhost:<actions-port>/webhook)")
    args = parser.parse_args(argv)
    if args.actions == "inprocess" and args.actions_url:
        parser.error("--actions inprocess runs the actions in the Rasa server: it calls no --actions-url")
    if actions_mode(args) == "inprocess" and args.only and {"rasa", "actions"} <= set(args.only):
        parser.error("--only rasa actions: the Rasa server runs the actions in its own process and would "
                     "not call this action server; add --actions server")
    return run(args)


def http_url(text: str) -> str:
    """An http(s) URL with a host, for --actions-url; anything else is refused before anything starts."""
    from urllib.parse import urlsplit

    parts_of = urlsplit(text)
    if parts_of.scheme not in ("http", "https") or not parts_of.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL with a host: {text!r}")
    return text


if __name__ == "__main__":
    sys.exit(main())
