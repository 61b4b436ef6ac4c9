"""Passwords, API tokens, session ids and CSRF tokens. Pure apart from the random numbers."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt with the parameters OWASP suggests for interactive logins (n=2^14, r=8, p=1, 64 MB max).
_N, _R, _P = 2 ** 14, 8, 1
MIN_PASSWORD = 10


class PasswordError(ValueError):
    """A password that may not be used; the message says why."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"a password needs at least {MIN_PASSWORD} characters")
    if password.strip() != password:
        raise PasswordError("a password may not start or end with a space")


def hash_password(password: str) -> str:
    """A salted scrypt hash, with its parameters: `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=2 ** 26)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                  maxmem=2 ** 26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def new_token() -> str:
    """A new API token, shown once; only `token_hash` of it is stored."""
    return "scr_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    """A sign-in session's id, for the cookie; only `token_hash` of it is stored."""
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, and a forged token may have them.
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
