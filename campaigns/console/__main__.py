"""Serve the console: python -m campaigns.console [--host 127.0.0.1] [--port 8000]. Any address but
loopback needs a secret key of one's own (SCREENING_SECRET_KEY), whatever the environment says."""
from __future__ import annotations

import argparse
import ipaddress
import sys

import uvicorn
from pydantic import ValidationError

from campaigns.console.app import create_app
from campaigns.settings import DEFAULT_SECRET, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the supervisor console.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as error:
        return _fail(f"bad settings: {error}")
    if settings.secret_key == DEFAULT_SECRET and not is_loopback(args.host):
        # On loopback the console makes a random key of its own (campaigns.console.keys); anywhere
        # else, other machines reach it, and a key that is not configured is not managed.
        return _fail(f"will not serve {args.host} with the default secret key: set SCREENING_SECRET_KEY "
                     "to a long random value (for example `openssl rand -hex 32`), or serve on 127.0.0.1")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def is_loopback(host: str) -> bool:
    """Only this machine can reach the address: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # another host name: it may resolve to anything
        return False


def _fail(message: str) -> int:
    print(f"screening console: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
