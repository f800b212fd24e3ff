"""What the store hands back and what it raises: outbox entries, confirmation caps, its errors.

Plain data, no SQL: the web layer, the delivery loop and the CLI import these without a connection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DESCRIPTIONS = {
    "busy": "locked by another writer",
    "read-only": "read-only",
    "full": "full (no space left, or at its size limit)",
    "disk": "unreadable (a disk error)",
    "damaged": "damaged",
    "down": "not answering (the database server is down or cannot be reached)",
}


class StoreUnavailable(Exception):
    """The store cannot take this call now; nothing was changed. Callers say "try again later".

    `kind` is one of DESCRIPTIONS' kinds; `retry_after` is a fair number of seconds to wait: a lock
    is usually gone in seconds, a database server restarts in a few, a full or read-only disk needs
    someone to act.
    """

    def __init__(self, kind: str, detail: str):
        super().__init__(f"the store is {DESCRIPTIONS[kind]} ({detail})")
        self.kind, self.detail = kind, detail

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before sending the same call again."""
        return {"busy": 5, "down": 10}.get(self.kind, 60)


class TokenAlreadyUsed(Exception):
    """The search-step token was already used to file a request; nothing was filed this time."""

    def __init__(self, case_number: str):
        self.case_number = case_number
        super().__init__(f"the token was already used for {case_number}")


@dataclass(frozen=True)
class ConfirmationCap:
    """A confirmation to `recipient` (a mailbox, as counted; empty: none can be sent) is sent unless
    it has had `per_address`, or all addresses together `per_hour`, in the last hour."""

    recipient: str | None
    per_address: int
    per_hour: int


@dataclass(frozen=True)
class Visit:
    """Which visit of the ledger a filing closes, through which door (`web` or `api`), after which search."""

    id: str
    door: str = "web"
    description: str = ""


@dataclass(frozen=True)
class OutboxEntry:
    """One message waiting to be sent (or sent, or failed) for a case."""

    id: int
    case_number: str
    channel: str
    payload: dict
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    delivered_at: str | None
    claimed_by: str | None = None
    claimed_until: str | None = None


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """A moment as the store writes it: UTC, ISO 8601, microseconds (sorts as text)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
