"""`screening users add|list|disable|enable|password|unlock|language|token|tokens`: the staff who sign
in to the console, their console language, and their API tokens. Every change is in the audit log, as
made on the command line."""
from __future__ import annotations

import argparse
import getpass
import sys
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator, Optional

from sqlmodel import Session

from campaigns.cli.common import Subparsers, engine, fail, plural
from campaigns.console import i18n, lockout, tokens, users
from campaigns.console.audit import COMMAND_LINE, record_as
from campaigns.records.models import Role, User, utcnow

ROLES_HELP = "viewer: reads; operator: also works escalations and exports; supervisor: also the audit log and users"
LANGUAGE_HELP = (f"the console's language for this user: {', '.join(i18n.languages())}, or {i18n.AUTO} (the default) "
                 "for the language the browser asks for")


class _Failed(Exception):
    """A message for the user; nothing was changed."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser("users", help="console users: add, list, disable, enable, passwords, API tokens",
                                 description="Staff who sign in to the supervisor console, and their API tokens.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    adding = actions.add_parser("add", help="add a user; the password is asked twice, or read from stdin")
    adding.add_argument("name", help="letters of any script, digits, '.', '-', '_'")
    adding.add_argument("--role", required=True, choices=[r.value for r in Role], help=ROLES_HELP)
    adding.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    adding.add_argument("--language", default=i18n.AUTO, type=_language, metavar="LANG", help=LANGUAGE_HELP)
    adding.set_defaults(handler=add_user)
    actions.add_parser("list", help="list users: name, role, active or disabled, console language"
                       ).set_defaults(handler=list_users)
    for name, handler, text in (("disable", disable, "disable a user: their sessions end, their tokens are refused"),
                                ("enable", enable, "enable a disabled user again"),
                                ("unlock", unlock, "lift the lockout after too many wrong passwords")):
        action = actions.add_parser(name, help=text)
        action.add_argument("name")
        action.set_defaults(handler=handler)
    password = actions.add_parser("password", help="set a new password (asked twice, or read from stdin); "
                                                   "the user's sessions end")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(handler=change_password)
    language = actions.add_parser("language", help="set a user's console language, or auto for the browser's")
    language.add_argument("name")
    language.add_argument("language", type=_language, metavar="LANG", help=LANGUAGE_HELP)
    language.set_defaults(handler=set_language)
    _add_token_commands(actions)


def _add_token_commands(actions: Subparsers) -> None:
    token = actions.add_parser("token", help="issue an API token for scripts (printed once); it replaces the "
                                             "user's token of the same name")
    token.add_argument("name")
    token.add_argument("--name", dest="label", default=tokens.DEFAULT_NAME,
                       help=f"the token's name, such as 'nightly-export' (default: {tokens.DEFAULT_NAME})")
    token.set_defaults(handler=make_token)
    listing = actions.add_parser("tokens", help="list a user's API tokens, or revoke them")
    listing.add_argument("name")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--revoke", type=int, metavar="ID", help="revoke this token")
    which.add_argument("--all", action="store_true", help="revoke every token of the user")
    listing.set_defaults(handler=list_tokens)


def add_user(args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)
    if password is None:
        return fail("the two passwords differ; nothing was changed")

    def change(session: Session) -> str:
        user = users.add_user(session, name=args.name, role=args.role, password=password, by=COMMAND_LINE,
                              language=args.language)
        return f"Added {user.name} ({user.role}{', console in ' + user.language if user.language else ''})."

    return _run(change)


def list_users(args: argparse.Namespace) -> int:
    return _run(lambda session: "\n".join(f"{user.name}\t{user.role}\t{'active' if user.active else 'disabled'}\t"
                                          f"{user.language or i18n.AUTO}"
                                          for user in users.list_users(session)) or None)


def disable(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        if not users.set_active(session, user=user, active=False, by=COMMAND_LINE):
            return f"{user.name} was already disabled."
        return f"Disabled {user.name}; their sessions ended."

    return _on_user(args.name, change)


def enable(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        done = users.set_active(session, user=user, active=True, by=COMMAND_LINE)
        return f"Enabled {user.name}." if done else f"{user.name} was already enabled."

    return _on_user(args.name, change)


def unlock(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        if not lockout.unlock(session, name=user.name, now=utcnow()):
            return f"{user.name} was not locked out."
        record_as(session, name=COMMAND_LINE, action="unlock", target=f"user {user.name}")
        return f"Unlocked {user.name}."

    return _on_user(args.name, change)


def change_password(args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)
    if password is None:
        return fail("the two passwords differ; nothing was changed")

    def change(session: Session, user: User) -> str:
        users.set_password(session, user=user, password=password, by=COMMAND_LINE)
        return f"Changed the password of {user.name}; their sessions ended."

    return _on_user(args.name, change)


def set_language(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        done = users.set_language(session, user=user, language=args.language, by=COMMAND_LINE)
        if user.language:
            return f"The console of {user.name} is {'now' if done else 'already'} in {user.language}."
        return f"The console of {user.name} {'now follows' if done else 'already followed'} the browser's language."

    return _on_user(args.name, change)


def make_token(args: argparse.Namespace) -> int:
    notes: list[str] = []  # said once the token is stored

    def change(session: Session, user: User) -> str:
        issued = tokens.issue_token(session, user=user, name=args.label, by=COMMAND_LINE)
        notes.append(f"An API token {issued.info.name!r} for {user.name}; it is shown only now. "
                     "Send it as 'Authorization: Bearer <token>'.")
        if issued.replaced:
            notes.append(f"It replaces token {issued.replaced.label()} of {user.name}, which no longer works.")
        if issued.others:  # never left alive silently
            notes.append(f"{user.name} also has {plural(len(issued.others), 'other live token')}: "
                         f"{', '.join(t.label() for t in issued.others)}. List them with "
                         f"`screening users tokens {user.name}`; revoke one with --revoke ID.")
        return issued.token

    code = _on_user(args.name, change)
    for note in notes if code == 0 else ():
        print(note, file=sys.stderr)
    return code


def list_tokens(args: argparse.Namespace) -> int:
    def change(session: Session, user: User) -> str:
        if args.revoke is not None:
            found = tokens.revoke_token(session, user=user, token_id=args.revoke, by=COMMAND_LINE)
            return f"Revoked token {found.label()} of {user.name}."
        if args.all:
            revoked = tokens.revoke_all(session, user=user, by=COMMAND_LINE)
            return f"Revoked {plural(len(revoked), 'token')} of {user.name}."
        lines = ["id\tname\tcreated (UTC)\tlast used (UTC)"]
        lines += [f"{t.id}\t{t.name if t.name is not None else '(unnamed)'}\t{_when(t.created_at)}\t"
                  f"{_when(t.last_used_at) if t.last_used_at else 'never'}"
                  for t in tokens.list_tokens(session, user=user)]
        return "\n".join(lines)

    return _on_user(args.name, change)


def _on_user(name: str, change: Callable[[Session, User], Optional[str]]) -> int:
    """Run `change` on the named user (a precise failure if there is none)."""
    return _run(lambda session: change(session, users.get_user(session, name=name)))


def _run(change: Callable[[Session], Optional[str]]) -> int:
    """Run `change` in one transaction, committed only if it succeeds; print what it returns."""
    try:
        with _session() as session:
            output = change(session)
    except _Failed as error:
        return fail(str(error)) if str(error) else 1
    if output:
        print(output)
    return 0


@contextmanager
def _session() -> Iterator[Session]:
    db = engine()
    if db is None:
        raise _Failed("")  # engine() has said why
    with Session(db) as session:
        try:
            yield session
        except (users.UserError, tokens.TokenError) as error:
            session.rollback()
            raise _Failed(str(error)) from None
        session.commit()


def _language(text: str) -> str:
    """A console language or auto, checked before a password is asked for."""
    try:
        return i18n.check_language(text) or i18n.AUTO
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _password(from_stdin: bool) -> Optional[str]:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    return first if getpass.getpass("Again: ") == first else None
