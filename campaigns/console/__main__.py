"""Serve the console: python -m campaigns.console [--host 127.0.0.1] [--port 8000]."""
from __future__ import annotations

import argparse
import sys

import uvicorn

from campaigns.console.app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the supervisor console.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
