"""`screening users add|token|list`: the staff who sign in to the console."""
from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import Session, select

from campaigns.cli.common import Subparsers, engine, fail
from campaigns.console import users
from campaigns.records.models import Role, User


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("users", help="console users: add one, give one an API token, list them",
                                 description="Staff who sign in to the supervisor console.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    adding = actions.add_parser("add", help="add a user; the password is asked twice, or read from stdin")
    adding.add_argument("name")
    adding.add_argument("--role", required=True, choices=[r.value for r in Role],
                        help="viewer: reads; operator: also works escalations and exports; supervisor: also the audit log")
    adding.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    adding.set_defaults(handler=add_user)
    token = actions.add_parser("token", help="make an API token for scripts (printed once)")
    token.add_argument("name")
    token.set_defaults(handler=make_token)
    listing = actions.add_parser("list", help="list users and roles")
    listing.set_defaults(handler=list_users)


def add_user(args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)
    if password is None:
        return fail("the two passwords differ; nothing was changed")
    db = engine()
    if db is None:
        return 1
    with Session(db) as session:
        try:
            user = users.add_user(session, name=args.name, role=args.role, password=password)
        except users.UserError as exc:
            return fail(str(exc))
        session.commit()
        print(f"Added {user.name} ({user.role}).")
    return 0


def make_token(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    with Session(db) as session:
        user = users.find_user(session, name=args.name)
        if user is None:
            return fail(f"no user named {args.name!r}: add one with `screening users add`")
        token = users.add_token(session, user=user)
        session.commit()
    print(token)
    print(f"An API token for {args.name}; it is shown only now. Send it as 'Authorization: Bearer <token>'.",
          file=sys.stderr)
    return 0


def list_users(args: argparse.Namespace) -> int:
    db = engine()
    if db is None:
        return 1
    with Session(db) as session:
        for user in session.exec(select(User).order_by(User.name)).all():
            print(f"{user.name}\t{user.role}\t{'active' if user.active else 'disabled'}")
    return 0


def _password(from_stdin: bool):
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    return first if getpass.getpass("Again: ") == first else None
