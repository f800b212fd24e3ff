"""The deflection token: proof that a customer saw the articles for this description, recently.

A request is accepted only with a token signed by this app, issued when the suggestions were
shown, not older than `max_age` seconds, and bound to the same description (compared after
normalising case and spacing), so posting the form directly does not skip the search.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "deflect.search-first"
MAX_AGE = 2 * 60 * 60


def normalise(description: str) -> str:
    """Return the description as the token binds it: lower case, single spaces."""
    return " ".join(str(description).lower().split())


def _digest(description: str) -> str:
    return hashlib.sha256(normalise(description).encode("utf-8")).hexdigest()[:32]


def issue(secret_key: str, description: str) -> str:
    """Return a token saying: the suggestions for this description were shown now."""
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"d": _digest(description)})


def problem(secret_key: str, token: str | None, description: str, max_age: int = MAX_AGE) -> str | None:
    """Return why the token does not allow filing this description, or None when it does."""
    if not token or not isinstance(token, str):
        return "missing"
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "invalid"
    if not isinstance(payload, dict) or payload.get("d") != _digest(description):
        return "other-description"
    return None
