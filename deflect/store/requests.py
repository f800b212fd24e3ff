"""Requests and their case numbers: filed with their outbox messages in one transaction.

The filing transaction also decides what must hold across processes: a search-step token files one
request, and a confirmation is sent only within the caps (per mailbox and in all, per hour).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from deflect.store.ledger import insert_event, new_visit
from deflect.store.model import ConfirmationCap, TokenAlreadyUsed, Visit, stamp, utcnow

CONFIRMATION_WINDOW = dt.timedelta(hours=1)


class RequestQueries:
    """The requests table; mixed into the store, which provides `_connect`, `_next_case_seq` and `_hold`."""

    def file_request(
        self,
        *,
        prefix: str,
        digits: int,
        form: str,
        subject: str,
        email: str,
        data: dict,
        outbox: Callable[..., list[tuple]] = lambda case: [],
        now: dt.datetime | None = None,
        token: str | None = None,
        confirmation: ConfirmationCap | None = None,
        visit: Visit | None = None,
    ) -> str:
        """Number and commit a request with its outbox messages in one transaction.

        `outbox(case_number)` returns the (channel, payload) pairs to send; they are committed
        with the request, so a stored request is never left without its messages. A triple
        (channel, payload, reason) is committed as failed with the reason: it is never sent.
        With `token` (a search-step token's use id), a token that filed a request before raises
        TokenAlreadyUsed and nothing is filed. With `confirmation`, the caps are decided here, so
        they hold across processes: the record gets `confirmation` ("sent", "address-cap",
        "hourly-cap" or "no-address") and `outbox(case_number, confirmation)` is called.
        The ledger's `filed` row (for `visit`, else a visit of its own) is written in the same transaction.
        """
        now = (now or utcnow()).astimezone(dt.UTC)  # the case number's year is UTC's, as its stamp
        with self._connect(write=True) as connection:
            if token is not None:
                self._check_token_unused(connection, token)
            seq = self._next_case_seq(connection, now.year)
            case_number = f"{prefix}-{now.year}-{seq:0{digits}d}"
            decided = (
                {}
                if confirmation is None
                else {"confirmation": self._confirm(connection, confirmation, case_number, now)}
            )
            record = dict(data, case_number=case_number, created_at=stamp(now), **decided)
            connection.execute(
                "INSERT INTO requests (case_number, year, seq, created_at, form, subject, email, data, search_token)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (case_number, now.year, seq, stamp(now), form, subject, email, json.dumps(record), token),
            )
            for channel, payload, *refused in outbox(case_number, *decided.values()):
                connection.execute(
                    "INSERT INTO outbox (case_number, channel, payload, next_attempt_at, created_at, status, last_error)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        case_number,
                        channel,
                        json.dumps(payload),
                        stamp(now),
                        stamp(now),
                        "failed" if refused else "pending",
                        refused[0] if refused else None,
                    ),
                )
            _ledger_filed(connection, visit or Visit(new_visit()), case_number, form, data, now)
        return case_number

    def get_request(self, case_number: str) -> dict | None:
        """Return the stored request with this case number, or None."""
        with self._connect() as connection:
            row = connection.execute("SELECT data FROM requests WHERE case_number = ?", (case_number,)).fetchone()
        return json.loads(row["data"]) if row else None

    def list_requests(self, limit: int = 100) -> list[dict]:
        """Return the newest requests first."""
        with self._connect() as connection:
            rows = connection.execute("SELECT data FROM requests ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(row["data"]) for row in rows]

    def _check_token_unused(self, connection, token: str) -> None:
        """Raise TokenAlreadyUsed when a request was filed with this token (inside the filing transaction)."""
        self._hold(connection, f"token:{token}")  # a filing racing with this token waits for this one
        row = connection.execute("SELECT case_number FROM requests WHERE search_token = ?", (token,)).fetchone()
        if row:
            raise TokenAlreadyUsed(row["case_number"])

    def _confirm(self, connection, cap: ConfirmationCap, case_number: str, now: dt.datetime) -> str:
        """Decide, inside the filing transaction, whether this request's confirmation may be sent; count it if so."""
        if not cap.recipient:
            return "no-address"
        self._hold(connection, "confirmations")  # filings count the caps in turn, none between count and insert
        since = stamp(now - CONFIRMATION_WINDOW)
        connection.execute("DELETE FROM confirmations WHERE sent_at <= ?", (since,))
        count = "SELECT COUNT(*) AS sent FROM confirmations WHERE sent_at > ?"
        if (
            connection.execute(count + " AND recipient = ?", (since, cap.recipient)).fetchone()["sent"]
            >= cap.per_address
        ):
            return "address-cap"
        if connection.execute(count, (since,)).fetchone()["sent"] >= cap.per_hour:
            return "hourly-cap"
        connection.execute(
            "INSERT INTO confirmations (sent_at, recipient, case_number) VALUES (?, ?, ?)",
            (stamp(now), cap.recipient, case_number),
        )
        return "sent"


def _ledger_filed(connection, visit: Visit, case_number: str, form: str, data: dict, now: dt.datetime) -> None:
    """The ledger's row for a filed request: its case, form, tag, door and when its response is due."""
    insert_event(
        connection,
        visit.id,
        "filed",
        now,
        door=visit.door,
        form=form,
        tag=data.get("tag") or "",
        description=visit.description or data.get("summary") or "",
        case_number=case_number,
        due_at=data.get("response_due"),
    )
