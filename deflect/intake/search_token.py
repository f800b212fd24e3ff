"""The deflection token: proof that a customer saw the articles for this description, recently.

A request is accepted only with a token signed by this app, issued when the suggestions were
shown, not older than `max_age` seconds, bound to the same description (compared after
normalising case and spacing) and to the same form, so posting the form directly does not skip
the search. Each token carries a random use id: the store records it in the transaction that files
the request, so one token files one request (`deflect.store.TokenAlreadyUsed` for a second).
A token also carries the ledger's visit id (`v`), so the filing it allows joins the visit that was
shown the articles, through the HTML form and the API alike.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "deflect.search-first"
MAX_AGE = 2 * 60 * 60


@dataclass(frozen=True)
class Verdict:
    """What a token allows: `problem` is None when it may file, `use_id` is what the store records;
    `visit` is the visit it was issued to (also for a token of another description or form)."""

    problem: str | None
    use_id: str | None = None
    visit: str | None = None


def normalise(description: str) -> str:
    """Return the description as the token binds it: lower case, single spaces."""
    return " ".join(str(description).lower().split())


def _digest(description: str) -> str:
    return hashlib.sha256(normalise(description).encode("utf-8")).hexdigest()[:32]


def issue(secret_key: str, description: str, form_id: str, visit: str | None = None) -> str:
    """Return a token saying: the suggestions for this description were shown now, for this form (and visit)."""
    payload = {"d": _digest(description), "f": str(form_id), "n": secrets.token_urlsafe(16)}
    if visit:
        payload["v"] = visit
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps(payload)


def verify(secret_key: str, token: str | None, description: str, form_id: str, max_age: int = MAX_AGE) -> Verdict:
    """Return whether the token allows filing this description on this form, and its use id."""
    if not token or not isinstance(token, str):
        return Verdict("missing")
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        return Verdict("expired")
    except BadSignature:
        return Verdict("invalid")
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        return Verdict("invalid")  # issued before tokens were single-use: not bound to a form either
    visit = payload["v"] if isinstance(payload.get("v"), str) else None
    if payload.get("d") != _digest(description):
        return Verdict("other-description", visit=visit)
    if payload.get("f") != str(form_id):
        return Verdict("other-form", visit=visit)
    return Verdict(None, payload["n"], visit or payload["n"])


def problem(secret_key: str, token: str | None, description: str, form_id: str, max_age: int = MAX_AGE) -> str | None:
    """Return why the token does not allow filing this description on this form, or None when it does."""
    return verify(secret_key, token, description, form_id, max_age).problem
