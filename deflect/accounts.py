"""The support team's passwords: hashed with Argon2id (argon2-cffi, RFC 9106's defaults), never kept.

Plain Python, used by `deflect admin add` and the dashboard's login. A password is checked against
a hash that the store hands back; an unknown account is checked against a dummy hash, so the time
an answer takes does not tell whether the account exists.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # a bound before hashing: nobody types more, and hashing stays cheap
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not a password of any account")


def password_problem(password: str) -> str | None:
    """Why this password cannot be an account's (too short, too long), else None."""
    if len(password) < PASSWORD_MIN:
        return f"the password has {len(password)} characters: choose one of at least {PASSWORD_MIN}"
    if len(password) > PASSWORD_MAX:
        return f"the password has {len(password)} characters: choose one of at most {PASSWORD_MAX}"
    return None


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (salted; the parameters are kept in the hash)."""
    return _HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True when the password is the one hashed; a missing account costs the same time and is False."""
    if len(password) > PASSWORD_MAX:
        return False
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
